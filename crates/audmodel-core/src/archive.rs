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

/// A model's archive, found once in its repository by
/// [`Audmodel::archive`], so that what is asked of it next asks that
/// repository alone.
#[derive(Debug, Clone)]
pub struct Archive {
    at: Located,
    logical: BackendPath,
}

impl Archive {
    /// The UID of the model whose archive this is.
    pub fn uid(&self) -> String {
        self.at.model.uid()
    }

    /// The files of the archive with their sizes, read from its table of
    /// contents with a few range reads near its end, not a download.
    pub fn files(&self) -> Result<Vec<ArchiveFile>, Error> {
        let directory = table_of_contents(&self.at, &self.logical)?;
        Ok(directory
            .entries()
            .map(|entry| ArchiveFile {
                name: entry.name.to_owned(),
                size: entry.size,
            })
            .collect())
    }

    /// Its size in bytes in the repository.
    pub fn size(&self) -> Result<u64, Error> {
        self.at
            .versioned
            .size(&self.logical, &self.at.model.version)
            .map_err(self.at.backend_err())
    }

    /// Its MD5 (lower-case hex) as the repository states it (on a file
    /// system this reads the archive).
    pub fn checksum(&self) -> Result<String, Error> {
        self.at
            .versioned
            .checksum(&self.logical, &self.at.model.version)
            .map_err(self.at.backend_err())
    }

    /// Writes the archive, as stored, into `out`, front to back, streamed
    /// from the repository.
    pub fn download(&self, out: &mut dyn std::io::Write) -> Result<(), Error> {
        self.at
            .versioned
            .read_to(
                &self.logical,
                &self.at.model.version,
                out,
                &audmodel_uid::no_progress,
            )
            .map_err(self.at.backend_err())
    }
}

impl Audmodel {
    /// The archive of model `id` (UID, short ID or alias): resolved,
    /// located and its header read once, for the questions
    /// [`Archive`] answers.
    pub fn archive(&self, id: &str) -> Result<Archive, Error> {
        let model = self.resolve(id)?;
        let at = self.locate(&model)?;
        let header = self.header_at(&at)?;
        let logical = paths::archive(header.subgroup.as_deref(), &header.name, &model.sid)?;
        Ok(Archive { at, logical })
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
