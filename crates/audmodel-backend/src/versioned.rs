//! The Maven-style versioned layer: `/dir/base.ext` at version `V` is stored
//! at `/dir/base/V/base-V.ext`, exactly as the reference's
//! `audbackend.interface.Maven` with audmodel's extensions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{
    Backend, BackendExt, BackendPath, Capabilities, Error, LocalStore, Progress, PutMode,
    PutOptions, UpdateVersion, WriteLock,
};

/// Extensions that count as one, as audmodel configures its Maven interface.
const MULTI_EXTENSIONS: [&str; 3] = ["header.yaml", "meta.yaml", "alias.yaml"];

/// Versioned file access over a [`Backend`], in the reference's layout.
///
/// ```
/// use audmodel_backend::{BackendPath, Versioned};
/// let logical = BackendPath::new("/_uid/d4e9c65b.header.yaml").unwrap();
/// let stored = Versioned::path(&logical, "1.0.0").unwrap();
/// assert_eq!(stored.as_str(), "/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml");
/// ```
#[derive(Debug, Clone)]
pub struct Versioned {
    backend: Arc<dyn Backend>,
}

/// Splits a file name into base and extension (with its dot, or empty), as
/// the reference does: audmodel's multi-part extensions first, else the part
/// after the last dot that follows a non-dot character (Python's `splitext`).
fn split_ext(name: &str) -> (&str, &str) {
    let tail = name.get(1..).unwrap_or("");
    for ext in MULTI_EXTENSIONS {
        if tail.ends_with(&format!(".{ext}")) {
            let cut = name.len() - ext.len() - 1;
            return (&name[..cut], &name[cut..]);
        }
    }
    match name.rfind('.') {
        Some(dot) if name[..dot].chars().any(|c| c != '.') => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    }
}

fn check_version(version: &str) -> Result<(), Error> {
    if version.is_empty() {
        return Err(Error::invalid(version, "version must not be empty"));
    }
    if !version
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Error::invalid(
            version,
            "version does not match [A-Za-z0-9._-]+",
        ));
    }
    Ok(())
}

impl Versioned {
    /// Wraps a backend.
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Versioned { backend }
    }

    /// The wrapped backend, for files outside the versioned layout (an
    /// upload staged under a hidden key).
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Where `logical` at `version` is stored:
    /// `/_uid/x.header.yaml` at `1.0.0` is `/_uid/x/1.0.0/x-1.0.0.header.yaml`.
    pub fn path(logical: &BackendPath, version: &str) -> Result<BackendPath, Error> {
        check_version(version)?;
        let (root, name) = logical.split();
        if name.is_empty() {
            return Err(Error::invalid(
                logical.as_str(),
                "a versioned path needs a file name",
            ));
        }
        let (base, ext) = split_ext(name);
        root.join(&format!("{base}/{version}/{base}-{version}{ext}"))
    }

    /// What the store can do: see [`Backend::capabilities`].
    pub fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }

    /// What the store can do, or why it could not be asked: see
    /// [`Backend::known_capabilities`].
    pub fn known_capabilities(&self) -> Result<Capabilities, Error> {
        self.backend.known_capabilities()
    }

    /// Whether the repository itself is there: see
    /// [`LocalStore::check_root`]; stores in a bucket report a missing
    /// bucket on their first request instead.
    pub fn check_root(&self) -> Result<(), Error> {
        self.backend.local().map_or(Ok(()), LocalStore::check_root)
    }

    /// Creates the repository when it is missing: see
    /// [`LocalStore::create_root`]; buckets are made by their
    /// administrators, so stores in a bucket do nothing.
    pub fn create_root(&self) -> Result<(), Error> {
        self.backend.local().map_or(Ok(()), LocalStore::create_root)
    }

    /// Uploads a local file as `logical` at `version`.
    pub fn put_file(
        &self,
        src: &Path,
        logical: &BackendPath,
        version: &str,
        options: PutOptions<'_>,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        self.backend
            .put_file(src, &Self::path(logical, version)?, options, progress)
    }

    /// Writes a small file from memory as `logical` at `version`.
    pub fn put_bytes(
        &self,
        data: &[u8],
        logical: &BackendPath,
        version: &str,
        mode: PutMode,
    ) -> Result<(), Error> {
        self.backend
            .put_bytes(data, &Self::path(logical, version)?, mode)
    }

    /// Downloads `logical` at `version` to a local file: see
    /// [`BackendExt::get_file`].
    pub fn get_file(
        &self,
        logical: &BackendPath,
        version: &str,
        dst: &Path,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        self.backend
            .get_file(&Self::path(logical, version)?, dst, progress)
    }

    /// Writes `logical` at `version` into `out`: see [`Backend::read_to`].
    pub fn read_to(
        &self,
        logical: &BackendPath,
        version: &str,
        out: &mut dyn std::io::Write,
        progress: Progress<'_>,
    ) -> Result<(), Error> {
        self.backend
            .read_to(&Self::path(logical, version)?, out, progress)
    }

    /// The bytes `range` of `logical` at `version`.
    pub fn read_range(
        &self,
        logical: &BackendPath,
        version: &str,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<u8>, Error> {
        self.backend
            .read_range(&Self::path(logical, version)?, range)
    }

    /// Reads `logical` at `version` with the version the store has of it:
    /// see [`Backend::get_for_update`].
    pub fn get_for_update(
        &self,
        logical: &BackendPath,
        version: &str,
    ) -> Result<(Vec<u8>, UpdateVersion), Error> {
        self.backend.get_for_update(&Self::path(logical, version)?)
    }

    /// Reads `logical` at `version` into memory.
    pub fn get_bytes(&self, logical: &BackendPath, version: &str) -> Result<Vec<u8>, Error> {
        self.backend.get_bytes(&Self::path(logical, version)?)
    }

    /// Whether `logical` exists at `version`.
    pub fn exists(&self, logical: &BackendPath, version: &str) -> Result<bool, Error> {
        self.backend.exists(&Self::path(logical, version)?)
    }

    /// The size of `logical` at `version`.
    pub fn size(&self, logical: &BackendPath, version: &str) -> Result<u64, Error> {
        self.backend.size(&Self::path(logical, version)?)
    }

    /// Removes `logical` at `version`.
    pub fn delete(&self, logical: &BackendPath, version: &str) -> Result<(), Error> {
        self.backend.delete(&Self::path(logical, version)?)
    }

    /// The checksum of `logical` at `version`: see [`Backend::checksum`].
    pub fn checksum(&self, logical: &BackendPath, version: &str) -> Result<String, Error> {
        self.backend.checksum(&Self::path(logical, version)?)
    }

    /// The local file of `logical` at `version`: see
    /// [`LocalStore::local_file`]; `None` on stores without local files.
    pub fn local_file(
        &self,
        logical: &BackendPath,
        version: &str,
    ) -> Result<Option<PathBuf>, Error> {
        let stored = Self::path(logical, version)?;
        Ok(self
            .backend
            .local()
            .and_then(|local| local.local_file(&stored)))
    }

    /// [`LocalStore::lock`] on `logical` at `version`; the lock file is not
    /// a versioned file, so listings never show it. [`Error::Unsupported`]
    /// on stores without locks.
    pub fn lock(&self, logical: &BackendPath, version: &str) -> Result<WriteLock, Error> {
        let stored = Self::path(logical, version)?;
        match self.backend.local() {
            Some(local) => local.lock(&stored),
            None => Err(Error::Unsupported {
                what: format!("locking '{}'", stored.as_str()),
            }),
        }
    }

    /// [`LocalStore::remove_cut_writes`] in the folder that holds `logical`
    /// at `version`; stores whose writes leave nothing behind (buckets)
    /// remove nothing.
    pub fn remove_cut_writes(&self, logical: &BackendPath, version: &str) -> Result<usize, Error> {
        let stored = Self::path(logical, version)?;
        self.backend
            .local()
            .map_or(Ok(0), |local| local.remove_cut_writes(&stored.split().0))
    }

    /// What the reference's `audmodel.url` prints for `logical` at `version`.
    pub fn url(&self, logical: &BackendPath, version: &str) -> Result<String, Error> {
        Ok(self.backend.url(&Self::path(logical, version)?))
    }

    /// The versions of `logical` present on the backend, **unsorted** (sort
    /// them with the version order of `audmodel-uid`); empty when there is
    /// none. Like the reference, a version counts only when
    /// `/dir/base/V/base-V.ext` exists. One listing request.
    pub fn versions(&self, logical: &BackendPath) -> Result<Vec<String>, Error> {
        let (root, name) = logical.split();
        let (base, ext) = split_ext(name);
        let folder = root.join(base)?;
        let depth = folder.as_str().len() + 1;
        let mut versions = Vec::new();
        for path in self.backend.list(&folder)? {
            // Below the folder: exactly `V/base-V.ext`.
            let Some(rest) = path.as_str().get(depth..) else {
                continue;
            };
            let Some((version, file)) = rest.split_once('/') else {
                continue;
            };
            if file == format!("{base}-{version}{ext}") {
                versions.push(version.to_owned());
            }
        }
        Ok(versions)
    }

    /// Every versioned file below `logical_folder`, as (logical path,
    /// version) pairs sorted by path then version text, like the reference's
    /// `Maven.ls("/folder/")`. Files not laid out as
    /// `dir/base/V/base-V[.ext]` are skipped. One listing request: listing
    /// `/_uid` gives every header, meta and aliases file of a repository.
    pub fn list(&self, logical_folder: &BackendPath) -> Result<Vec<(BackendPath, String)>, Error> {
        let inside = match logical_folder.as_str() {
            "/" => "/".to_owned(),
            folder => format!("{folder}/"),
        };
        let mut found = Vec::new();
        for path in self.backend.list(logical_folder)? {
            // `/f/1.0.0/f-1.0.0.txt` lies below `/f` but stands for `/f.txt`, outside it.
            match Self::logical(&path)? {
                Some(entry) if entry.0.as_str().starts_with(&inside) => found.push(entry),
                _ => {}
            }
        }
        found.sort();
        Ok(found)
    }

    /// Every versioned file of the logical files `{logical_folder}/{base}.*`
    /// (every extension), as [`list`](Self::list) gives them: one listing
    /// request of that base's folder alone, so one model's header, meta and
    /// aliases files are listed without listing the whole folder.
    pub fn list_base(
        &self,
        logical_folder: &BackendPath,
        base: &str,
    ) -> Result<Vec<(BackendPath, String)>, Error> {
        let mut found = Vec::new();
        for path in self.backend.list(&logical_folder.join(base)?)? {
            match Self::logical(&path)? {
                Some(entry) if split_ext(entry.0.split().1).0 == base => found.push(entry),
                _ => {}
            }
        }
        found.sort();
        Ok(found)
    }

    /// The logical path and version of a stored path, when it has the layout.
    fn logical(stored: &BackendPath) -> Result<Option<(BackendPath, String)>, Error> {
        let mut parts = stored.as_str().rsplitn(4, '/');
        let (Some(file), Some(version), Some(base), Some(root)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let Some(ext) = file.strip_prefix(&format!("{base}-{version}")) else {
            return Ok(None);
        };
        if !(ext.is_empty() || ext.starts_with('.')) {
            return Ok(None);
        }
        let root = if root.is_empty() { "/" } else { root };
        let logical = BackendPath::new(root)?.join(&format!("{base}{ext}"))?;
        Ok(Some((logical, version.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn stored(logical: &str, version: &str) -> String {
        Versioned::path(&BackendPath::new(logical).unwrap(), version)
            .unwrap()
            .as_str()
            .to_owned()
    }

    #[test]
    fn layout_matches_the_reference_table() {
        assert_eq!(
            stored("/_uid/x.header.yaml", "1.0.0"),
            "/_uid/x/1.0.0/x-1.0.0.header.yaml"
        );
        assert_eq!(
            stored("/_uid/x.meta.yaml", "2.0.0"),
            "/_uid/x/2.0.0/x-2.0.0.meta.yaml"
        );
        assert_eq!(
            stored("/_uid/x.aliases.yaml", "1.0.0"),
            "/_uid/x.aliases/1.0.0/x.aliases-1.0.0.yaml"
        );
        assert_eq!(
            stored("/_alias/a.alias.yaml", "1.0.0"),
            "/_alias/a/1.0.0/a-1.0.0.alias.yaml"
        );
        assert_eq!(
            stored("/a/b/x.zip", "1.0.0-rc"),
            "/a/b/x/1.0.0-rc/x-1.0.0-rc.zip"
        );
        assert_eq!(
            stored("/a/.hidden", "1.0.0"),
            "/a/.hidden/1.0.0/.hidden-1.0.0"
        );
        assert_eq!(
            stored("/a/x.tar.gz", "1.0.0"),
            "/a/x.tar/1.0.0/x.tar-1.0.0.gz"
        );
        assert_eq!(stored("/noext", "1.0.0"), "/noext/1.0.0/noext-1.0.0");
    }

    #[test]
    fn bad_versions_are_refused() {
        let p = BackendPath::new("/a.zip").unwrap();
        for bad in ["", "1/0", "..", "1 0"] {
            assert_eq!(
                Versioned::path(&p, bad).unwrap_err().kind(),
                crate::ErrorKind::InvalidPath,
                "{bad:?}"
            );
        }
        assert!(Versioned::path(&BackendPath::root(), "1.0.0").is_err());
    }

    #[test]
    fn stored_paths_map_back_to_logical() {
        for (logical, version) in [
            ("/_uid/x.header.yaml", "1.0.0"),
            ("/_uid/x.aliases.yaml", "3.0.0"),
            ("/a/b/x.zip", "1.0.0-rc"),
            ("/noext", "1.0.0"),
        ] {
            let s = Versioned::path(&BackendPath::new(logical).unwrap(), version).unwrap();
            let (l, v) = Versioned::logical(&s).unwrap().unwrap();
            assert_eq!((l.as_str(), v.as_str()), (logical, version));
        }
        assert!(
            Versioned::logical(&BackendPath::new("/a/b").unwrap())
                .unwrap()
                .is_none()
        );
        assert!(
            Versioned::logical(&BackendPath::new("/a/1.0.0/b-1.0.0.zip").unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn list_base_gives_one_base_and_no_other() {
        let versioned = Versioned::new(std::sync::Arc::new(crate::Memory::new()));
        let put = |logical: &str, version: &str| {
            let logical = BackendPath::new(logical).unwrap();
            versioned
                .put_bytes(b"x", &logical, version, crate::PutMode::Overwrite)
                .unwrap();
        };
        put("/_uid/aaaa.header.yaml", "1.0.0");
        put("/_uid/aaaa.meta.yaml", "1.0.0");
        put("/_uid/aaaa.header.yaml", "2.0.0");
        put("/_uid/aaaa.aliases.yaml", "2.0.0");
        put("/_uid/aaaab.header.yaml", "1.0.0");
        let folder = BackendPath::new("/_uid").unwrap();
        let listed = |base: &str| -> Vec<String> {
            versioned
                .list_base(&folder, base)
                .unwrap()
                .into_iter()
                .map(|(path, version)| format!("{path}@{version}"))
                .collect()
        };
        assert_eq!(
            listed("aaaa"),
            [
                "/_uid/aaaa.header.yaml@1.0.0",
                "/_uid/aaaa.header.yaml@2.0.0",
                "/_uid/aaaa.meta.yaml@1.0.0"
            ]
        );
        assert_eq!(listed("aaaa.aliases"), ["/_uid/aaaa.aliases.yaml@2.0.0"]);
        assert!(listed("bbbb").is_empty());
    }
}
