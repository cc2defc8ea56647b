//! Packing a folder into a zip archive, compressing on every core.
//!
//! Files are cut into chunks that a thread pool reads and compresses; the
//! calling thread writes the results strictly in order, so memory stays
//! bounded by the window of chunks in flight whatever the model size.

use crate::chunk::{self, Chunk};
use crate::walk::{self, SourceFile};
use crate::zip_format::{self, Entry, Method};
use crate::{Error, Progress};
use audmodel_util::HashingWriter;
use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, sync_channel};

/// Size of the pieces a file is compressed in: large enough that the
/// dictionary reset at each boundary costs nothing measurable, small enough
/// that a window of them stays well under the memory target.
pub(crate) const CHUNK_SIZE: usize = 1 << 20;

/// Sizes tests shrink to reach chunking and zip64 with small files.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    pub(crate) chunk_size: usize,
    /// Entries at least this large get zip64 records.
    pub(crate) zip64_threshold: u64,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            chunk_size: CHUNK_SIZE,
            zip64_threshold: zip_format::ZIP64_ENTRY_THRESHOLD,
        }
    }
}

/// Chunks in flight at most: each holds its input and output, so about
/// 2 MiB at the default chunk size.
const MAX_IN_FLIGHT: usize = 32;

/// Bytes of a file's start deflated to decide whether the file is stored.
const SAMPLE_SIZE: usize = 1 << 16;

/// How to pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackOptions {
    /// Deflate level: 0 stores, 1 (the reference's default) is fastest, 9
    /// smallest; archive sizes match the reference's at the same level.
    pub level: u32,
    /// A file whose first 64 KiB deflate by less than this many percent is
    /// stored instead. Weights of trained models (random-looking floats)
    /// shrink by about 7 % at any level, for most of the packing time, so
    /// by default (10) they are stored and packing runs at disk speed; 0
    /// deflates every file, as the reference does.
    pub min_saving_percent: u8,
}

impl Default for PackOptions {
    fn default() -> Self {
        Self {
            level: 1,
            min_saving_percent: 10,
        }
    }
}

/// What `pack` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed {
    /// Size of the archive in bytes.
    pub size: u64,
    /// MD5 hex digest of the archive, computed while writing it.
    pub md5: String,
    /// Number of files in the archive.
    pub files: u64,
}

/// Packs every file below `root` (recursively, hidden files too) into a new
/// zip at `archive`, replacing a file there.
///
/// Entries are named relative to `root` with `/`, in sorted order, with a
/// fixed timestamp: the same folder always gives the same bytes. Empty
/// folders are not stored, as in the reference. `progress` receives the
/// number of file bytes just packed; they add up to [`pack_size`].
///
/// ```
/// use audmodel_archive::{PackOptions, no_progress, pack, unpack};
///
/// let dir = tempfile::tempdir()?;
/// let model = dir.path().join("model");
/// std::fs::create_dir_all(model.join("sub"))?;
/// std::fs::write(model.join("sub/weights.bin"), [0u8; 1000])?;
/// let archive = dir.path().join("model.zip");
///
/// let packed = pack(&model, &archive, &PackOptions::default(), &no_progress)?;
/// assert_eq!(packed.files, 1);
/// assert_eq!(packed.md5, audmodel_util::md5_file(&archive)?);
///
/// let copy = dir.path().join("copy");
/// unpack(&archive, &copy, &no_progress)?;
/// assert_eq!(std::fs::read(copy.join("sub/weights.bin"))?, [0u8; 1000]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pack(
    root: impl AsRef<Path>,
    archive: impl AsRef<Path>,
    options: &PackOptions,
    progress: Progress<'_>,
) -> Result<Packed, Error> {
    pack_tuned(
        root.as_ref(),
        archive.as_ref(),
        options,
        progress,
        Tuning::default(),
    )
}

/// Total bytes `pack` will report through its progress callback: the sum of
/// the sizes of the files below `root`.
pub fn pack_size(root: impl AsRef<Path>) -> Result<u64, Error> {
    Ok(walk::list_files(root.as_ref())?
        .iter()
        .map(|f| f.size)
        .sum())
}

/// Packs every file below `root` into `out` as [`pack`] does into a file,
/// front to back, without hashing it: for a caller that writes the archive
/// straight to its store (and hashes it only when the store needs the
/// checksum). `shown` names the destination in errors. On an error `out`
/// holds part of an archive: the caller discards it.
///
/// ```
/// use audmodel_archive::{PackOptions, no_progress, pack_into};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("weights.bin"), [0u8; 1000])?;
/// let mut archive = Vec::new();
/// let shown = std::path::Path::new("memory");
/// let packed = pack_into(dir.path(), &mut archive, shown, &PackOptions::default(), &no_progress)?;
/// assert_eq!((packed.size, packed.files), (archive.len() as u64, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pack_into(
    root: &Path,
    out: &mut dyn Write,
    shown: &Path,
    options: &PackOptions,
    progress: Progress<'_>,
) -> Result<PackedStream, Error> {
    let mut buffered = BufWriter::with_capacity(1 << 20, out);
    let packed = write_archive(
        root,
        &mut buffered,
        shown,
        options,
        progress,
        Tuning::default(),
    )?;
    buffered
        .into_inner()
        .map_err(|e| Error::io(shown)(e.into_error()))?;
    Ok(packed)
}

/// What [`pack_into`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackedStream {
    /// Size of the archive in bytes.
    pub size: u64,
    /// Number of files in the archive.
    pub files: u64,
}

/// [`pack`] with chosen internal sizes.
pub(crate) fn pack_tuned(
    root: &Path,
    archive: &Path,
    options: &PackOptions,
    progress: Progress<'_>,
    tuning: Tuning,
) -> Result<Packed, Error> {
    // The folder's own errors (missing, not a folder) before the
    // archive's; `write_archive` lists it again, a cheap walk.
    walk::list_files(root)?;
    if let Some(parent) = archive.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(Error::io(parent))?;
        let root = root.canonicalize().map_err(Error::io(root))?;
        let parent = parent.canonicalize().map_err(Error::io(parent))?;
        if parent.starts_with(&root) {
            return Err(Error::InvalidInput {
                reason: format!(
                    "archive {} lies inside the packed folder",
                    archive.display()
                ),
            });
        }
    }
    let out = File::create(archive).map_err(Error::io(archive))?;
    let mut out = HashingWriter::new(BufWriter::with_capacity(1 << 20, out));
    let result =
        write_archive(root, &mut out, archive, options, progress, tuning).and_then(|written| {
            let (buffered, size, md5) = out.finish();
            buffered
                .into_inner()
                .map_err(|e| Error::io(archive)(e.into_error()))?;
            Ok(Packed {
                size,
                md5,
                files: written.files,
            })
        });
    if result.is_err() {
        // A half-written archive must not pass for a whole one.
        let _ = fs::remove_file(archive);
    }
    result
}

/// Writes the archive of `root` into `out` (`shown` in errors).
fn write_archive(
    root: &Path,
    out: &mut dyn Write,
    shown: &Path,
    options: &PackOptions,
    progress: Progress<'_>,
    tuning: Tuning,
) -> Result<PackedStream, Error> {
    let chunk_size = tuning.chunk_size.max(1);
    if options.level > 9 {
        return Err(Error::InvalidInput {
            reason: format!("compression level must be 0 to 9, not {}", options.level),
        });
    }
    let files = walk::list_files(root)?;
    let pool = rayon::ThreadPoolBuilder::new()
        // One compression thread per core.
        .num_threads(0)
        .thread_name(|i| format!("pack-{i}"))
        .build()
        .map_err(|e| Error::Io {
            path: shown.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
    let writer = ArchiveWriter {
        out: Counting {
            inner: out,
            written: 0,
        },
        path: shown,
        entries: Vec::with_capacity(files.len()),
        current: None,
        progress,
    };
    // Two chunks per thread keep every core busy while the writer waits on
    // the oldest; the cap keeps memory bounded on machines with many cores.
    let window = (pool.current_num_threads() * 2 + 2).min(MAX_IN_FLIGHT);
    pool.in_place_scope(|scope| {
        let mut writer = writer;
        let mut pending: VecDeque<Pending> = VecDeque::with_capacity(window);
        for file in &files {
            let method = choose_method(file, options)?;
            let level = (method == Method::Deflated).then_some(options.level);
            let chunks = file.size.div_ceil(chunk_size as u64).max(1);
            for index in 0..chunks {
                if pending.len() >= window
                    && let Some(done) = pending.pop_front()
                {
                    writer.take(done)?;
                }
                let offset = index * chunk_size as u64;
                let len = (file.size - offset).min(chunk_size as u64) as usize;
                let last = index + 1 == chunks;
                let (tx, rx) = sync_channel(1);
                let path = file.path.as_path();
                scope.spawn(move |_| {
                    let result = chunk::read_range(path, offset, len, last)
                        .and_then(|raw| chunk::process(raw, level, last).map_err(Error::io(path)));
                    // The writer hung up after an error elsewhere: nothing to report to.
                    let _ = tx.send(result);
                });
                let start = (index == 0).then(|| Entry {
                    name: file.name.clone(),
                    method,
                    mode: file.mode,
                    crc: 0,
                    compressed: 0,
                    uncompressed: 0,
                    offset: 0,
                    zip64_local: file.size >= tuning.zip64_threshold,
                });
                pending.push_back(Pending { start, last, rx });
            }
        }
        while let Some(done) = pending.pop_front() {
            writer.take(done)?;
        }
        writer.finish()
    })
}

/// Counts what passes, for the offsets the zip records hold.
struct Counting<'a> {
    inner: &'a mut dyn Write,
    written: u64,
}

impl Counting<'_> {
    fn position(&self) -> u64 {
        self.written
    }
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Deflated, unless level 0 or the file's start shows deflate barely helps.
fn choose_method(file: &SourceFile, options: &PackOptions) -> Result<Method, Error> {
    if options.level == 0 {
        return Ok(Method::Stored);
    }
    if options.min_saving_percent == 0 || file.size < SAMPLE_SIZE as u64 {
        return Ok(Method::Deflated);
    }
    let sample = chunk::read_range(&file.path, 0, SAMPLE_SIZE, false)?;
    let packed = chunk::deflate(&sample, options.level, true).map_err(Error::io(&file.path))?;
    let saving = 100 - (packed.len() * 100 / sample.len()).min(100);
    Ok(if saving < usize::from(options.min_saving_percent) {
        Method::Stored
    } else {
        Method::Deflated
    })
}

/// A chunk in flight; `start` carries the entry for a file's first chunk.
struct Pending {
    start: Option<Entry>,
    last: bool,
    rx: Receiver<Result<Chunk, Error>>,
}

struct ArchiveWriter<'a> {
    out: Counting<'a>,
    path: &'a Path,
    entries: Vec<Entry>,
    current: Option<(Entry, crc32fast::Hasher)>,
    progress: Progress<'a>,
}

impl ArchiveWriter<'_> {
    /// Writes the next chunk in archive order (with the entry's local header
    /// before its first chunk and its data descriptor after its last).
    fn take(&mut self, pending: Pending) -> Result<(), Error> {
        let io = Error::io(self.path);
        if let Some(mut entry) = pending.start {
            entry.offset = self.out.position();
            zip_format::write_local_header(&mut self.out, &entry).map_err(Error::io(self.path))?;
            self.current = Some((entry, crc32fast::Hasher::new()));
        }
        let chunk = pending.rx.recv().map_err(|_| Error::Io {
            path: self.path.to_path_buf(),
            source: std::io::Error::other("a compression thread died"),
        })??;
        self.out.write_all(&chunk.data).map_err(io)?;
        let Some((entry, crc)) = self.current.as_mut() else {
            return Err(Error::Io {
                path: self.path.to_path_buf(),
                source: std::io::Error::other("chunk without an entry"),
            });
        };
        crc.combine(&chunk.crc);
        entry.compressed += chunk.data.len() as u64;
        entry.uncompressed += chunk.raw_len;
        (self.progress)(chunk.raw_len)?;
        if pending.last
            && let Some((mut entry, crc)) = self.current.take()
        {
            entry.crc = crc.finalize();
            zip_format::write_data_descriptor(&mut self.out, &entry)
                .map_err(Error::io(self.path))?;
            self.entries.push(entry);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<PackedStream, Error> {
        let start = self.out.position();
        zip_format::write_central_directory(&mut self.out, &self.entries, start)
            .map_err(Error::io(self.path))?;
        self.out.flush().map_err(Error::io(self.path))?;
        Ok(PackedStream {
            size: self.out.position(),
            files: self.entries.len() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{noise, python_reads_like_folder, read_tree, write_tree};
    use crate::{no_progress, unpack};

    fn tuned(chunk_size: usize, zip64_threshold: u64) -> Tuning {
        Tuning {
            chunk_size,
            zip64_threshold,
        }
    }

    /// A folder with files of one, several and exactly two chunks, plus an
    /// empty one, so chunk boundaries are crossed in every way.
    fn chunky_folder(root: &Path) {
        let text: Vec<u8> = (0..10_000u32)
            .flat_map(|i| format!("{i},").into_bytes())
            .collect();
        write_tree(
            root,
            &[
                ("a/text.csv", text),
                ("a/noise.bin", noise(7_777, 3)),
                ("b/exact.bin", noise(2_000, 4)),
                ("b/empty", Vec::new()),
                ("small.txt", b"hi".to_vec()),
            ],
        );
    }

    #[test]
    fn files_larger_than_a_chunk_round_trip_at_every_level() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("model");
        chunky_folder(&root);
        for level in [0, 1, 6, 9] {
            for min_saving_percent in [0, 1] {
                let archive = dir.path().join(format!("{level}-{min_saving_percent}.zip"));
                let options = PackOptions {
                    level,
                    min_saving_percent,
                };
                let packed = pack_tuned(
                    &root,
                    &archive,
                    &options,
                    &no_progress,
                    tuned(1000, u64::MAX),
                )
                .unwrap();
                assert_eq!(packed.files, 5);
                assert_eq!(packed.size, fs::metadata(&archive).unwrap().len());
                assert_eq!(packed.md5, audmodel_util::md5_file(&archive).unwrap());
                let target = dir.path().join(format!("out-{level}-{min_saving_percent}"));
                unpack(&archive, &target, &no_progress).unwrap();
                assert_eq!(read_tree(&target), read_tree(&root));
                python_reads_like_folder(&archive, &root);
            }
        }
    }

    #[test]
    fn chunking_does_not_change_the_unpacked_content_but_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("model");
        chunky_folder(&root);
        let options = PackOptions::default();
        let pack_to = |name: &str, chunk: usize| {
            let archive = dir.path().join(name);
            pack_tuned(
                &root,
                &archive,
                &options,
                &no_progress,
                tuned(chunk, u64::MAX),
            )
            .unwrap();
            fs::read(archive).unwrap()
        };
        let small_a = pack_to("a.zip", 1000);
        let small_b = pack_to("b.zip", 1000);
        let whole = pack_to("c.zip", CHUNK_SIZE);
        assert_eq!(small_a, small_b);
        assert_ne!(
            small_a, whole,
            "chunk boundaries should show in the deflate stream"
        );
    }

    #[test]
    fn packing_into_a_writer_gives_the_bytes_of_packing_into_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("model");
        chunky_folder(&root);
        for level in [0, 1] {
            let options = PackOptions {
                level,
                ..PackOptions::default()
            };
            let archive = dir.path().join(format!("{level}.zip"));
            let packed = pack(&root, &archive, &options, &no_progress).unwrap();
            let mut streamed = Vec::new();
            let written =
                pack_into(&root, &mut streamed, &archive, &options, &no_progress).unwrap();
            assert_eq!(streamed, fs::read(&archive).unwrap());
            assert_eq!((written.size, written.files), (packed.size, packed.files));
        }
    }

    #[test]
    fn incompressible_files_are_stored_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("model");
        write_tree(
            &root,
            &[
                ("weights.bin", noise(200_000, 9)),
                ("zeros.bin", vec![0; 200_000]),
            ],
        );
        let archive = dir.path().join("m.zip");
        pack(&root, &archive, &PackOptions::default(), &no_progress).unwrap();
        let mut zip = zip::ZipArchive::new(File::open(&archive).unwrap()).unwrap();
        let method =
            |zip: &mut zip::ZipArchive<File>, name| zip.by_name(name).unwrap().compression();
        assert_eq!(
            method(&mut zip, "weights.bin"),
            zip::CompressionMethod::Stored
        );
        assert_eq!(
            method(&mut zip, "zeros.bin"),
            zip::CompressionMethod::Deflated
        );
        python_reads_like_folder(&archive, &root);
    }

    #[test]
    fn zip64_entries_are_read_by_zip_and_python() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("model");
        chunky_folder(&root);
        for level in [0, 1] {
            let archive = dir.path().join(format!("{level}.zip"));
            let options = PackOptions {
                level,
                ..PackOptions::default()
            };
            pack_tuned(&root, &archive, &options, &no_progress, tuned(1000, 0)).unwrap();
            let target = dir.path().join(format!("out-{level}"));
            unpack(&archive, &target, &no_progress).unwrap();
            assert_eq!(read_tree(&target), read_tree(&root));
            python_reads_like_folder(&archive, &root);
        }
    }
}
