//! Everything a publish decides before it writes: the checks of its
//! arguments, the header, the files and the repository they go to.

use std::path::{Path, PathBuf};

use audmodel_backend::{BackendPath, FileSystem, Repository, Versioned};
use audmodel_uid::{CancelToken, Mapping, Value};

use crate::lookup::Model;
use crate::{Audmodel, Error, Header, Operation, PublishOptions, paths};

/// A publish, checked and laid out.
pub(super) struct Plan {
    pub(super) model: Model,
    /// The header file's bytes, as the reference writes them.
    pub(super) header_yaml: String,
    pub(super) meta_yaml: String,
    pub(super) alias: Option<String>,
    pub(super) paths: Paths,
    /// The repository the model goes to.
    pub(super) repo: String,
    /// The repository's folder, when it is one on this machine (a
    /// file-system repository): where the archive takes disk space.
    pub(super) folder: Option<PathBuf>,
    pub(super) versioned: Versioned,
    pub(super) cancel: CancelToken,
    /// See [`PublishOptions::stale_claim_after`].
    pub(super) stale_claim_after: std::time::Duration,
}

/// The logical paths of the model's files (SPEC 3 table).
pub(super) struct Paths {
    pub(super) archive: BackendPath,
    pub(super) header: BackendPath,
    pub(super) meta: BackendPath,
    pub(super) aliases: BackendPath,
}

impl Plan {
    /// Checks every argument and that the UID is in no repository, so
    /// that a refusal writes nothing.
    pub(super) fn new(
        client: &Audmodel,
        root: &Path,
        name: &str,
        params: &Mapping,
        version: &str,
        options: &PublishOptions,
    ) -> Result<Plan, Error> {
        let subgroup = options.subgroup.as_deref().filter(|s| !s.is_empty());
        if let Some(folder @ ("_uid" | "_alias")) = subgroup {
            return Err(Error::invalid(format!(
                "It is not allowed to set subgroup to '{folder}'."
            )));
        }
        // The reference accepts both and builds odd archive paths (`/a//b/`,
        // `//{sid}.zip`); refusing them writes nothing, and no ID that its
        // own checks let through changes.
        if name.is_empty() {
            return Err(Error::invalid("The model name must not be empty."));
        }
        if let Some(subgroup) = subgroup
            && subgroup.split('.').any(str::is_empty)
        {
            return Err(Error::invalid(format!(
                "The subgroup '{subgroup}' has an empty part: its parts, separated by '.', \
                 must not be empty."
            )));
        }
        if let Some(alias) = &options.alias {
            audmodel_uid::validate_alias(alias)?;
        }
        if options.compression > 9 {
            return Err(Error::invalid(format!(
                "'compression' has to be between 0 and 9, not {}.",
                options.compression
            )));
        }
        audmodel_uid::validate_version(version)?;
        // No metadata is written as `null`, as the reference writes it.
        let meta = options.meta.clone().map_or(Value::Null, Value::Map);
        check_folder(root)?;
        let sid = audmodel_uid::short_id(name, params, subgroup)?;
        let model = Model {
            sid: sid.clone(),
            version: version.to_owned(),
        };
        let paths = Paths {
            archive: paths::archive(subgroup, name, &sid)?,
            header: paths::header(&sid)?,
            meta: paths::meta(&sid)?,
            aliases: paths::aliases(&sid)?,
        };
        let index = match &options.repository {
            Some(name) => client.repos.index_of(name)?,
            None if client.repos.len() > 0 => 0,
            None => return Err(Error::invalid("no repository is configured")),
        };
        // A fresh machine has no folder for the embedded default repository
        // yet; a configured repository's folder missing is a mistake (an
        // unmounted disk) that creating it would hide.
        if client.repos.is_embedded_default() {
            let repo = &client.repos.repository(index).name;
            let versioned = client.repos.open(index)?;
            versioned.create_root().map_err(Error::backend(repo))?;
        }
        if client.is_offline() {
            // Before `exists`, whose offline error is about the cache.
            return Err(Error::Offline {
                what: format!(
                    "`publish` writes to repository '{}'",
                    client.repos.repository(index).name
                ),
            });
        }
        let uid = model.uid();
        if client.exists(&uid)? {
            return Err(Error::ModelExists { uid });
        }
        if let Some(alias) = &options.alias {
            client.check_alias_free(alias, &uid)?;
        }
        let header = Header {
            author: options
                .author
                .clone()
                .unwrap_or_else(audmodel_uid::user_name),
            date: options
                .date
                .unwrap_or_else(|| chrono::Local::now().date_naive()),
            name: name.to_owned(),
            parameters: params.clone(),
            subgroup: subgroup.map(str::to_owned),
            version: version.to_owned(),
        };
        let repo = client.repos.repository(index).name.clone();
        let folder = local_folder(client.repos.repository(index));
        let versioned = client.repos.open(index)?;
        Ok(Plan {
            model,
            header_yaml: header.to_yaml(),
            meta_yaml: audmodel_uid::yaml::to_string(&meta),
            alias: options.alias.clone(),
            paths,
            repo,
            folder,
            versioned,
            cancel: options.cancel.clone(),
            stale_claim_after: options.stale_claim_after,
        })
    }

    /// [`Error::Interrupted`] once the caller cancelled.
    pub(super) fn check_cancelled(&self) -> Result<(), Error> {
        match self.cancel.is_cancelled() {
            true => Err(Error::Interrupted {
                what: Operation::Publish,
                uid: self.model.uid(),
            }),
            false => Ok(()),
        }
    }

    /// Whether the target repository holds the model's header: the one
    /// question racing publishers ask while they commit.
    pub(super) fn registered(&self) -> Result<bool, Error> {
        self.versioned
            .exists(&self.paths.header, &self.model.version)
            .map_err(self.backend_err())
    }

    /// Wraps an error of the target repository.
    pub(super) fn backend_err(&self) -> impl FnOnce(audmodel_backend::Error) -> Error + '_ {
        Error::backend(&self.repo)
    }
}

/// The folder of a file-system repository, resolved by the backend's own
/// constructor so it is the folder the backend writes in.
fn local_folder(repository: &Repository) -> Option<PathBuf> {
    if repository.backend != "file-system" {
        return None;
    }
    let backend = FileSystem::new(&repository.host, &repository.name).ok()?;
    Some(backend.root().to_path_buf())
}

fn check_folder(root: &Path) -> Result<(), Error> {
    if root.is_dir() {
        return Ok(());
    }
    Err(if root.exists() {
        Error::invalid(format!("'{}' is not a folder", root.display()))
    } else {
        Error::Io {
            path: root.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        }
    })
}
