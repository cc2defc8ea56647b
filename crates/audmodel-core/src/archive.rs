//! A published archive as it lies in its repository: size, checksum, the
//! files its table of contents declares, and its bytes.

use audmodel_backend::BackendPath;

use crate::lookup::Located;
use crate::{Audmodel, Error, paths};

/// One file of a model archive, as its table of contents declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveFile {
    /// Its path inside the model folder, with `/`.
    pub name: String,
    /// Its size in bytes, unpacked.
    pub size: u64,
}

impl Audmodel {
    /// The files of the model's archive with their sizes, read from the
    /// archive's table of contents with a few range reads near its end, not
    /// a download.
    pub fn files(&self, id: &str) -> Result<Vec<ArchiveFile>, Error> {
        let (at, logical) = self.archive_of(id)?;
        let directory = table_of_contents(&at, &logical)?;
        Ok(directory
            .entries()
            .map(|entry| ArchiveFile {
                name: entry.name.to_owned(),
                size: entry.size,
            })
            .collect())
    }

    /// The size in bytes of the model's archive in its repository.
    pub fn archive_size(&self, id: &str) -> Result<u64, Error> {
        let (at, logical) = self.archive_of(id)?;
        at.versioned
            .size(&logical, &at.model.version)
            .map_err(at.backend_err())
    }

    /// The MD5 (lower-case hex) of the model's archive as its repository
    /// states it (on a file system this reads the archive).
    pub fn archive_checksum(&self, id: &str) -> Result<String, Error> {
        let (at, logical) = self.archive_of(id)?;
        at.versioned
            .checksum(&logical, &at.model.version)
            .map_err(at.backend_err())
    }

    /// Writes the model's archive, as stored, into `out`, front to back,
    /// streamed from the repository.
    pub fn download(&self, id: &str, out: &mut dyn std::io::Write) -> Result<(), Error> {
        let (at, logical) = self.archive_of(id)?;
        at.versioned
            .read_to(&logical, &at.model.version, out, &audmodel_uid::no_progress)
            .map_err(at.backend_err())
    }

    /// The located model and the logical path of its archive.
    fn archive_of(&self, id: &str) -> Result<(Located, BackendPath), Error> {
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        let header = self.header_at(&at)?;
        let logical = paths::archive(header.subgroup.as_deref(), &header.name, &model.sid)?;
        Ok((at, logical))
    }
}

/// The checked table of contents of a located model's archive, read with a
/// few range reads near its end; a damaged archive is [`Error::Corrupt`].
pub(crate) fn table_of_contents(
    at: &Located,
    logical: &BackendPath,
) -> Result<audmodel_archive::Directory, Error> {
    let version = &at.model.version;
    let size = at
        .versioned
        .size(logical, version)
        .map_err(at.backend_err())?;
    audmodel_archive::read_directory(size, |range| {
        at.versioned
            .read_range(logical, version, range)
            .map_err(at.backend_err())
    })
    .map_err(|e| match e {
        Error::Archive(e) => Error::corrupt(
            format!(
                "archive of model '{}' in repository '{}'",
                at.model.uid(),
                at.repo
            ),
            e,
        ),
        other => other,
    })
}
