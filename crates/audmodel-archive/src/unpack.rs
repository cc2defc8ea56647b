//! Safe, atomic unpacking of an archive into a folder.
//!
//! Every entry is checked before anything is written; data goes into a
//! staging folder that is renamed into place only when all entries were
//! written and verified (size and CRC), so a reader never sees half a model.

use crate::entry_name;
use crate::{Error, Progress};
use flate2::read::DeflateDecoder;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use zip::CompressionMethod;

/// What `unpack` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpacked {
    /// Number of files written (folders not counted).
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// A file entry, checked and located.
struct Planned {
    name: String,
    path: PathBuf,
    data_start: u64,
    compressed: u64,
    size: u64,
    crc: u32,
    deflated: bool,
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;

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
pub fn unpack(archive: &Path, target: &Path, progress: Progress<'_>) -> Result<Unpacked, Error> {
    unpack_checked(archive, target, progress, || Ok::<(), Error>(()))
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
/// pack(&model, &archive, &PackOptions::default(), no_progress())?;
/// let target = dir.path().join("cache");
/// let refused = unpack_checked(&archive, &target, no_progress(), || {
///     Err(Error::Corrupt { entry: None, reason: "checksum differs".into() })
/// });
/// assert!(refused.is_err() && !target.exists());
/// unpack_checked(&archive, &target, no_progress(), || Ok::<(), Error>(()))?;
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
    let (file, staging) = open_staged(archive, target)?;
    let result = plan(file, &staging).and_then(|(folders, files)| {
        fs::create_dir_all(&staging).map_err(Error::io(&staging))?;
        write_all(archive, &folders, &files, progress)
    });
    let unpacked = match result.map_err(E::from).and_then(|u| check().map(|()| u)) {
        Ok(unpacked) => unpacked,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if let Err(e) = fs::rename(&staging, target) {
        let _ = fs::remove_dir_all(&staging);
        return Err(Error::io(target)(e).into());
    }
    Ok(unpacked)
}

/// Opens the archive and frees the staging folder's name; returns both.
fn open_staged(archive: &Path, target: &Path) -> Result<(File, PathBuf), Error> {
    if fs::symlink_metadata(target).is_ok() {
        return Err(Error::AlreadyExists {
            path: target.to_path_buf(),
        });
    }
    let file = match File::open(archive) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::NotFound {
                path: archive.to_path_buf(),
            });
        }
        Err(e) => return Err(Error::io(archive)(e)),
    };
    let mut staging = target.as_os_str().to_owned();
    staging.push("~");
    let staging = PathBuf::from(staging);
    remove_staging(&staging)?;
    Ok((file, staging))
}

fn remove_staging(staging: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(staging) {
        Err(_) => Ok(()),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(staging).map_err(Error::io(staging)),
        Ok(_) => fs::remove_file(staging).map_err(Error::io(staging)),
    }
}

fn zip_error(e: zip::result::ZipError) -> Error {
    Error::Corrupt {
        entry: None,
        reason: e.to_string(),
    }
}

/// Checks every entry; returns the folders to create and the files to write.
fn plan(file: File, staging: &Path) -> Result<(BTreeSet<PathBuf>, Vec<Planned>), Error> {
    let mut zip = zip::ZipArchive::new(file).map_err(zip_error)?;
    if zip.has_duplicate_names() {
        let start = zip.central_directory_start();
        let name = first_duplicate(zip.into_inner(), start);
        return Err(Error::Corrupt {
            entry: name,
            reason: "duplicate entry name".into(),
        });
    }
    let mut folders = BTreeSet::new();
    let mut files = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(zip_error)?;
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => {
                let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
                return Err(Error::unsafe_entry(&raw, "name is not valid text"));
            }
        };
        let parts = entry_name::components(&name)?;
        let path = parts.iter().fold(staging.to_path_buf(), |p, c| p.join(c));
        if entry.encrypted() {
            return Err(Error::unsafe_entry(&name, "encrypted"));
        }
        let kind = entry.unix_mode().map(|mode| mode & S_IFMT).unwrap_or(0);
        if entry.is_symlink() || (kind != 0 && kind != S_IFREG && kind != S_IFDIR) {
            return Err(Error::unsafe_entry(
                &name,
                format!("not a regular file or folder (mode {kind:o})"),
            ));
        }
        if entry.is_dir() || kind == S_IFDIR {
            if entry.size() != 0 {
                return Err(Error::corrupt(&name, "folder with data"));
            }
            folders.insert(path);
            continue;
        }
        let deflated = match entry.compression() {
            CompressionMethod::Stored => false,
            CompressionMethod::Deflated => true,
            other => {
                return Err(Error::unsafe_entry(
                    &name,
                    format!("unsupported compression method {other}"),
                ));
            }
        };
        if !deflated && entry.compressed_size() != entry.size() {
            return Err(Error::corrupt(&name, "stored entry with differing sizes"));
        }
        let Some(data_start) = entry.data_start() else {
            return Err(Error::corrupt(&name, "no local header"));
        };
        if let Some(parent) = path.parent() {
            folders.insert(parent.to_path_buf());
        }
        files.push(Planned {
            data_start,
            compressed: entry.compressed_size(),
            size: entry.size(),
            crc: entry.crc32(),
            deflated,
            name,
            path,
        });
    }
    Ok((folders, files))
}

/// The first name the central directory at `start` repeats: the zip crate
/// keeps one entry per name, so the duplicate is found in the raw records.
fn first_duplicate(file: File, start: u64) -> Option<String> {
    let mut reader = io::BufReader::new(file);
    reader.seek(SeekFrom::Start(start)).ok()?;
    let mut seen = std::collections::HashSet::new();
    let mut fixed = [0u8; 46];
    loop {
        reader.read_exact(&mut fixed).ok()?;
        if fixed[..4] != [0x50, 0x4b, 0x01, 0x02] {
            return None;
        }
        let field = |at: usize| usize::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
        let mut name = vec![0u8; field(28)];
        reader.read_exact(&mut name).ok()?;
        let skip = field(30) + field(32);
        reader.seek_relative(i64::try_from(skip).ok()?).ok()?;
        if !seen.insert(name.clone()) {
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
    }
}

fn write_all(
    archive: &Path,
    folders: &BTreeSet<PathBuf>,
    files: &[Planned],
    progress: Progress<'_>,
) -> Result<Unpacked, Error> {
    for folder in folders {
        fs::create_dir_all(folder).map_err(Error::io(folder))?;
    }
    // Largest first, so one big weight file does not start last and run alone.
    let mut order: Vec<&Planned> = files.iter().collect();
    order.sort_by_key(|p| std::cmp::Reverse(p.size));
    order
        .par_iter()
        .map_init(
            || File::open(archive),
            |source, planned| match source {
                Ok(source) => write_one(source, planned, progress),
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
fn write_one(source: &File, planned: &Planned, progress: Progress<'_>) -> Result<Unpacked, Error> {
    let name = planned.name.as_str();
    let mut out = File::create_new(&planned.path).map_err(Error::io(&planned.path))?;
    let (written, crc) = if planned.deflated {
        inflate(source, planned, &mut out, progress)?
    } else {
        copy_stored(source, planned, &mut out, progress)?
    };
    if written != planned.size {
        return Err(Error::corrupt(
            name,
            format!("{written} bytes of data, {} declared", planned.size),
        ));
    }
    if crc != planned.crc {
        return Err(Error::corrupt(name, "CRC-32 does not match the data"));
    }
    Ok(Unpacked {
        files: 1,
        bytes: written,
    })
}

fn entry_reader<'a>(
    source: &'a File,
    planned: &Planned,
    from: u64,
    len: u64,
) -> PositionalReader<'a> {
    let pos = planned.data_start.saturating_add(from);
    PositionalReader {
        file: source,
        pos,
        end: pos.saturating_add(len),
    }
}

/// Decompresses an entry; returns the bytes written and their CRC.
fn inflate(
    source: &File,
    planned: &Planned,
    out: &mut File,
    progress: Progress<'_>,
) -> Result<(u64, u32), Error> {
    let name = planned.name.as_str();
    let mut decoder = DeflateDecoder::new(entry_reader(source, planned, 0, planned.compressed));
    let mut crc = crc32fast::Hasher::new();
    let mut written = 0u64;
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::corrupt(name, format!("bad data: {e}"))),
        };
        written += n as u64;
        // Checked as it goes: a lying size must not fill the disk.
        if written > planned.size {
            return Err(Error::corrupt(name, "more data than the declared size"));
        }
        crc.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(Error::io(&planned.path))?;
        progress(n as u64);
    }
    if decoder.total_in() != planned.compressed {
        return Err(Error::corrupt(
            name,
            "compressed data does not match the declared compressed size",
        ));
    }
    Ok((written, crc.finalize()))
}

/// Copies a stored entry in the kernel (`copy_file_range` where the
/// platform has it, through `std::io::copy`), then checksums the range from
/// the archive's cached pages: both cheaper than moving the bytes through
/// this process. Pieces keep progress reports flowing for large files.
fn copy_stored(
    source: &File,
    planned: &Planned,
    out: &mut File,
    progress: Progress<'_>,
) -> Result<(u64, u32), Error> {
    const PIECE: u64 = 8 << 20;
    let name = planned.name.as_str();
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 18];
    let mut src = source;
    let mut done = 0u64;
    while done < planned.size {
        let piece = (planned.size - done).min(PIECE);
        // Positional reads move the cursor on some platforms: seek every piece.
        src.seek(SeekFrom::Start(planned.data_start + done))
            .map_err(|e| Error::corrupt(name, format!("cannot read data: {e}")))?;
        let copied = io::copy(&mut src.take(piece), out).map_err(Error::io(&planned.path))?;
        if copied != piece {
            return Err(Error::corrupt(name, "archive ends inside the entry"));
        }
        let mut reader = entry_reader(source, planned, done, piece);
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => crc.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::corrupt(name, format!("bad data: {e}"))),
            }
        }
        done += piece;
        progress(piece);
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
