//! The storage trait every backend implements: a few required methods, and
//! what a store can do beyond them said by [`Capabilities`].

use std::path::{Path, PathBuf};

use crate::{BackendPath, Error, Progress};

/// Whether a write may replace what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PutMode {
    /// Replace the file when it exists.
    #[default]
    Overwrite,
    /// Write only when nothing is stored there yet, else
    /// [`Error::AlreadyExists`]. Whether a concurrent writer is kept out
    /// depends on the store: see [`Capabilities::create_only`].
    Create,
    /// Replace the file only while it is still the version read with
    /// [`Backend::get_for_update`], else [`Error::Precondition`] (also when
    /// it is gone). For stores with [`Capabilities::compare_and_swap`];
    /// the others refuse it with [`Error::Unsupported`]. Meant for small
    /// files ([`Backend::put_bytes`]); `put_file` may refuse it.
    Update(UpdateVersion),
}

/// The version of a stored file as its store names it, read with
/// [`Backend::get_for_update`] and handed back in [`PutMode::Update`] (as
/// object_store's `UpdateVersion`). Opaque to callers: only the store that
/// gave it can compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpdateVersion {
    /// The entity tag (S3's `ETag`, a generation number in memory).
    pub e_tag: Option<String>,
    /// The store's version id, on stores that keep versions.
    pub version: Option<String>,
}

/// How to upload a local file with [`Backend::put_file`].
#[derive(Debug, Clone, Default)]
pub struct PutOptions<'a> {
    /// Overwrite or create-only.
    pub mode: PutMode,
    /// The file's MD5 hex when the caller knows it already (hashed while
    /// writing it): stores that need the checksum before an upload starts
    /// (an S3 multipart upload) then skip their own pass over the file. It
    /// must be right: it may become the stored checksum.
    pub md5: Option<&'a str>,
}

/// What a store does beyond the required methods, so callers choose a
/// protocol by what the store can do, never by its name. Built from
/// [`Capabilities::default`] (nothing) with the `with_…` methods:
///
/// ```
/// use audmodel_backend::Capabilities;
/// let s3_like = Capabilities::default().with_create_only(true).with_compare_and_swap(true);
/// assert!(s3_like.create_only && !s3_like.locks);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// [`LocalStore::lock`] gives locks that every writer of the store takes,
    /// so writers of one model can take turns.
    pub locks: bool,
    /// [`LocalStore::local_file`] gives the files on this machine, to read in
    /// place.
    pub local_files: bool,
    /// [`PutMode::Create`] is decided atomically by the store: of two
    /// concurrent create-only writes exactly one succeeds. Without it the
    /// check and the write are two steps, and a racer may be overwritten.
    pub create_only: bool,
    /// [`PutMode::Update`] is decided atomically by the store (S3's
    /// `If-Match` with the ETag [`Backend::get_for_update`] read): of two
    /// writers that read one version exactly one replaces it, the other
    /// gets [`Error::Precondition`]. Stores with it have `create_only` too.
    pub compare_and_swap: bool,
}

impl Capabilities {
    /// With or without [`Capabilities::locks`].
    pub fn with_locks(mut self, yes: bool) -> Self {
        self.locks = yes;
        self
    }

    /// With or without [`Capabilities::local_files`].
    pub fn with_local_files(mut self, yes: bool) -> Self {
        self.local_files = yes;
        self
    }

    /// With or without [`Capabilities::create_only`].
    pub fn with_create_only(mut self, yes: bool) -> Self {
        self.create_only = yes;
        self
    }

    /// With or without [`Capabilities::compare_and_swap`].
    pub fn with_compare_and_swap(mut self, yes: bool) -> Self {
        self.compare_and_swap = yes;
        self
    }
}

/// A flat store of files addressed by [`BackendPath`]s: a folder on a file
/// system or a bucket on an S3 server. The conveniences built on these
/// methods are in [`BackendExt`].
///
/// Every method is blocking; S3 backends run their own async runtime inside.
/// Long transfers stop with [`Error::Cancelled`] when their progress
/// callback says so.
///
/// **A missing file is [`Error::NotFound`] whose `path` is the path asked
/// for**, exactly as given ([`BackendPath::as_str`]), never a parent or a
/// translated key: [`BackendExt::exists`] tells "not there" from "another
/// file is missing" by comparing the two, and callers do the same.
///
/// What every store must do is checked by the conformance suite
/// (`conformance::run_all`, cargo feature `conformance`); docs/adding-a-store.md
/// walks through a store written from scratch.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// What this store can do; a wrapper must pass on its inner store's
    /// answer or say what it changes.
    fn capabilities(&self) -> Capabilities;

    /// [`Backend::capabilities`], or why the store could not be asked (an
    /// S3 store's conditional-write probe refused for want of credentials,
    /// or not answered), for a caller that reports what a store can do:
    /// `capabilities` answers a safe guess then, not the store's answer.
    fn known_capabilities(&self) -> Result<Capabilities, Error> {
        Ok(self.capabilities())
    }

    /// Uploads the local file `src` to `dst`. Readers see either the old or
    /// the new content, never a part.
    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error>;

    /// Opens `dst` for a file written front to back whose size and checksum
    /// are known only at its end (an archive as it is packed). Nothing is
    /// stored under `dst` until [`PutWriter::finish`], which replaces what is
    /// there; a writer dropped unfinished leaves nothing a listing shows.
    ///
    /// Where a store keeps checksums as metadata given at the start (S3),
    /// the file gets none: write it under a hidden key and copy it into place
    /// with [`Backend::copy_with_checksum`]. The default writes a local
    /// temporary file and uploads it with [`Backend::put_file`] at the end;
    /// stores that can do better (a file system writes in place, S3 streams
    /// parts while later ones are written) say so by overriding it.
    fn put_writer(&self, dst: &BackendPath) -> Result<Box<dyn PutWriter + '_>, Error> {
        crate::spool::Spool::open(self, dst)
    }

    /// Writes a small file (YAML) from memory.
    fn put_bytes(&self, data: &[u8], dst: &BackendPath, mode: PutMode) -> Result<(), Error>;

    /// Writes the whole file `src` into `out`, front to back, so a caller can
    /// hash or unpack it as it arrives instead of storing it first.
    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn std::io::Write,
        progress: Progress<'_>,
    ) -> Result<(), Error>;

    /// The whole (small) file `src` with the version it has, to write it
    /// back with [`PutMode::Update`], for stores with
    /// [`Capabilities::compare_and_swap`]; [`Error::Unsupported`] on the
    /// others.
    fn get_for_update(&self, src: &BackendPath) -> Result<(Vec<u8>, UpdateVersion), Error> {
        Err(Error::Unsupported {
            what: format!("reading '{}' for a compare-and-swap", src.as_str()),
        })
    }

    /// The bytes `range` of the file `src` (say, the end of an archive, where
    /// its table of contents is); an error when the file is shorter.
    fn read_range(&self, src: &BackendPath, range: std::ops::Range<u64>) -> Result<Vec<u8>, Error>;

    /// Size of the file at `path`, without reading it.
    fn head(&self, path: &BackendPath) -> Result<ObjectMeta, Error>;

    /// The MD5 of the file's content as lower-case hex, as the reference
    /// reads it (the file's MD5 on a file system, which reads the file; the
    /// `checksum` user metadata on S3).
    fn checksum(&self, path: &BackendPath) -> Result<String, Error>;

    /// Every file below the folder `prefix`, recursively, sorted; empty when
    /// the folder does not exist.
    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, Error>;

    /// Copies the file `src` to `dst` inside the store (on S3 a server-side
    /// copy, which keeps the `checksum` metadata), replacing what is there;
    /// readers of `dst` see the old or the new content, never a part.
    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error>;

    /// [`Backend::copy`] that gives `dst` the checksum `md5` (the MD5 hex of
    /// the content, which the caller must know right): on S3 the `checksum`
    /// metadata is replaced (what [`Backend::put_writer`] could not set).
    /// Required, with no default, because a store that keeps checksums as
    /// metadata and copied without it would lose the checksum a publish
    /// relies on; stores that compute checksums from the content copy.
    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), Error>;

    /// Removes the file at `path`; [`Error::NotFound`] when there is none.
    fn delete(&self, path: &BackendPath) -> Result<(), Error>;

    /// What the reference prints for `audmodel.url` of this path.
    fn url(&self, path: &BackendPath) -> String;

    /// The powers only a store on this machine's file system has (locks,
    /// files read in place, a root folder, the leftovers of cut writes), or
    /// `None`: stores in a bucket have none of them. A store that returns
    /// `Some` says so in its [`Capabilities`] too (`locks`, `local_files`),
    /// and a wrapper passes on its inner store's answer.
    fn local(&self) -> Option<&dyn LocalStore> {
        None
    }

    /// Everything the store holds below the folder `prefix`, with size and
    /// time of the last change where the store keeps one, for finding what
    /// killed writers left: the files [`Backend::list`] shows and what it
    /// hides, the hidden files of writes cut short
    /// ([`StoreEntryKind::CutWrite`]), unfinished uploads
    /// ([`StoreEntryKind::Upload`]) and, where the store has folders, every
    /// folder ([`StoreEntryKind::Folder`]). Unsorted. The default lists the
    /// files and asks each one's size; they have no time.
    fn inventory(&self, prefix: &BackendPath) -> Result<Vec<StoreEntry>, Error> {
        self.list(prefix)?
            .into_iter()
            .map(|path| {
                let size = self.head(&path)?.size;
                Ok(StoreEntry::new(path, StoreEntryKind::File, size, None))
            })
            .collect()
    }

    /// Removes what [`Backend::inventory`] found: a file, a cut write, an
    /// unfinished upload (aborted), or a folder, which must be empty
    /// ([`Error::Precondition`] otherwise). A file or upload that is gone
    /// already is [`Error::NotFound`]. The default removes files and
    /// refuses the rest with [`Error::Unsupported`].
    fn discard(&self, entry: &StoreEntry) -> Result<(), Error> {
        match entry.kind {
            StoreEntryKind::File => self.delete(&entry.path),
            _ => Err(Error::Unsupported {
                what: format!("removing {} '{}'", entry.kind, entry.path.as_str()),
            }),
        }
    }
}

/// What only a store on this machine's file system does, apart from the
/// [`Backend`] trait every store implements, so that no store in a bucket
/// carries hooks it cannot fill: reached through [`Backend::local`]. Every
/// method is required.
pub trait LocalStore: Send + Sync {
    /// Checks that the repository itself is there, as the reference's
    /// `open` does: that its folder exists and is a folder
    /// ([`Error::Unavailable`] naming it otherwise), so that a moved or
    /// unmounted repository is not taken for an empty one.
    fn check_root(&self) -> Result<(), Error>;

    /// Creates the repository's folder when it is missing.
    fn create_root(&self) -> Result<(), Error>;

    /// The file on this machine that holds `path`, so that a caller can
    /// read it in place instead of downloading it; `None` when `path` is
    /// not a file. The file belongs to the repository: read it, never
    /// write.
    fn local_file(&self, path: &BackendPath) -> Option<PathBuf>;

    /// Waits for an exclusive lock on `path` among writers of this store
    /// and holds it until the returned guard is dropped. The lock lives
    /// beside `path` and never appears in listings of the versioned layout.
    fn lock(&self, path: &BackendPath) -> Result<WriteLock, Error>;

    /// [`LocalStore::lock`] without waiting: `None` while another holds it.
    fn try_lock(&self, path: &BackendPath) -> Result<Option<WriteLock>, Error>;

    /// Removes what writes to `folder` that a killed process cut short left
    /// behind (the hidden temporary files of copies), and returns their
    /// number. Only for a caller holding the lock that every writer of
    /// `folder` takes: a live writer's file would go too.
    fn remove_cut_writes(&self, folder: &BackendPath) -> Result<usize, Error>;
}

/// One thing a store holds, as [`Backend::inventory`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreEntry {
    /// Where it lies (an unfinished upload: the key it was meant for).
    pub path: BackendPath,
    /// What it is.
    pub kind: StoreEntryKind,
    /// Bytes stored (an unfinished upload: its parts so far; a folder: 0).
    pub size: u64,
    /// When it last changed (an unfinished upload: its latest part), where
    /// the store says.
    pub modified: Option<std::time::SystemTime>,
}

impl StoreEntry {
    /// An entry of `kind` at `path`.
    pub fn new(
        path: BackendPath,
        kind: StoreEntryKind,
        size: u64,
        modified: Option<std::time::SystemTime>,
    ) -> Self {
        StoreEntry {
            path,
            kind,
            size,
            modified,
        }
    }
}

/// What a [`StoreEntry`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreEntryKind {
    /// A file, as [`Backend::list`] shows it.
    File,
    /// The hidden file of a write not finished (on a file system the
    /// temporary file beside its target), which listings skip.
    CutWrite,
    /// An upload started and neither completed nor aborted (an S3
    /// multipart upload); it is no object, and only its store can name it.
    Upload {
        /// The store's name for the upload (S3's `UploadId`).
        id: String,
    },
    /// A folder, on stores that have them.
    Folder,
}

impl std::fmt::Display for StoreEntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreEntryKind::File => "file",
            StoreEntryKind::CutWrite => "cut write",
            StoreEntryKind::Upload { .. } => "unfinished upload",
            StoreEntryKind::Folder => "folder",
        })
    }
}

/// A file being written by [`Backend::put_writer`]: bytes go in through
/// [`std::io::Write`]; a failed write's [`std::io::Error`] carries the
/// backend's [`Error`] (see [`Error::from_io`]).
pub trait PutWriter: std::io::Write + Send {
    /// Stores what was written under the writer's path and returns its size.
    fn finish(self: Box<Self>) -> Result<u64, Error>;
}

/// What [`Backend::head`] tells of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
}

impl ObjectMeta {
    /// The metadata of a file of `size` bytes.
    pub fn new(size: u64) -> Self {
        ObjectMeta { size }
    }
}

/// Conveniences on every [`Backend`], built on its required methods.
pub trait BackendExt: Backend {
    /// Reads a (small) file into memory.
    fn get_bytes(&self, src: &BackendPath) -> Result<Vec<u8>, Error> {
        let mut data = Vec::new();
        self.read_to(src, &mut data, &crate::no_progress)?;
        Ok(data)
    }

    /// Whether a file exists at `path` (folders do not count).
    fn exists(&self, path: &BackendPath) -> Result<bool, Error> {
        match self.head(path) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { path: missing }) if missing == path.as_str() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The size of the file in bytes.
    fn size(&self, path: &BackendPath) -> Result<u64, Error> {
        Ok(self.head(path)?.size)
    }

    /// Downloads `src` to the local file `dst`, through a temporary file in
    /// the folder of `dst` renamed into place, so `dst` is never half
    /// written. The folder of `dst` must exist.
    fn get_file(&self, src: &BackendPath, dst: &Path, progress: Progress<'_>) -> Result<(), Error> {
        let shown = dst.display().to_string();
        crate::local::write_atomic(dst, &shown, crate::local::Place::Overwrite, |file| {
            self.read_to(src, file, progress)
        })
    }
}

impl<T: Backend + ?Sized> BackendExt for T {}

/// A held [`LocalStore::lock`]; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct WriteLock {
    _held: Box<dyn std::any::Any + Send + Sync>,
}

impl WriteLock {
    /// A guard holding `held` (a locked file, a lock guard) until dropped.
    pub fn new(held: impl std::any::Any + Send + Sync) -> Self {
        WriteLock {
            _held: Box::new(held),
        }
    }
}
