//! The `memory` backend: files in this process, as object_store's
//! `InMemory`, so the lock-free publish protocol runs in fast tests without
//! an S3 server.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{
    Backend, BackendPath, Capabilities, Error, ObjectMeta, Progress, PutMode, PutOptions,
    PutWriter, UpdateVersion,
};

/// One stored file: its bytes and the checksum stored with them, as an S3
/// object keeps its `checksum` metadata (none when it was streamed in by
/// [`Backend::put_writer`], as on S3), and the generation of the write
/// that stored it (its version for compare-and-swap writes).
#[derive(Debug)]
struct Object {
    data: Arc<[u8]>,
    checksum: Option<String>,
    generation: u64,
}

/// The generation of the next write, unique in the process (so a file
/// removed and written again never has a version read before).
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn version_of(object: &Object) -> UpdateVersion {
    UpdateVersion {
        e_tag: Some(object.generation.to_string()),
        version: None,
    }
}

/// A repository held in memory, shared by its clones and gone with the
/// last of them. Like an S3 store it has no locks and no local files;
/// create-only and compare-and-swap writes are atomic (decided under one
/// mutex). Writes are whole: readers see the old or the new file.
///
/// ```
/// use audmodel_backend::{Backend, BackendExt, BackendPath, Memory, PutMode};
/// let store = Memory::new();
/// let path = BackendPath::new("/a/b.txt").unwrap();
/// store.put_bytes(b"abc", &path, PutMode::Create).unwrap();
/// assert_eq!(store.get_bytes(&path).unwrap(), b"abc");
/// assert!(store.put_bytes(b"xyz", &path, PutMode::Create).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Memory {
    objects: Arc<Mutex<BTreeMap<BackendPath, Object>>>,
}

impl Memory {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn objects(&self) -> MutexGuard<'_, BTreeMap<BackendPath, Object>> {
        // A writer that panicked left the map whole: every change is one insert.
        self.objects.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(
        &self,
        dst: &BackendPath,
        data: Arc<[u8]>,
        checksum: Option<String>,
        mode: PutMode,
    ) -> Result<(), Error> {
        let mut objects = self.objects();
        match (&mode, objects.get(dst)) {
            (PutMode::Create, Some(_)) => {
                return Err(Error::AlreadyExists {
                    path: dst.as_str().to_owned(),
                });
            }
            (PutMode::Update(read), stored) if stored.map(version_of).as_ref() != Some(read) => {
                return Err(Error::Precondition {
                    path: dst.as_str().to_owned(),
                });
            }
            _ => {}
        }
        let generation = next_generation();
        objects.insert(
            dst.clone(),
            Object {
                data,
                checksum,
                generation,
            },
        );
        Ok(())
    }

    fn get(&self, path: &BackendPath) -> Result<Arc<[u8]>, Error> {
        self.objects()
            .get(path)
            .map(|object| Arc::clone(&object.data))
            .ok_or_else(|| not_found(path))
    }
}

fn not_found(path: &BackendPath) -> Error {
    Error::NotFound {
        path: path.as_str().to_owned(),
    }
}

/// Bytes per progress report, so a cancelled transfer stops within one.
const CHUNK: usize = 1 << 20;

impl Backend for Memory {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            locks: false,
            local_files: false,
            create_only: true,
            compare_and_swap: true,
        }
    }

    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let shown = src.display().to_string();
        let mut file = std::fs::File::open(src).map_err(|e| Error::io(e, &shown, "cannot open"))?;
        let mut data = Vec::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| Error::io(e, &shown, "cannot read"))?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
            progress(n as u64)?;
        }
        let checksum = match options.md5 {
            Some(md5) => md5.to_owned(),
            None => audmodel_uid::md5_hex(&data),
        };
        self.insert(dst, data.into(), Some(checksum), options.mode)
    }

    /// Like S3's: the file gets no checksum; see
    /// [`Backend::copy_with_checksum`].
    fn put_writer(&self, dst: &BackendPath) -> Result<Box<dyn PutWriter + '_>, Error> {
        Ok(Box::new(Streamed {
            store: self,
            dst: dst.clone(),
            data: Vec::new(),
        }))
    }

    fn put_bytes(&self, data: &[u8], dst: &BackendPath, mode: PutMode) -> Result<(), Error> {
        self.insert(dst, data.into(), Some(audmodel_uid::md5_hex(data)), mode)
    }

    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        for chunk in self.get(src)?.chunks(CHUNK) {
            out.write_all(chunk)
                .map_err(|e| Error::io(e, src.as_str(), "cannot write the download of"))?;
            progress(chunk.len() as u64)?;
        }
        Ok(())
    }

    fn get_for_update(&self, src: &BackendPath) -> Result<(Vec<u8>, UpdateVersion), Error> {
        self.objects()
            .get(src)
            .map(|object| (object.data.to_vec(), version_of(object)))
            .ok_or_else(|| not_found(src))
    }

    fn read_range(&self, src: &BackendPath, range: std::ops::Range<u64>) -> Result<Vec<u8>, Error> {
        let data = self.get(src)?;
        let slice = usize::try_from(range.start)
            .ok()
            .zip(usize::try_from(range.end).ok())
            .and_then(|(start, end)| data.get(start..end));
        match slice {
            Some(slice) => Ok(slice.to_vec()),
            None => Err(Error::io(
                std::io::ErrorKind::UnexpectedEof.into(),
                src.as_str(),
                "cannot read the asked range of",
            )),
        }
    }

    fn head(&self, path: &BackendPath) -> Result<ObjectMeta, Error> {
        Ok(ObjectMeta::new(self.get(path)?.len() as u64))
    }

    fn checksum(&self, path: &BackendPath) -> Result<String, Error> {
        match self.objects().get(path) {
            None => Err(not_found(path)),
            Some(Object {
                checksum: Some(checksum),
                ..
            }) => Ok(checksum.clone()),
            Some(_) => Err(Error::other(
                format!("cannot read the checksum of '{}'", path.as_str()),
                "the object has no 'checksum' metadata",
            )),
        }
    }

    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, Error> {
        let inside = match prefix.as_str() {
            "/" => "/".to_owned(),
            folder => format!("{folder}/"),
        };
        Ok(self
            .objects()
            .keys()
            .filter(|path| path.as_str().starts_with(&inside))
            .cloned()
            .collect())
    }

    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        let mut objects = self.objects();
        let object = objects.get(src).ok_or_else(|| not_found(src))?;
        let copied = Object {
            data: Arc::clone(&object.data),
            checksum: object.checksum.clone(),
            generation: next_generation(),
        };
        objects.insert(dst.clone(), copied);
        Ok(())
    }

    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), Error> {
        let mut objects = self.objects();
        let data = Arc::clone(&objects.get(src).ok_or_else(|| not_found(src))?.data);
        let copied = Object {
            data,
            checksum: Some(md5.to_owned()),
            generation: next_generation(),
        };
        objects.insert(dst.clone(), copied);
        Ok(())
    }

    fn delete(&self, path: &BackendPath) -> Result<(), Error> {
        self.objects()
            .remove(path)
            .map(drop)
            .ok_or_else(|| not_found(path))
    }

    fn url(&self, path: &BackendPath) -> String {
        format!("memory://{}", path.as_str())
    }
}

/// A file streamed into the store, stored whole when finished.
struct Streamed<'a> {
    store: &'a Memory,
    dst: BackendPath,
    data: Vec<u8>,
}

impl Write for Streamed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.data.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl PutWriter for Streamed<'_> {
    fn finish(self: Box<Self>) -> Result<u64, Error> {
        let size = self.data.len() as u64;
        self.store
            .insert(&self.dst, self.data.into(), None, PutMode::Overwrite)?;
        Ok(size)
    }
}
