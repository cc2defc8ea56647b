//! Unpacking an archive as it arrives, front to back, without a copy of it
//! on disk: the central directory is read first (from the archive's end,
//! see [`read_directory`](crate::read_directory)), so every entry is
//! checked before the first byte of data is fetched.

use crate::directory::Directory;
use crate::entry_data::{copy_counted, inflate, verify};
use crate::local_header;
use crate::staging::Staging;
use crate::{Error, Progress, Unpacked};
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;

/// Unpacks the archive that `stream` yields from its first byte to its
/// last into the folder `target`, which must not exist yet, as
/// [`unpack_checked`](crate::unpack_checked) does for a file: entries are
/// written into `{target}~`, each checked for size and CRC, `check` runs
/// once the whole stream was read (say, to compare the MD5 that the
/// stream's producer computed), and only then `{target}~` becomes
/// `target`. On any error nothing is left. `stream` is read to its end, and
/// must have exactly the length `directory` was read for.
///
/// ```
/// # fn main() -> Result<(), audmodel_archive::Error> {
/// use audmodel_archive::{Error, PackOptions, no_progress, pack, read_directory, unpack_stream};
/// let dir = tempfile::tempdir().unwrap();
/// let model = dir.path().join("model");
/// std::fs::create_dir(&model).unwrap();
/// std::fs::write(model.join("weights.bin"), [1u8; 1000]).unwrap();
/// let archive = dir.path().join("model.zip");
/// pack(&model, &archive, &PackOptions::default(), &no_progress)?;
/// let bytes = std::fs::read(&archive).unwrap();
/// let directory = read_directory(bytes.len() as u64, |range| {
///     Ok::<_, Error>(bytes[range.start as usize..range.end as usize].to_vec())
/// })?;
/// let target = dir.path().join("cache");
/// unpack_stream(&directory, &mut bytes.as_slice(), &target, &no_progress, || Ok::<(), Error>(()))?;
/// assert_eq!(std::fs::read(target.join("weights.bin")).unwrap(), [1u8; 1000]);
/// # Ok(())
/// # }
/// ```
pub fn unpack_stream<E: From<Error>>(
    directory: &Directory,
    stream: &mut dyn BufRead,
    target: &Path,
    progress: Progress<'_>,
    check: impl FnOnce() -> Result<(), E>,
) -> Result<Unpacked, E> {
    let staging = Staging::free(target)?;
    let written = staging
        .create(directory)
        .and_then(|()| write_stream(directory, stream, &staging, progress));
    staging.commit(written, check)
}

fn write_stream(
    directory: &Directory,
    stream: &mut dyn BufRead,
    staging: &Staging,
    progress: Progress<'_>,
) -> Result<Unpacked, Error> {
    let mut stream = Counted {
        inner: stream,
        pos: 0,
    };
    let mut total = Unpacked { files: 0, bytes: 0 };
    for entry in &directory.files {
        let ends = |e: io::Error| match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::corrupt(&entry.name, "archive ends before it"),
            _ => Error::corrupt(&entry.name, format!("cannot read the archive: {e}")),
        };
        let Some(gap) = entry.header_start.checked_sub(stream.pos) else {
            return Err(Error::corrupt(&entry.name, "overlaps the entry before"));
        };
        skip(&mut stream, gap).map_err(ends)?;
        let mut fixed = [0u8; local_header::FIXED_LEN as usize];
        stream.read_exact(&mut fixed).map_err(ends)?;
        let variable = local_header::variable_len(&fixed, &entry.name)?;
        skip(&mut stream, variable).map_err(ends)?;

        let path = staging.join(&entry.path);
        let mut out = File::create_new(&path).map_err(Error::io(&path))?;
        let mut data = (&mut stream).take(entry.compressed);
        let written = if entry.deflated {
            inflate(&mut data, entry, &mut out, &path, progress)?
        } else {
            copy_counted(&mut data, entry, &mut out, &path, progress)?
        };
        if data.limit() != 0 {
            return Err(Error::corrupt(&entry.name, "archive ends inside it"));
        }
        let one = verify(entry, written)?;
        total.files += one.files;
        total.bytes += one.bytes;
    }
    // Data descriptors and the central directory: read, so that whoever
    // hashes the stream sees all of it.
    io::copy(&mut stream, &mut io::sink()).map_err(|e| Error::Corrupt {
        entry: None,
        reason: format!("cannot read the archive: {e}"),
    })?;
    if stream.pos != directory.len {
        return Err(Error::Corrupt {
            entry: None,
            reason: format!(
                "archive has {} bytes, {} were expected",
                stream.pos, directory.len
            ),
        });
    }
    Ok(total)
}

fn skip(stream: &mut Counted<'_>, bytes: u64) -> io::Result<()> {
    let skipped = io::copy(&mut stream.take(bytes), &mut io::sink())?;
    if skipped < bytes {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// A reader that knows how far into the archive it is.
struct Counted<'a> {
    inner: &'a mut dyn BufRead,
    pos: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl BufRead for Counted<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.pos += amount as u64;
    }
}
