//! A bounded pipe between two threads: a download writes into one end while
//! the unpacking reads from the other, so neither waits for the whole
//! archive and at most a few MiB of it are in memory.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per message: small enough to keep memory low, large enough that
/// sending is cheap next to hashing and writing them.
const PIECE: usize = 1 << 20;
/// Messages in flight.
const PIECES: usize = 8;

/// A connected pair; the reader sees the end of the stream once the writer
/// is dropped, and the writer fails with `BrokenPipe` once the reader is.
/// Emptied buffers go back to the writer: fresh memory for every piece would
/// cost a page fault per 4 KiB.
pub(crate) fn pipe() -> (PipeWriter, PipeReader) {
    let (full, filled) = sync_channel(PIECES);
    let (empty, emptied) = sync_channel(PIECES + 2);
    (
        PipeWriter {
            full,
            emptied,
            current: Vec::with_capacity(PIECE),
        },
        PipeReader {
            filled,
            empty,
            current: Vec::new(),
            at: 0,
        },
    )
}

pub(crate) struct PipeWriter {
    full: SyncSender<Vec<u8>>,
    emptied: Receiver<Vec<u8>>,
    current: Vec<u8>,
}

impl PipeWriter {
    fn send_current(&mut self) -> io::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        let mut next = self.emptied.try_recv().unwrap_or_default();
        next.clear();
        let piece = std::mem::replace(&mut self.current, next);
        self.full
            .send(piece)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.current.capacity() == 0 {
            self.current.reserve_exact(PIECE);
        }
        let n = buf.len().min(self.current.capacity() - self.current.len());
        self.current.extend_from_slice(&buf[..n]);
        if self.current.len() == self.current.capacity() {
            self.send_current()?;
        }
        Ok(n)
    }

    /// Sends what is buffered.
    fn flush(&mut self) -> io::Result<()> {
        self.send_current()
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        // The last piece; a reader that is gone does not need it.
        let _ = self.send_current();
    }
}

pub(crate) struct PipeReader {
    filled: Receiver<Vec<u8>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl BufRead for PipeReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.current.len() {
            match self.filled.recv() {
                Ok(next) => {
                    let used = std::mem::replace(&mut self.current, next);
                    self.at = 0;
                    // Back for reuse; dropped when the writer has enough.
                    let _ = self.empty.try_send(used);
                }
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.current[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.current.len());
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bytes_arrive_in_order_and_the_end_is_seen() {
        let (mut writer, mut reader) = pipe();
        let data: Vec<u8> = (0..3 * PIECE + 17).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let producer = std::thread::spawn(move || {
            // Odd-sized writes, so pieces fill across them.
            for chunk in sent.chunks(7919) {
                writer.write_all(chunk).unwrap();
            }
        });
        let mut received = Vec::new();
        reader.read_to_end(&mut received).unwrap();
        producer.join().unwrap();
        assert!(received == data);
    }

    #[test]
    fn a_writer_whose_reader_is_gone_fails_instead_of_blocking() {
        let (mut writer, reader) = pipe();
        drop(reader);
        let err = writer.write_all(&vec![0; 2 * PIECE]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
