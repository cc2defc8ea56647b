//! Writing one entry's data and checking it against the central directory:
//! a lying size must not fill the disk, a wrong CRC must not pass.

use crate::directory::FileEntry;
use crate::{Error, Progress, Unpacked};
use flate2::read::DeflateDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

const BUFFER: usize = 1 << 18;

/// Decompresses an entry from `compressed` (exactly its compressed bytes)
/// into `out`; returns the bytes written and their CRC.
pub(crate) fn inflate(
    compressed: impl Read,
    entry: &FileEntry,
    out: &mut File,
    out_path: &Path,
    progress: Progress<'_>,
) -> Result<(u64, u32), Error> {
    let mut decoded = BufReader::with_capacity(BUFFER, DeflateDecoder::new(compressed));
    let (written, crc) = copy_counted(&mut decoded, entry, out, out_path, progress)?;
    if decoded.get_ref().total_in() != entry.compressed {
        return Err(Error::corrupt(
            &entry.name,
            "compressed data does not match the declared compressed size",
        ));
    }
    Ok((written, crc))
}

/// Copies everything `data` yields into `out`, straight from its buffer,
/// failing as soon as it is more than the entry's size; returns the bytes
/// written and their CRC.
pub(crate) fn copy_counted(
    data: &mut impl BufRead,
    entry: &FileEntry,
    out: &mut File,
    out_path: &Path,
    progress: Progress<'_>,
) -> Result<(u64, u32), Error> {
    let mut crc = crc32fast::Hasher::new();
    let mut written = 0u64;
    loop {
        let buf = match data.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::corrupt(&entry.name, format!("bad data: {e}"))),
        };
        let n = buf.len();
        written += n as u64;
        if written > entry.size {
            return Err(Error::corrupt(
                &entry.name,
                "more data than the declared size",
            ));
        }
        crc.update(buf);
        out.write_all(buf).map_err(Error::io(out_path))?;
        data.consume(n);
        progress(n as u64)?;
    }
    Ok((written, crc.finalize()))
}

/// Checks what was written against the directory's size and CRC.
pub(crate) fn verify(entry: &FileEntry, (written, crc): (u64, u32)) -> Result<Unpacked, Error> {
    if written != entry.size {
        return Err(Error::corrupt(
            &entry.name,
            format!("{written} bytes of data, {} declared", entry.size),
        ));
    }
    if crc != entry.crc {
        return Err(Error::corrupt(
            &entry.name,
            "CRC-32 does not match the data",
        ));
    }
    Ok(Unpacked {
        files: 1,
        bytes: written,
    })
}
