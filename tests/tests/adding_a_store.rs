//! A store written from scratch in one file, as docs/adding-a-store.md
//! shows it (a test below keeps the page's copy the same as this file):
//! the required methods of `Backend` over a map in memory, and the
//! conformance suite every store of the workspace runs.
#![allow(clippy::unwrap_used)]
// `pub` as in a crate of its own, where the page puts it.
#![allow(unreachable_pub)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use audmodel_backend::{
    Backend, BackendPath, Capabilities, Error, ObjectMeta, Progress, PutMode, PutOptions,
};

/// Files in a map, keyed by their path. One mutex decides every write, so
/// a create-only write is atomic: the store says so in its capabilities.
#[derive(Debug, Default)]
pub struct Shelf {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

/// Bytes between two progress reports.
const CHUNK: usize = 64 * 1024;

impl Shelf {
    fn files(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file's bytes; a missing file is `NotFound` naming the path asked for.
    fn get(&self, path: &BackendPath) -> Result<Vec<u8>, Error> {
        self.files()
            .get(path.as_str())
            .cloned()
            .ok_or_else(|| not_found(path))
    }

    /// Stores a whole file, as `mode` allows.
    fn store(&self, data: Vec<u8>, dst: &BackendPath, mode: &PutMode) -> Result<(), Error> {
        let mut files = self.files();
        match mode {
            PutMode::Create if files.contains_key(dst.as_str()) => {
                return Err(Error::AlreadyExists {
                    path: dst.as_str().to_owned(),
                });
            }
            // This store has no compare-and-swap: it says so, never overwrites.
            PutMode::Update(_) => {
                return Err(Error::Unsupported {
                    what: "compare-and-swap writes".to_owned(),
                });
            }
            _ => {}
        }
        files.insert(dst.as_str().to_owned(), data);
        Ok(())
    }
}

fn not_found(path: &BackendPath) -> Error {
    Error::NotFound {
        path: path.as_str().to_owned(),
    }
}

/// A local file's error; a missing one is `NotFound` as a missing stored one is.
fn io_error(what: &str, source: std::io::Error) -> Error {
    match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: what.to_owned(),
        },
        _ => Error::Other {
            context: what.to_owned(),
            source: source.into(),
        },
    }
}

impl Backend for Shelf {
    fn capabilities(&self) -> Capabilities {
        Capabilities::default().with_create_only(true)
    }

    fn put_file(
        &self,
        src: &Path,
        dst: &BackendPath,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        let shown = src.display().to_string();
        let mut file = std::fs::File::open(src).map_err(|e| io_error(&shown, e))?;
        let mut data = Vec::new();
        let mut chunk = vec![0; CHUNK];
        loop {
            let read = file.read(&mut chunk).map_err(|e| io_error(&shown, e))?;
            if read == 0 {
                break;
            }
            data.extend_from_slice(&chunk[..read]);
            // A cancelled upload returns before anything is stored.
            progress(read as u64)?;
        }
        self.store(data, dst, &options.mode)
    }

    fn put_bytes(&self, data: &[u8], dst: &BackendPath, mode: PutMode) -> Result<(), Error> {
        self.store(data.to_vec(), dst, &mode)
    }

    fn read_to(
        &self,
        src: &BackendPath,
        out: &mut dyn Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        for chunk in self.get(src)?.chunks(CHUNK) {
            out.write_all(chunk)
                .map_err(|e| io_error(src.as_str(), e))?;
            progress(chunk.len() as u64)?;
        }
        Ok(())
    }

    fn read_range(&self, src: &BackendPath, range: Range<u64>) -> Result<Vec<u8>, Error> {
        let data = self.get(src)?;
        let (Ok(start), Ok(end)) = (usize::try_from(range.start), usize::try_from(range.end))
        else {
            return Err(Error::Unsupported {
                what: "ranges beyond the address space".to_owned(),
            });
        };
        data.get(start..end)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| Error::Other {
                context: format!("'{}' has {} bytes", src.as_str(), data.len()),
                source: format!("bytes {start}..{end} were asked for").into(),
            })
    }

    fn head(&self, path: &BackendPath) -> Result<ObjectMeta, Error> {
        Ok(ObjectMeta::new(self.get(path)?.len() as u64))
    }

    fn checksum(&self, path: &BackendPath) -> Result<String, Error> {
        Ok(audmodel_uid::md5_hex(&self.get(path)?))
    }

    fn list(&self, prefix: &BackendPath) -> Result<Vec<BackendPath>, Error> {
        // Below the folder, not every path that starts with its text.
        let folder = format!("{}/", prefix.as_str().trim_end_matches('/'));
        self.files()
            .keys()
            .filter(|path| path.starts_with(&folder))
            .map(|path| BackendPath::new(path))
            .collect()
    }

    fn copy(&self, src: &BackendPath, dst: &BackendPath) -> Result<(), Error> {
        let data = self.get(src)?;
        self.store(data, dst, &PutMode::Overwrite)
    }

    fn copy_with_checksum(
        &self,
        src: &BackendPath,
        dst: &BackendPath,
        md5: &str,
    ) -> Result<(), Error> {
        // The checksum is computed from the bytes, which the copy keeps.
        let _ = md5;
        self.copy(src, dst)
    }

    fn delete(&self, path: &BackendPath) -> Result<(), Error> {
        self.files()
            .remove(path.as_str())
            .map(drop)
            .ok_or_else(|| not_found(path))
    }

    fn url(&self, path: &BackendPath) -> String {
        format!("shelf://{}", path.as_str())
    }
}

#[test]
fn the_shelf_passes_the_conformance_suite() {
    let store: Arc<dyn Backend> = Arc::new(Shelf::default());
    audmodel_backend::conformance::run_all(&store, 3 << 20);
}

#[test]
fn the_page_shows_this_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("docs/adding-a-store.md")).unwrap();
    let this = std::fs::read_to_string(root.join("tests/tests/adding_a_store.rs")).unwrap();
    let shown = page
        .split("```rust\n")
        .nth(1)
        .and_then(|block| block.split("\n```").next())
        .expect("docs/adding-a-store.md has a rust block");
    assert_eq!(
        shown.trim_end(),
        this.trim_end(),
        "docs/adding-a-store.md's store differs from tests/tests/adding_a_store.rs"
    );
}
