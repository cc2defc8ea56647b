//! One chunk of an entry, read and compressed on its own (the pigz
//! technique): every chunk but the last ends with a full flush on a byte
//! boundary, so the chunks concatenate into one valid raw deflate stream and
//! their CRCs combine into the entry's CRC.

use crate::Error;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What a worker hands to the archive writer.
pub(crate) struct Chunk {
    pub(crate) data: Vec<u8>,
    pub(crate) crc: crc32fast::Hasher,
    pub(crate) raw_len: u64,
}

/// Reads `len` bytes at `offset` of `path`; with `at_end`, these must be
/// the file's last bytes: a file that changed size while being packed would
/// otherwise end up in the archive cut or stale without a word.
pub(crate) fn read_range(
    path: &Path,
    offset: u64,
    len: usize,
    at_end: bool,
) -> Result<Vec<u8>, Error> {
    let mut file = File::open(path).map_err(Error::io(path))?;
    if offset > 0 {
        file.seek(SeekFrom::Start(offset))
            .map_err(Error::io(path))?;
    }
    // Into spare capacity: a zeroed buffer would write every byte once
    // more before the read does.
    let mut buf = Vec::with_capacity(len);
    let read = (&mut file)
        .take(len as u64)
        .read_to_end(&mut buf)
        .map_err(Error::io(path))?;
    if read < len {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "file shrank while being packed",
            ),
        });
    }
    if at_end && file.read(&mut [0u8; 1]).map_err(Error::io(path))? != 0 {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("file grew while being packed"),
        });
    }
    Ok(buf)
}

/// Checksums `raw` and, for `Some(level)`, deflates it.
pub(crate) fn process(raw: Vec<u8>, level: Option<u32>, last: bool) -> std::io::Result<Chunk> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&raw);
    let raw_len = raw.len() as u64;
    let data = match level {
        None => raw,
        Some(level) => deflate(&raw, level, last)?,
    };
    Ok(Chunk { data, crc, raw_len })
}

/// Raw deflate of `raw`, finished when `last`, otherwise ended by a full
/// flush so the next chunk (compressed by a fresh compressor, hence without
/// back references into this one) may follow.
pub(crate) fn deflate(raw: &[u8], level: u32, last: bool) -> std::io::Result<Vec<u8>> {
    let mut compress = Compress::new(compression(level), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Full
    };
    // Room for incompressible data: stored blocks cost 5 bytes per 64 KiB.
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 1000 + 64);
    loop {
        let consumed = compress.total_in() as usize;
        let status = compress
            .compress_vec(&raw[consumed..], &mut out, flush)
            .map_err(std::io::Error::other)?;
        let done = match status {
            Status::StreamEnd => true,
            // A full flush is complete once it returns with output room to spare.
            Status::Ok | Status::BufError => {
                !last && compress.total_in() as usize == raw.len() && out.len() < out.capacity()
            }
        };
        if done {
            return Ok(out);
        }
        out.reserve(out.capacity().max(64));
    }
}

/// The zlib-rs setting for a reference (zlib) level. zlib-rs, like zlib-ng,
/// answers level 1 with a quick static-Huffman strategy that leaves model
/// weights uncompressed and text half as small as zlib's level 1; its
/// level 2 matches zlib's level 1 in size and speed, so level 1 means what it means
/// in the reference.
fn compression(level: u32) -> Compression {
    Compression::new(if level == 1 { 2 } else { level })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use flate2::read::DeflateDecoder;

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        DeflateDecoder::new(data).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn chunks_concatenate_into_one_stream() {
        let raw: Vec<u8> = (0..300_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
            .collect();
        for level in [1, 6, 9] {
            let mut stream = Vec::new();
            let parts: Vec<&[u8]> = raw.chunks(70_000).collect();
            for (i, part) in parts.iter().enumerate() {
                stream.extend(deflate(part, level, i + 1 == parts.len()).unwrap());
            }
            assert_eq!(inflate(&stream), raw, "level {level}");
        }
    }

    #[test]
    fn reading_notices_a_file_of_another_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_range(&path, 2, 3, false).unwrap(), b"234");
        assert_eq!(read_range(&path, 5, 5, true).unwrap(), b"56789");
        let grew = read_range(&path, 5, 4, true).unwrap_err().to_string();
        assert!(grew.contains("grew"), "{grew}");
        let shrank = read_range(&path, 5, 6, true).unwrap_err().to_string();
        assert!(shrank.contains("shrank"), "{shrank}");
    }

    #[test]
    fn empty_last_chunk_is_a_finished_stream() {
        assert_eq!(inflate(&deflate(&[], 1, true).unwrap()), Vec::<u8>::new());
    }

    #[test]
    fn combined_crc_equals_whole_crc() {
        let raw: Vec<u8> = (0..10_000u32).map(|i| (i * 31) as u8).collect();
        let mut whole = crc32fast::Hasher::new();
        for part in raw.chunks(3_000) {
            whole.combine(&process(part.to_vec(), None, false).unwrap().crc);
        }
        assert_eq!(whole.finalize(), crc32fast::hash(&raw));
    }
}
