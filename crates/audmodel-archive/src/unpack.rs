//! Safe, atomic unpacking of an archive into a folder.
//!
//! Every entry is checked before anything is written; data goes into a
//! staging folder that is renamed into place only when all entries were
//! written and verified (size and CRC), so a reader never sees half a model.

use crate::directory::{Directory, FileEntry};
use crate::entry_data::{inflate, verify};
use crate::local_header;
use crate::staging::Staging;
use crate::{Error, Progress};
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// What `unpack` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpacked {
    /// Number of files written (folders not counted).
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Unpacks `archive` into the folder `target`, which must not exist yet.
///
/// Entries are written into the staging folder `{target}~` (the name the
/// reference uses; a leftover from a killed process is removed first, the
/// caller holds a lock) which is renamed to `target` at the end. Entries
/// that could escape the target, links and special files, encrypted or
/// unknown-method entries, duplicate names and data that does not match its
/// declared size or CRC are refused. On any error the staging folder is
/// removed and `target` is not created. `progress` receives the number of
/// bytes just written.
///
/// See [`pack`](crate::pack) for an example.
pub fn unpack(
    archive: impl AsRef<Path>,
    target: impl AsRef<Path>,
    progress: Progress<'_>,
) -> Result<Unpacked, Error> {
    unpack_checked(archive.as_ref(), target.as_ref(), progress, || {
        Ok::<(), Error>(())
    })
}

/// [`unpack`], with `check` called after every entry was written and
/// verified and before the staging folder is renamed to `target`: when it
/// fails, the staging folder is removed, `target` is not created and its
/// error is returned. It lets a caller verify the archive as a whole (say,
/// its MD5 computed on another thread) while the unpacking runs, and still
/// keep an unverified model out of sight.
///
/// ```
/// # fn main() -> Result<(), audmodel_archive::Error> {
/// use audmodel_archive::{Error, PackOptions, no_progress, pack, unpack_checked};
/// let dir = tempfile::tempdir().unwrap();
/// let model = dir.path().join("model");
/// std::fs::create_dir(&model).unwrap();
/// std::fs::write(model.join("weights.bin"), [1u8; 1000]).unwrap();
/// let archive = dir.path().join("model.zip");
/// pack(&model, &archive, &PackOptions::default(), &no_progress)?;
/// let target = dir.path().join("cache");
/// let refused = unpack_checked(&archive, &target, &no_progress, || {
///     Err(Error::Corrupt { entry: None, reason: "checksum differs".into() })
/// });
/// assert!(refused.is_err() && !target.exists());
/// unpack_checked(&archive, &target, &no_progress, || Ok::<(), Error>(()))?;
/// assert!(target.join("weights.bin").is_file());
/// # Ok(())
/// # }
/// ```
pub fn unpack_checked<E: From<Error>>(
    archive: &Path,
    target: &Path,
    progress: Progress<'_>,
    check: impl FnOnce() -> Result<(), E>,
) -> Result<Unpacked, E> {
    let staging = Staging::free(target)?;
    let file = open(archive)?;
    let written = (|| {
        let len = file.metadata().map_err(Error::io(archive))?.len();
        let directory = Directory::of(&file, len)?;
        staging.create(&directory)?;
        write_all(archive, &directory, &staging, progress)
    })();
    staging.commit(written, check)
}

fn open(archive: &Path) -> Result<File, Error> {
    File::open(archive).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::NotFound {
            path: archive.to_path_buf(),
        },
        _ => Error::io(archive)(e),
    })
}

fn write_all(
    archive: &Path,
    directory: &Directory,
    staging: &Staging,
    progress: Progress<'_>,
) -> Result<Unpacked, Error> {
    // Largest first, so one big weight file does not start last and run alone.
    let mut order: Vec<&FileEntry> = directory.files.iter().collect();
    order.sort_by_key(|entry| std::cmp::Reverse(entry.size));
    order
        .par_iter()
        // An open file per thread: stored entries are copied through its
        // cursor (see `copy_stored`), which threads must not share (a
        // duplicated handle would share it too).
        .map_init(
            || File::open(archive),
            |handle, entry| match handle {
                Ok(handle) => write_one(handle, archive, entry, staging, progress),
                Err(e) => Err(Error::Io {
                    path: archive.to_path_buf(),
                    source: io::Error::new(e.kind(), e.to_string()),
                }),
            },
        )
        .try_reduce(
            || Unpacked { files: 0, bytes: 0 },
            |a, b| {
                Ok(Unpacked {
                    files: a.files + b.files,
                    bytes: a.bytes + b.bytes,
                })
            },
        )
}

/// Writes one entry and verifies its size and CRC.
fn write_one(
    source: &File,
    archive: &Path,
    entry: &FileEntry,
    staging: &Staging,
    progress: Progress<'_>,
) -> Result<Unpacked, Error> {
    let data_start = data_start(source, archive, entry)?;
    let path = staging.join(&entry.path);
    let mut out = File::create_new(&path).map_err(Error::io(&path))?;
    let data = PositionalReader {
        file: source,
        pos: data_start,
        end: data_start.saturating_add(entry.compressed),
    };
    let written = if entry.deflated {
        inflate(data, entry, &mut out, &path, progress)?
    } else {
        copy_stored(source, data_start, entry, &mut out, &path, progress)?
    };
    verify(entry, written)
}

/// Where the entry's data starts: after its local header.
fn data_start(source: &File, archive: &Path, entry: &FileEntry) -> Result<u64, Error> {
    let mut fixed = [0u8; local_header::FIXED_LEN as usize];
    let mut header = PositionalReader {
        file: source,
        pos: entry.header_start,
        end: entry.header_start.saturating_add(local_header::FIXED_LEN),
    };
    header.read_exact(&mut fixed).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::corrupt(&entry.name, "archive ends in a header"),
        _ => Error::io(archive)(e),
    })?;
    let variable = local_header::variable_len(&fixed, &entry.name)?;
    Ok(entry.header_start + local_header::FIXED_LEN + variable)
}

/// Copies a stored entry in the kernel (`copy_file_range` where the
/// platform has it, through `std::io::copy`), then checksums the range from
/// the archive's cached pages: both cheaper than moving the bytes through
/// this process. Pieces keep progress reports flowing for large files.
fn copy_stored(
    source: &File,
    data_start: u64,
    entry: &FileEntry,
    out: &mut File,
    out_path: &Path,
    progress: Progress<'_>,
) -> Result<(u64, u32), Error> {
    const PIECE: u64 = 8 << 20;
    let name = entry.name.as_str();
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 18];
    let mut src = source;
    let mut done = 0u64;
    while done < entry.size {
        let piece = (entry.size - done).min(PIECE);
        // Positional reads move the cursor on some platforms: seek every piece.
        src.seek(SeekFrom::Start(data_start + done))
            .map_err(|e| Error::corrupt(name, format!("cannot read data: {e}")))?;
        let copied = io::copy(&mut src.take(piece), out).map_err(Error::io(out_path))?;
        if copied != piece {
            return Err(Error::corrupt(name, "archive ends inside the entry"));
        }
        let mut reader = PositionalReader {
            file: source,
            pos: data_start + done,
            end: data_start + done + piece,
        };
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => crc.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::corrupt(name, format!("bad data: {e}"))),
            }
        }
        done += piece;
        progress(piece)?;
    }
    Ok((done, crc.finalize()))
}

/// Reads a byte range of a shared file without moving a shared cursor, so
/// every thread can read its entry from one handle.
struct PositionalReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for PositionalReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(self.file, &mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside the entry",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}
