//! MD5 as lower-case hex, of files and of streams while they are copied.

use std::io::{Read, Write};

use md5::{Digest, Md5};

/// Copy buffer size: large enough for throughput, small enough for many threads.
pub(crate) const CHUNK: usize = 1 << 20;

/// Lower-case hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies `src` to `dst`, reporting increments to `progress`, and returns the
/// MD5 hex of what was copied.
pub(crate) fn copy_hashing(
    src: &mut dyn Read,
    dst: &mut dyn Write,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> std::io::Result<String> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
        progress(n as u64);
    }
    Ok(hex(&hasher.finalize()))
}

/// A writer that hashes what passes through it, so a download is checked
/// without reading it a second time.
pub(crate) struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hasher: Md5,
}

impl<'a> HashingWriter<'a> {
    pub(crate) fn new(inner: &'a mut dyn Write) -> Self {
        HashingWriter {
            inner,
            hasher: Md5::new(),
        }
    }

    /// The MD5 hex of everything written.
    pub(crate) fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The MD5 hex of a local file.
pub(crate) fn md5_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    copy_hashing(&mut file, &mut std::io::sink(), &|_| {})
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashing_writer_passes_and_hashes_every_byte() {
        let mut out = Vec::new();
        let mut writer = HashingWriter::new(&mut out);
        writer.write_all(b"a").unwrap();
        writer.write_all(b"bc").unwrap();
        assert_eq!(writer.finish(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(out, b"abc");
    }

    #[test]
    fn md5_of_known_text() {
        let mut out = Vec::new();
        let sum = copy_hashing(&mut &b"abc"[..], &mut out, &|_| {}).unwrap();
        assert_eq!(sum, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(out, b"abc");
    }
}
