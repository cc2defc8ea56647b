//! The `file-system` backend: a repository is the folder `{host}/{name}`.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use crate::local::{Place, TEMP_PREFIX, copy_file, temp_file_beside, write_atomic};
use crate::{
    Backend, BackendPath, Capabilities, Error, LocalStore, ObjectMeta, Progress, PutMode,
    PutOptions, PutWriter, StoreEntry, StoreEntryKind, WriteLock,
};
use audmodel_uid::md5_file;

/// A repository in a local (or mounted) folder, `{host}/{name}`.
///
/// Writes go to a temporary file in the target folder that is renamed into
/// place, so readers never see half a file; [`PutMode::Create`] is
/// atomic (`renameat2(RENAME_NOREPLACE)` or hard link). Folders are created
/// as needed; [`Backend::delete`] leaves emptied folders behind, as the
/// reference does (listings only report files, so they do not matter).
/// Writing into a repository whose root folder does not exist fails with
/// [`Error::Unavailable`] naming the root, as the reference refuses to open
/// it; a write the folder's permissions or a read-only mount refuse, with
/// [`Error::ReadOnly`].
///
/// ```
/// use audmodel_backend::{Backend, BackendPath, FileSystem, PutMode};
/// let host = tempfile::tempdir().unwrap();
/// std::fs::create_dir(host.path().join("repo")).unwrap();
/// let fs = FileSystem::new(host.path(), "repo").unwrap();
/// let path = BackendPath::new("/a/b.txt").unwrap();
/// fs.put_bytes(b"abc", &path, PutMode::Overwrite).unwrap();
/// assert_eq!(fs.checksum(&path).unwrap(), "900150983cd24fb0d6963f7d28e17f72");
/// ```
#[derive(Debug, Clone)]
pub struct FileSystem {
    root: PathBuf,
}

impl FileSystem {
    /// The repository `name` below the folder `host` (`~` is expanded,
    /// relative hosts are made absolute like the reference's `audeer.path`).
    pub fn new(host: impl AsRef<Path>, name: &str) -> Result<Self, Error> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::invalid(
                name,
                "a repository name must be one folder name",
            ));
        }
        let host = expand_home(host.as_ref());
        let absolute = std::path::absolute(&host)
            .map_err(|e| Error::io(e, &host.display().to_string(), "cannot resolve"))?;
        Ok(FileSystem {
            root: normalize(&absolute.join(name)),
        })
    }

    /// The repository's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn local(&self, path: &BackendPath) -> PathBuf {
        self.root.join(path.key())
    }

    /// Creates the folder of `dst` below an existing root.
    fn prepare(&self, dst: &BackendPath) -> Result<PathBuf, Error> {
        self.check_root()?;
        let local = self.local(dst);
        if let Some(dir) = local.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                self.write_refused(Error::io(e, dst.as_str(), "cannot create the folder of"))
            })?;
        }
        Ok(local)
    }

    /// A write refused by the folders' permissions or a read-only mount is
    /// the repository's being read-only, said of the repository rather
    /// than of the file (often a lock file) that was refused.
    fn write_refused(&self, err: Error) -> Error {
        let message = match &err {
            Error::Permission { message, .. } => message.clone(),
            Error::Other { source, .. }
                if source
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::ReadOnlyFilesystem) =>
            {
                source.to_string()
            }
            _ => return err,
        };
        Error::ReadOnly {
            location: self.root.display().to_string(),
            message,
        }
    }

    fn unavailable(&self, reason: String) -> Error {
        Error::Unavailable {
            location: self.root.display().to_string(),
            reason,
        }
    }

    fn put(
        &self,
        dst: &BackendPath,
        mode: PutMode,
        fill: impl FnOnce(&mut File) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let local = self.prepare(dst)?;
        let place = match mode {
            PutMode::Create if local.exists() => {
                // Cheap early answer; the atomic check is the no-clobber move.
                return Err(Error::AlreadyExists {
                    path: dst.as_str().to_owned(),
                });
            }
            PutMode::Create => Place::CreateNew,
            PutMode::Overwrite => Place::Overwrite,
            // Writers of a file system take turns under locks instead.
            PutMode::Update(_) => {
                return Err(Error::Unsupported {
                    what: format!("compare-and-swap writes of '{}'", dst.as_str()),
                });
            }
        };
        write_atomic(&local, dst.as_str(), place, |file| {
            fill(file).map_err(|e| Error::io(e, dst.as_str(), "cannot write"))
        })
        .map_err(|e| self.write_refused(e))
    }

    /// The lock of [`Backend::lock`], waited for or not; `None` when it is
    /// held by another (only without waiting).
    fn take_lock(&self, path: &BackendPath, wait: bool) -> Result<Option<WriteLock>, Error> {
        let (dir, file) = path.split();
        let lock = dir.join(&format!(".{file}.lock"))?;
        loop {
            let local = self.prepare(&lock)?;
            let held = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o664)
                .open(&local)
                .map_err(|e| {
                    self.write_refused(Error::io(e, lock.as_str(), "cannot open the lock file"))
                })?;
            let locking_failed = |e| Error::io(e, lock.as_str(), "cannot lock");
            if wait {
                held.lock().map_err(locking_failed)?;
            } else {
                match held.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => return Err(locking_failed(e)),
                }
            }
            // `audmodel gc` removes the lock file of a model version never
            // registered while it holds the lock: whoever opened that file
            // before holds a lock no later locker asks for, so it locks the
            // file at the path instead.
            let ours = held
                .metadata()
                .map_err(|e| Error::io(e, lock.as_str(), "cannot stat"))?;
            match std::fs::metadata(&local) {
                Ok(now) if (now.dev(), now.ino()) == (ours.dev(), ours.ino()) => {
                    return Ok(Some(WriteLock::new(held)));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(e, lock.as_str(), "cannot stat")),
            }
        }
    }

    fn open(&self, path: &BackendPath) -> Result<File, Error> {
        let local = self.local(path);
        if local.is_dir() {
            return Err(Error::NotFound {
                path: path.as_str().to_owned(),
            });
        }
        File::open(local).map_err(|e| Error::io(e, path.as_str(), "cannot open"))
    }
}

impl Backend for FileSystem {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            locks: true,
            local_files: true,
            create_only: true,
            compare_and_swap: false,
        }
    }

    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let file = open_local(src)?;
        self.put(dst, options.mode, |out| copy_file(&file, out, progress))
    }

    fn put_bytes(&self, data: &[u8], dst: &BackendPath, mode: PutMode) -> Result<(), Error> {
        self.put(dst, mode, |out| out.write_all(data))
    }

    /// Writes in place: into a hidden file beside `dst`
    /// (`.audmodel-tmp-…-{name}`, which listings skip and
    /// [`Backend::remove_cut_writes`] removes after a kill), renamed to
    /// `dst` by [`PutWriter::finish`]: one write of every byte, no copy.
    fn put_writer(&self, dst: &BackendPath) -> Result<Box<dyn PutWriter + '_>, Error> {
        let local = self.prepare(dst)?;
        let (_, name) = dst.split();
        let file = temp_file_beside(&local, &format!("-{name}"))?;
        Ok(Box::new(InPlace {
            file,
            dst: local,
            shown: dst.as_str().to_owned(),
        }))
    }

    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let file = self.open(src)?;
        copy_file(&file, out, progress).map_err(|e| Error::io(e, src.as_str(), "cannot read"))
    }

    fn read_range(&self, src: &BackendPath, range: std::ops::Range<u64>) -> Result<Vec<u8>, Error> {
        let file = self.open(src)?;
        let len = usize::try_from(range.end.saturating_sub(range.start))
            .map_err(|e| Error::io(std::io::Error::other(e), src.as_str(), "cannot read"))?;
        let mut data = vec![0u8; len];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut data, range.start)
            .map_err(|e| Error::io(e, src.as_str(), "cannot read"))?;
        Ok(data)
    }

    fn head(&self, path: &BackendPath) -> Result<ObjectMeta, Error> {
        let meta = self
            .open(path)?
            .metadata()
            .map_err(|e| Error::io(e, path.as_str(), "cannot stat"))?;
        Ok(ObjectMeta::new(meta.len()))
    }

    fn checksum(&self, path: &BackendPath) -> Result<String, Error> {
        self.open(path)?;
        md5_file(&self.local(path)).map_err(|e| Error::io(e, path.as_str(), "cannot read"))
    }

    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, Error> {
        let mut found = Vec::new();
        let start = self.local(prefix);
        if start.is_dir() {
            walk(&start, prefix, &mut found)?;
        }
        found.sort();
        Ok(found)
    }

    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        let file = self.open(src)?;
        self.put(dst, PutMode::Overwrite, |out| {
            copy_file(&file, out, &crate::no_progress)
        })
    }

    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), Error> {
        // A file's checksum is the MD5 of its bytes, which the copy keeps:
        // there is nothing to store beside it.
        let _ = md5;
        self.copy(src, dst)
    }

    fn delete(&self, path: &BackendPath) -> Result<(), Error> {
        let local = self.local(path);
        if local.is_dir() {
            return Err(Error::NotFound {
                path: path.as_str().to_owned(),
            });
        }
        std::fs::remove_file(local)
            .map_err(|e| self.write_refused(Error::io(e, path.as_str(), "cannot remove")))
    }

    /// The reference joins its root (with a trailing separator) and the
    /// backend path with `/`, which gives `{root}///{dir}/...`; kept byte for
    /// byte because users compare what both tools print.
    fn url(&self, path: &BackendPath) -> String {
        format!("{}//{}", self.root.display(), path.as_str())
    }

    fn local(&self) -> Option<&dyn LocalStore> {
        Some(self)
    }

    /// Every file (the hidden temporary files of writes in flight or cut
    /// short as [`StoreEntryKind::CutWrite`]) and every folder below
    /// `prefix`, with sizes and modification times. Names outside the
    /// backend alphabet are skipped.
    fn inventory(&self, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        let mut found = Vec::new();
        let start = self.local(prefix);
        if start.is_dir() {
            take_inventory(&start, prefix, &mut found)?;
        }
        Ok(found)
    }

    /// Removes a file or an empty folder (never the repository's own).
    fn discard(&self, entry: &StoreEntry) -> Result<(), Error> {
        let shown = entry.path.as_str();
        let local = self.local(&entry.path);
        let removed = match entry.kind {
            StoreEntryKind::File | StoreEntryKind::CutWrite => std::fs::remove_file(&local),
            StoreEntryKind::Folder if entry.path.key().is_empty() => {
                return Err(Error::invalid(shown, "the repository's folder stays"));
            }
            StoreEntryKind::Folder => std::fs::remove_dir(&local),
            _ => {
                return Err(Error::Unsupported {
                    what: format!("removing {} '{shown}'", entry.kind),
                });
            }
        };
        removed.map_err(|e| match e.kind() {
            std::io::ErrorKind::DirectoryNotEmpty => Error::Precondition {
                path: shown.to_owned(),
            },
            _ => self.write_refused(Error::io(e, shown, "cannot remove")),
        })
    }
}

impl LocalStore for FileSystem {
    fn check_root(&self) -> Result<(), Error> {
        let root = self.root.display();
        match std::fs::metadata(&self.root) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(self.unavailable(format!("'{root}' is a file, not a folder"))),
            Err(e) => {
                // A file where a folder of the path should be (the host, say)
                // is what the user has to fix, not the missing folder below.
                let file = self
                    .root
                    .ancestors()
                    .skip(1)
                    .find(|a| a.exists())
                    .filter(|a| !a.is_dir());
                Err(self.unavailable(match file {
                    Some(file) if Some(file) == self.root.parent() => {
                        format!("its host '{}' is a file, not a folder", file.display())
                    }
                    Some(file) => format!(
                        "its folder '{root}' cannot exist: '{}' is a file, not a folder",
                        file.display()
                    ),
                    None if e.kind() == std::io::ErrorKind::NotFound => {
                        format!("its folder '{root}' does not exist")
                    }
                    None => format!("its folder '{root}' cannot be read: {e}"),
                }))
            }
        }
    }

    fn create_root(&self) -> Result<(), Error> {
        std::fs::create_dir_all(&self.root).map_err(|e| {
            Error::io(
                e,
                &self.root.display().to_string(),
                "cannot create the repository folder",
            )
        })
    }

    fn local_file(&self, path: &BackendPath) -> Option<PathBuf> {
        let local = self.local(path);
        local.is_file().then_some(local)
    }

    /// An exclusive `flock` on `{dir}/.{file}.lock` (group-writable, so a team
    /// shares the repository), held by every process on every machine that
    /// mounts the folder with working locks; the kernel releases it when the
    /// holder dies, so a killed publisher never blocks the next one.
    fn lock(&self, path: &BackendPath) -> Result<WriteLock, Error> {
        loop {
            if let Some(held) = self.take_lock(path, true)? {
                return Ok(held);
            }
        }
    }

    fn try_lock(&self, path: &BackendPath) -> Result<Option<WriteLock>, Error> {
        self.take_lock(path, false)
    }

    fn remove_cut_writes(&self, folder: &BackendPath) -> Result<usize, Error> {
        let local = self.local(folder);
        let entries = match std::fs::read_dir(&local) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(e, folder.as_str(), "cannot list")),
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                std::fs::remove_file(entry.path())
                    .map_err(|e| Error::io(e, folder.as_str(), "cannot remove a leftover in"))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A file being written beside its final name.
struct InPlace {
    file: tempfile::NamedTempFile,
    dst: PathBuf,
    shown: String,
}

impl Write for InPlace {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl PutWriter for InPlace {
    fn finish(mut self: Box<Self>) -> Result<u64, Error> {
        let shown = self.shown;
        let size = crate::local::flushed_size(&mut self.file, &shown)?;
        self.file
            .persist(&self.dst)
            .map_err(|e| Error::io(e.error, &shown, "cannot move into place"))?;
        Ok(size)
    }
}

fn open_local(src: &Path) -> Result<File, Error> {
    File::open(src).map_err(|e| Error::io(e, &src.display().to_string(), "cannot open"))
}

/// Collects every file below `dir` (backend folder `at`), skipping our own
/// temporary files of writes in flight.
fn walk(dir: &Path, at: &BackendPath, found: &mut Vec<BackendPath>) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A folder removed while we walk is simply empty.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(e, at.as_str(), "cannot list")),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(e, at.as_str(), "cannot list"))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        // Names outside the backend alphabet cannot be addressed; skip them.
        let Ok(path) = at.join(&name) else { continue };
        let file_type = entry
            .file_type()
            .map_err(|e| Error::io(e, path.as_str(), "cannot stat"))?;
        if file_type.is_dir() {
            walk(&entry.path(), &path, found)?;
        } else {
            found.push(path);
        }
    }
    Ok(())
}

/// Collects every file and folder below `dir` (backend folder `at`) with
/// what [`Backend::inventory`] tells of each.
fn take_inventory(dir: &Path, at: &BackendPath, found: &mut Vec<StoreEntry>) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A folder removed while we walk is simply empty.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(e, at.as_str(), "cannot list")),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(e, at.as_str(), "cannot list"))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Ok(path) = at.join(&name) else { continue };
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            // Removed since the folder was read.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(e, path.as_str(), "cannot stat")),
        };
        let modified = meta.modified().ok();
        if meta.is_dir() {
            found.push(StoreEntry::new(
                path.clone(),
                StoreEntryKind::Folder,
                0,
                modified,
            ));
            take_inventory(&entry.path(), &path, found)?;
        } else {
            let kind = match name.starts_with(TEMP_PREFIX) {
                true => StoreEntryKind::CutWrite,
                false => StoreEntryKind::File,
            };
            found.push(StoreEntry::new(path, kind, meta.len(), modified));
        }
    }
    Ok(())
}

fn expand_home(host: &Path) -> PathBuf {
    // Component-wise: `~` and `~/x` expand, `~user` does not.
    match (host.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => host.to_path_buf(),
    }
}

/// Removes `.` and resolves `..` lexically, like Python's `os.path.abspath`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
