//! The checked table of contents of an archive: every entry of its central
//! directory judged safe (or the archive refused) before a byte is written.

use crate::Error;
use crate::entry_name;
use std::collections::BTreeSet;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;
use zip::CompressionMethod;
use zip::read::{ArchiveOffset, Config};

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;

/// Bytes read from the end of a remote archive at first: the central
/// directory of a model with a few thousand files fits.
const FIRST_TAIL: u64 = 256 << 10;

/// The checked entries of an archive, as [`read_directory`] returns them
/// for [`unpack_stream`](crate::unpack_stream).
#[derive(Debug, Clone)]
pub struct Directory {
    /// Folders to create, relative to the target.
    pub(crate) folders: BTreeSet<PathBuf>,
    /// Files, in the order of their local headers in the archive.
    pub(crate) files: Vec<FileEntry>,
    /// Length of the whole archive in bytes.
    pub(crate) len: u64,
}

/// A file entry, checked: safe name, plain file, known method.
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    pub(crate) name: String,
    /// Relative to the target.
    pub(crate) path: PathBuf,
    /// Where the entry's local header starts.
    pub(crate) header_start: u64,
    pub(crate) compressed: u64,
    pub(crate) size: u64,
    pub(crate) crc: u32,
    pub(crate) deflated: bool,
}

impl Directory {
    /// Reads and checks the central directory of an archive of `len` bytes
    /// from a reader over the whole archive.
    pub(crate) fn of<R: Read + Seek>(reader: R, len: u64) -> Result<Directory, Error> {
        // A model archive never has data before its first entry: not
        // searching for an offset keeps every read near the end.
        let config = Config {
            archive_offset: ArchiveOffset::Known(0),
        };
        let zip = zip::ZipArchive::with_config(config, reader).map_err(zip_error)?;
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
            let entry = zip.by_index_data(index).map_err(zip_error)?;
            let name = match entry.name() {
                Ok(name) => name.into_owned(),
                Err(_) => {
                    let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
                    return Err(Error::unsafe_entry(&raw, "name is not valid text"));
                }
            };
            let path: PathBuf = entry_name::components(&name)?.iter().collect();
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
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                folders.insert(parent.to_path_buf());
            }
            files.push(FileEntry {
                header_start: entry.header_start(),
                compressed: entry.compressed_size(),
                size: entry.size(),
                crc: entry.crc32(),
                deflated,
                name,
                path,
            });
        }
        files.sort_by_key(|f| f.header_start);
        // Entries sharing bytes could make one small archive unpack into
        // many large files; a stream can only pass each byte once anyway.
        for pair in files.windows(2) {
            let end = pair[0]
                .header_start
                .saturating_add(crate::local_header::FIXED_LEN)
                .saturating_add(pair[0].compressed);
            if pair[1].header_start < end {
                return Err(Error::corrupt(&pair[1].name, "overlaps the entry before"));
            }
        }
        Ok(Directory {
            folders,
            files,
            len,
        })
    }

    /// Number of file entries (folders not counted).
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// Sum of the files' uncompressed sizes, as the archive declares them.
    pub fn unpacked_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// The file entries as the archive declares them, in archive order:
    /// what a folder unpacked from it must hold, without downloading it.
    ///
    /// ```
    /// # fn main() -> Result<(), audmodel_archive::Error> {
    /// use audmodel_archive::{PackOptions, no_progress, pack, read_directory};
    /// let dir = tempfile::tempdir().unwrap();
    /// let model = dir.path().join("model");
    /// std::fs::create_dir_all(model.join("conf")).unwrap();
    /// std::fs::write(model.join("conf/a.yaml"), b"a: 1\n").unwrap();
    /// let archive = dir.path().join("model.zip");
    /// pack(&model, &archive, &PackOptions::default(), &no_progress)?;
    /// let bytes = std::fs::read(&archive).unwrap();
    /// let directory = read_directory(bytes.len() as u64, |range| {
    ///     Ok::<_, audmodel_archive::Error>(bytes[range.start as usize..range.end as usize].to_vec())
    /// })?;
    /// let entry = directory.entries().next().unwrap();
    /// assert_eq!((entry.name, entry.size), ("conf/a.yaml", 5));
    /// assert_eq!(entry.crc, crc32fast::hash(b"a: 1\n"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn entries(&self) -> impl Iterator<Item = EntryInfo<'_>> {
        self.files.iter().map(|f| EntryInfo {
            name: &f.name,
            size: f.size,
            crc: f.crc,
        })
    }
}

/// One file of a [`Directory`], as its central directory declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryInfo<'a> {
    /// The entry's name: a relative path with `/`, checked safe.
    pub name: &'a str,
    /// Its uncompressed size in bytes.
    pub size: u64,
    /// The CRC-32 of its uncompressed bytes.
    pub crc: u32,
}

/// Reads and checks the central directory of a remote archive of `len`
/// bytes, fetching only byte ranges near its end with `fetch`: the first
/// step of [`unpack_stream`](crate::unpack_stream), taken before any
/// download, so a hostile archive is refused before its data is fetched.
///
/// ```
/// # fn main() -> Result<(), audmodel_archive::Error> {
/// use audmodel_archive::{PackOptions, no_progress, pack, read_directory};
/// let dir = tempfile::tempdir().unwrap();
/// let model = dir.path().join("model");
/// std::fs::create_dir(&model).unwrap();
/// std::fs::write(model.join("weights.bin"), [1u8; 1000]).unwrap();
/// let archive = dir.path().join("model.zip");
/// pack(&model, &archive, &PackOptions::default(), &no_progress)?;
/// let bytes = std::fs::read(&archive).unwrap();
/// let directory = read_directory(bytes.len() as u64, |range| {
///     Ok::<_, audmodel_archive::Error>(bytes[range.start as usize..range.end as usize].to_vec())
/// })?;
/// assert_eq!((directory.files(), directory.unpacked_size()), (1, 1000));
/// # Ok(())
/// # }
/// ```
pub fn read_directory<E: From<Error>>(
    len: u64,
    mut fetch: impl FnMut(Range<u64>) -> Result<Vec<u8>, E>,
) -> Result<Directory, E> {
    let mut start = len.saturating_sub(FIRST_TAIL);
    // Each round fetches from the lowest offset the last one missed; the
    // second round at the latest has every byte the directory spans.
    for _ in 0..3 {
        let bytes = fetch(start..len)?;
        if bytes.len() as u64 != len - start {
            return Err(Error::Corrupt {
                entry: None,
                reason: format!(
                    "{} bytes read where {} were asked for",
                    bytes.len(),
                    len - start
                ),
            }
            .into());
        }
        let mut tail = Tail {
            start,
            bytes: &bytes,
            pos: 0,
            lowest_miss: None,
        };
        match Directory::of(&mut tail, len) {
            Ok(directory) => return Ok(directory),
            Err(e) => match tail.lowest_miss {
                Some(miss) if miss < start => start = miss,
                _ => return Err(e.into()),
            },
        }
    }
    Err(Error::Corrupt {
        entry: None,
        reason: "central directory not found".into(),
    }
    .into())
}

fn zip_error(e: zip::result::ZipError) -> Error {
    Error::Corrupt {
        entry: None,
        reason: e.to_string(),
    }
}

/// The first name the central directory at `start` repeats: the zip crate
/// keeps one entry per name, so the duplicate is found in the raw records.
fn first_duplicate<R: Read + Seek>(reader: R, start: u64) -> Option<String> {
    let mut reader = io::BufReader::new(reader);
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

/// The last bytes of an archive, readable as if the whole archive were
/// there: a read before them fails and records where it started.
struct Tail<'a> {
    start: u64,
    bytes: &'a [u8],
    /// Absolute position in the archive.
    pos: u64,
    lowest_miss: Option<u64>,
}

impl Read for Tail<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.start {
            let miss = self.lowest_miss.map_or(self.pos, |m| m.min(self.pos));
            self.lowest_miss = Some(miss);
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "before the fetched end of the archive",
            ));
        }
        let at = usize::try_from(self.pos - self.start).unwrap_or(usize::MAX);
        let rest = self.bytes.get(at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Tail<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let end = self.start + self.bytes.len() as u64;
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => end.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before the archive")
        })?;
        Ok(self.pos)
    }
}
