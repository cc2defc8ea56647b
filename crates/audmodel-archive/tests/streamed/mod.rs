//! The stream path of unpacking, driven like a download: the central
//! directory from the archive's end first, then every byte front to back.
//! Tests run it beside `unpack` on the same archives.

use audmodel_archive::{Directory, Error, Unpacked, no_progress, read_directory, unpack_stream};
use std::path::Path;

/// Unpacks the archive file `archive` into `target` through the stream
/// path, fed in small pieces so entries straddle reads.
pub(crate) fn unpack_streamed(archive: &Path, target: &Path) -> Result<Unpacked, Error> {
    let bytes = std::fs::read(archive).map_err(|source| Error::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    let directory = directory_of(&bytes)?;
    let mut stream = Pieces {
        bytes: &bytes,
        piece: 4093,
    };
    unpack_stream(&directory, &mut stream, target, &no_progress, || {
        Ok::<(), Error>(())
    })
}

/// The checked directory of the archive `bytes`, read from its end as a
/// download would.
pub(crate) fn directory_of(bytes: &[u8]) -> Result<Directory, Error> {
    read_directory(bytes.len() as u64, |range| {
        Ok::<_, Error>(bytes[range.start as usize..range.end as usize].to_vec())
    })
}

struct Pieces<'a> {
    bytes: &'a [u8],
    piece: usize,
}

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.piece).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

impl std::io::BufRead for Pieces<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.bytes[..self.piece.min(self.bytes.len())])
    }

    fn consume(&mut self, amount: usize) {
        self.bytes = &self.bytes[amount..];
    }
}
