//! Loading a model into the cache (SPEC 5), as the reference's
//! `get_archive`, with the archive checked before the model becomes visible.

use std::path::{Path, PathBuf};

use audmodel_backend::{BackendPath, Versioned};
use audmodel_uid::CancelToken;

use crate::cache::last_loaded;
use crate::lookup::Located;
use crate::pipe::pipe;
use crate::progress::{Stage, run_stage};
use crate::space::Room;
use crate::{Audmodel, Error, ErrorKind, Operation, lock, paths};

/// Options of [`Audmodel::load_with`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Cancelled by the caller (say, on Ctrl+C) to stop the load within
    /// moments: nothing is cached and the error is [`Error::Interrupted`].
    pub cancel: CancelToken,
}

impl LoadOptions {
    /// Options that stop the load when `cancel` is cancelled.
    pub fn cancelled_by(cancel: CancelToken) -> Self {
        LoadOptions { cancel }
    }
}

/// The archive of a located model, and how to say which one it is.
pub(crate) struct Archive<'a> {
    pub(crate) at: &'a Located,
    pub(crate) logical: BackendPath,
    pub(crate) cancel: &'a CancelToken,
}

impl Archive<'_> {
    pub(crate) fn what(&self) -> String {
        format!(
            "archive of model '{}' in repository '{}'",
            self.at.model.uid(),
            self.at.repo
        )
    }

    fn corrupt(&self, why: String) -> Error {
        Error::corrupt(self.what(), format!("{why}; nothing was cached"))
    }

    fn versioned(&self) -> &Versioned {
        &self.at.versioned
    }

    fn version(&self) -> &str {
        &self.at.model.version
    }

    /// What the model needs of the cache's file system: its unpacked size
    /// (the folder beside `root` exists, holding the lock).
    fn room(&self, unpacked: u64, root: &Path) -> Room {
        let folder = root.parent().unwrap_or(root).to_path_buf();
        Room::new(Operation::Load, self.at.model.uid(), unpacked, folder)
    }
}

impl Audmodel {
    /// Downloads and unpacks the model into `{cache}/{sid}/{V}` and returns
    /// that folder: [`load_with`](Self::load_with) default options.
    pub fn load(&self, id: &str) -> Result<PathBuf, Error> {
        self.load_with(id, &LoadOptions::default())
    }

    /// Downloads and unpacks the model into `{cache}/{sid}/{V}` and returns
    /// that folder. A folder already there is returned at once, without
    /// asking any repository. Concurrent loads of one model (Python or Rust
    /// processes) wait for each other through the lock file
    /// `{cache}/{sid}/.{V}.lock`, whose modification time records when the
    /// model was last loaded (see [`cache_list`](Self::cache_list)).
    ///
    /// The model appears in the cache whole or not at all: it is unpacked
    /// into `{V}~` next to it and renamed into place only when every entry
    /// matched its size and CRC and the archive is the repository's. From a
    /// remote store the archive is unpacked as it downloads, never stored
    /// whole: its table of contents is read from its end and checked first,
    /// and the MD5 of the stream must be the repository's checksum. An
    /// archive that the backend holds as a local file (a file-system
    /// repository) is unpacked where it lies, without a copy, and must
    /// still be the same file when unpacking ends (its checksum is its own
    /// MD5, so hashing it would prove nothing). Otherwise the error is
    /// [`ErrorKind::Corrupt`] and nothing is cached.
    ///
    /// A model whose unpacked size (from the table of contents) exceeds the
    /// free space of the cache's file system is refused before any data is
    /// fetched or unpacked, and one that fills it anyway while unpacking
    /// is removed: both are [`Error::NoSpace`].
    pub fn load_with(&self, id: &str, options: &LoadOptions) -> Result<PathBuf, Error> {
        let model = self.resolve(id)?;
        let root = self.cache_dir(&model.sid).join(&model.version);
        // A model folder only ever appears by a rename, whole: no lock needed
        // to see it.
        if is_filled(&root) {
            last_loaded::touch(&root);
            return Ok(root);
        }
        // An unknown model is refused before anything (a lock file) is
        // created in the cache.
        let at = self.locate(&model)?;
        let _lock = lock::lock(&root, self.lock_timeout)?;
        if is_filled(&root) {
            last_loaded::touch(&root);
            return Ok(root);
        }
        let header = self.header_at(&at)?;
        let archive = Archive {
            logical: paths::archive(header.subgroup.as_deref(), &header.name, &model.sid)?,
            at: &at,
            cancel: &options.cancel,
        };
        // The reference leaves an empty folder when an archive is empty or a
        // load failed half way; unpacking needs the name free.
        if root.is_dir() {
            std::fs::remove_dir(&root).map_err(Error::io(&root))?;
        }
        let local = archive
            .versioned()
            .local_file(&archive.logical, archive.version())
            .map_err(at.backend_err())?;
        match local {
            Some(local) => self.unpack_in_place(&archive, &local, &root),
            None => self.unpack_download(&archive, &root),
        }
        .map_err(|e| match e {
            // Which model's archive was refused, not only which entry.
            Error::Archive(
                refused @ (audmodel_archive::Error::Unsafe { .. }
                | audmodel_archive::Error::Corrupt { .. }),
            ) => Error::corrupt(archive.what(), refused),
            e if e.kind() == ErrorKind::Interrupted => Error::Interrupted {
                what: Operation::Load,
                uid: model.uid(),
            },
            other => other,
        })?;
        last_loaded::touch(&root);
        Ok(root)
    }

    /// Unpacks an archive that lies on this machine where it lies.
    fn unpack_in_place(&self, archive: &Archive<'_>, zip: &Path, root: &Path) -> Result<(), Error> {
        let before = Identity::of(zip)?;
        // Nothing is downloaded, so there is no download stage (a bar of
        // it would claim the speed of a disk's metadata); the unpacking's
        // total comes from the archive's table of contents, a small read at
        // its end.
        let total = {
            let file = std::fs::File::open(zip).map_err(Error::io(zip))?;
            audmodel_archive::read_directory(before.len, |range| {
                let mut data = vec![0u8; usize::try_from(range.end - range.start).unwrap_or(0)];
                std::os::unix::fs::FileExt::read_exact_at(&file, &mut data, range.start)
                    .map_err(Error::io(zip))?;
                Ok::<_, Error>(data)
            })?
            .unpacked_size()
        };
        let room = archive.room(total, root);
        room.check()?;
        let unchanged = || match Identity::of(zip)? == before {
            true => Ok(()),
            false => Err(archive.corrupt("changed while it was read".to_owned())),
        };
        run_stage(
            &*self.progress,
            Stage::Unpack,
            total,
            archive.cancel,
            |progress| audmodel_archive::unpack_checked(zip, root, progress, unchanged),
        )
        .map_err(|e| room.ran_out(e))?;
        Ok(())
    }

    /// Unpacks an archive as it downloads: one thread fetches and hashes,
    /// this one writes the files.
    pub(crate) fn unpack_download(&self, archive: &Archive<'_>, root: &Path) -> Result<(), Error> {
        let (versioned, logical, version) =
            (archive.versioned(), &archive.logical, archive.version());
        let backend_err = || archive.at.backend_err();
        let size = versioned.size(logical, version).map_err(backend_err())?;
        let expected = versioned
            .checksum(logical, version)
            .map_err(backend_err())?;
        // Checked before any data is fetched: a hostile archive, or one
        // the cache cannot hold, costs a small read at its end.
        let directory = audmodel_archive::read_directory(size, |range| {
            versioned
                .read_range(logical, version, range)
                .map_err(backend_err())
        })?;
        let room = archive.room(directory.unpacked_size(), root);
        room.check()?;
        let (writer, mut reader) = pipe();
        let (outcome, downloaded) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut hashing = audmodel_uid::HashingWriter::new(writer);
                let sent = run_stage(
                    &*self.progress,
                    Stage::Download,
                    size,
                    archive.cancel,
                    |progress| versioned.read_to(logical, version, &mut hashing, progress),
                );
                let (writer, _, md5) = hashing.finish();
                // The outcome before the end of the stream: the reader that
                // sees the end finds it waiting.
                let _ = outcome.send(sent.map(|()| md5));
                drop(writer);
            });
            let matches_checksum = || match downloaded.recv() {
                Ok(Ok(md5)) if md5 == expected => Ok(()),
                Ok(Ok(md5)) => Err(archive.corrupt(format!(
                    "has MD5 {md5}, but the repository's checksum is {expected}"
                ))),
                Ok(Err(e)) => Err(backend_err()(e)),
                Err(_) => Err(archive.corrupt("was not downloaded to its end".to_owned())),
            };
            let unpacked = run_stage(
                &*self.progress,
                Stage::Unpack,
                directory.unpacked_size(),
                archive.cancel,
                |progress| {
                    audmodel_archive::unpack_stream(
                        &directory,
                        &mut reader,
                        root,
                        progress,
                        matches_checksum,
                    )
                },
            );
            // A failed download ends the stream early: its error says why,
            // not the unpacking's. Asked before hanging up, which fails the
            // download too.
            let failed_download = match downloaded.try_recv() {
                Ok(Err(e)) => Some(backend_err()(e)),
                _ => None,
            };
            drop(reader);
            match (unpacked, failed_download) {
                (Ok(_), _) => Ok(()),
                (Err(_), Some(download)) => Err(download),
                (Err(e), None) => Err(e),
            }
        })
        .map_err(|e| room.ran_out(e))
    }
}

/// What tells one version of a file from another without reading it: a
/// file renamed over it has another inode, one rewritten in place another
/// modification time or size.
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Identity {
    fn of(path: &Path) -> Result<Identity, Error> {
        let meta = std::fs::metadata(path).map_err(Error::io(path))?;
        Ok(Identity {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
        })
    }
}

/// The reference treats an existing but empty folder as not loaded.
pub(crate) fn is_filled(root: &std::path::Path) -> bool {
    std::fs::read_dir(root).is_ok_and(|mut entries| entries.next().is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Config, Mapping, PublishOptions, Repository};

    /// A client with a file-system repository and one published model of
    /// one stored 64 KiB file; returns the client, the UID and the archive
    /// file in the repository.
    fn published(dir: &Path) -> (Audmodel, String, PathBuf) {
        let host = dir.join("host");
        std::fs::create_dir_all(host.join("models")).unwrap();
        let model = dir.join("model");
        std::fs::create_dir(&model).unwrap();
        let data: Vec<u8> = (0..65536u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(model.join("weights.bin"), data).unwrap();
        let repo = Repository::new("models", host.to_str().unwrap(), "file-system");
        let client = Audmodel::new(Config::new(dir.join("cache"), vec![repo]));
        let options = PublishOptions {
            compression: 0,
            ..PublishOptions::default()
        };
        let uid = client
            .publish(&model, "torch", &Mapping::new(), "1.0.0", &options)
            .unwrap();
        let zip = find_zip(&host).unwrap();
        (client, uid, zip)
    }

    fn find_zip(dir: &Path) -> Option<PathBuf> {
        std::fs::read_dir(dir).unwrap().find_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                find_zip(&path)
            } else {
                path.extension().is_some_and(|e| e == "zip").then_some(path)
            }
        })
    }

    /// Names in the model's cache folder, lock files aside.
    fn cached(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("cache"))
            .unwrap()
            .flat_map(|sid| std::fs::read_dir(sid.unwrap().path()).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.ends_with(".lock"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_system_archive_is_unpacked_in_place_without_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (client, uid, zip) = published(dir.path());
        let before = std::fs::read(&zip).unwrap();
        let root = client.load(&uid).unwrap();
        assert_eq!(
            std::fs::read(root.join("weights.bin")).unwrap().len(),
            65536
        );
        // Nothing but the model and its header is left in the cache (no
        // copy of the archive), and the repository's archive is untouched.
        assert_eq!(cached(dir.path()), ["1.0.0", "1.0.0.header.yaml"]);
        assert_eq!(std::fs::read(&zip).unwrap(), before);
    }

    #[test]
    fn a_damaged_archive_on_a_file_system_is_refused_and_nothing_cached() {
        let dir = tempfile::tempdir().unwrap();
        let (client, uid, zip) = published(dir.path());
        let mut bytes = std::fs::read(&zip).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&zip, bytes).unwrap();
        let err = client.load(&uid).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Corrupt, "{err}");
        assert_eq!(cached(dir.path()), ["1.0.0.header.yaml"]);
    }

    #[test]
    fn identity_tells_a_replaced_or_rewritten_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.zip");
        std::fs::write(&file, b"abc").unwrap();
        let first = Identity::of(&file).unwrap();
        assert_eq!(Identity::of(&file).unwrap(), first);
        // Replaced by a rename, as a publisher's atomic write does.
        let other = dir.path().join("b.zip");
        std::fs::write(&other, b"abc").unwrap();
        std::fs::rename(&other, &file).unwrap();
        assert_ne!(Identity::of(&file).unwrap(), first);
        // Rewritten in place with another length.
        let second = Identity::of(&file).unwrap();
        std::fs::write(&file, b"abcd").unwrap();
        assert_ne!(Identity::of(&file).unwrap(), second);
    }
}
