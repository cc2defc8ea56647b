//! A bounded pipe between two threads: a download writes into one end while
//! the unpacking reads from the other, so neither waits for the whole
//! archive and at most a few MiB of it are in memory.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per message: small enough to keep memory low, large enough that
/// sending is cheap next to hashing and writing them.
const PIECE: usize = 1 << 20;
/// Messages in flight.
const PIECES: usize = 8;

/// A connected pair; the reader sees the end of the stream once the writer
/// is dropped, and the writer fails with `BrokenPipe` once the reader is.
pub(crate) fn pipe() -> (PipeWriter, PipeReader) {
    let (sender, receiver) = sync_channel(PIECES);
    (
        PipeWriter { sender },
        PipeReader {
            receiver,
            current: Vec::new(),
            at: 0,
        },
    )
}

pub(crate) struct PipeWriter {
    sender: SyncSender<Vec<u8>>,
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(PIECE);
        if n == 0 {
            return Ok(0);
        }
        self.sender
            .send(buf[..n].to_vec())
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) struct PipeReader {
    receiver: Receiver<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.receiver.recv() {
                Ok(next) => (self.current, self.at) = (next, 0),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
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
        let producer = std::thread::spawn(move || writer.write_all(&sent).unwrap());
        let mut received = Vec::new();
        reader.read_to_end(&mut received).unwrap();
        producer.join().unwrap();
        assert!(received == data);
    }

    #[test]
    fn a_writer_whose_reader_is_gone_fails_instead_of_blocking() {
        let (mut writer, reader) = pipe();
        drop(reader);
        let err = writer.write_all(&[0; 100]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
