//! MD5 as lower-case hex, as the reference computes it for IDs (`hashlib`)
//! and for the checksums of repository files (`audeer.md5`): of bytes, of
//! streams, of files, and of whatever passes through a writer.

use md5::{Digest, Md5};
use std::io::{self, Read, Write};
use std::path::Path;

/// MD5 hex digest of `data`.
///
/// ```
/// assert_eq!(audmodel_util::md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
/// ```
pub fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

/// MD5 hex digest of everything `reader` yields.
pub fn md5_reader(mut reader: impl Read) -> io::Result<String> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// MD5 hex digest of the file at `path`.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("a.txt");
/// std::fs::write(&file, "abc")?;
/// assert_eq!(audmodel_util::md5_file(&file)?, "900150983cd24fb0d6963f7d28e17f72");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn md5_file(path: &Path) -> io::Result<String> {
    md5_reader(std::fs::File::open(path)?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that hashes and counts what passes through, so an archive's
/// checksum needs no second read, whether it is being packed or downloaded.
///
/// ```
/// use std::io::Write;
/// let mut writer = audmodel_util::HashingWriter::new(Vec::new());
/// writer.write_all(b"abc")?;
/// let (inner, len, md5) = writer.finish();
/// assert_eq!((inner.len(), len), (3, 3));
/// assert_eq!(md5, "900150983cd24fb0d6963f7d28e17f72");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct HashingWriter<W> {
    inner: W,
    hasher: Md5,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Passes everything on to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Md5::new(),
            written: 0,
        }
    }

    /// Bytes written so far.
    pub fn position(&self) -> u64 {
        self.written
    }

    /// The inner writer, the byte count and the MD5 hex of everything written.
    pub fn finish(self) -> (W, u64, String) {
        (self.inner, self.written, hex(&self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_way_gives_the_same_digest() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        let whole = md5_hex(&data);
        assert_eq!(md5_reader(&data[..]).unwrap(), whole);
        let mut writer = HashingWriter::new(Vec::new());
        for piece in data.chunks(7919) {
            writer.write_all(piece).unwrap();
        }
        let (copy, len, md5) = writer.finish();
        assert_eq!((md5, len), (whole, data.len() as u64));
        assert!(copy == data);
    }
}
