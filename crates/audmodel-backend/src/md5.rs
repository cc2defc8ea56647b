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
    fn md5_of_known_text() {
        let mut out = Vec::new();
        let sum = copy_hashing(&mut &b"abc"[..], &mut out, &|_| {}).unwrap();
        assert_eq!(sum, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(out, b"abc");
    }
}
