//! Publishing (SPEC 3): validate everything, pack locally, then put archive,
//! meta, aliases file and alias file, and the header last as the commit
//! point. A failure or interrupt removes what was put.

use std::path::{Path, PathBuf};

use audmodel_backend::{BackendPath, Versioned};
use audmodel_uid::{Mapping, Value};
use chrono::NaiveDate;

use crate::alias::{alias_yaml, aliases_yaml};
use crate::interrupt::Interrupt;
use crate::lookup::Model;
use crate::progress::{Stage, run_stage};
use crate::scratch::Scratch;
use crate::staged::{MAX_COPY, StagedArchive};
use crate::{Audmodel, Error, Header, paths};

/// Options of [`Audmodel::publish`], all those of the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishOptions {
    /// Subgroup; `.` become folders in the repository.
    pub subgroup: Option<String>,
    /// An alias to point at the model.
    pub alias: Option<String>,
    /// Author; the user name when `None`.
    pub author: Option<String>,
    /// Date; today when `None`.
    pub date: Option<NaiveDate>,
    /// Metadata (a mapping), editable later.
    pub meta: Option<Value>,
    /// Repository name; the first configured when `None`.
    pub repository: Option<String>,
    /// Deflate level 0 (stored) to 9; default 1.
    pub compression: u32,
    /// Folder for the temporary archive (created when missing, kept; the
    /// archive's own folder in it is removed, and so are those of killed
    /// publishes); the system's temporary folder when `None`.
    pub tmp_root: Option<PathBuf>,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            subgroup: None,
            alias: None,
            author: None,
            date: None,
            meta: None,
            repository: None,
            compression: 1,
            tmp_root: None,
        }
    }
}

/// How often a publisher on a store without locks checks that the model's
/// files are its own after writing the header, and how long it waits
/// between checks (times the round).
const SETTLE_ROUNDS: u32 = 6;
const SETTLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Files put so far, removed again when the publish fails.
struct Put<'a> {
    versioned: &'a Versioned,
    repo: String,
    files: Vec<(BackendPath, String)>,
}

impl Put<'_> {
    fn remove_all(&mut self) {
        for (path, version) in self.files.drain(..).rev() {
            // Best effort: the original error is what the caller needs.
            let _ = self.versioned.remove(&path, &version);
        }
    }
}

impl Audmodel {
    /// Zips the folder `root` and publishes it as a new model; returns its UID.
    ///
    /// Everything is checked before anything is written: the subgroup is not
    /// `_uid` or `_alias`, the alias is valid and free, the compression level
    /// is 0-9, the version is semantic, `root` is a folder, the parameters'
    /// keys can be sorted, name and subgroup give valid repository paths, and
    /// the UID is in no repository yet. Unlike the reference, an alias that
    /// already points to another published model is refused (the reference silently
    /// re-points it and, when the publish fails, deletes it); use
    /// [`set_alias`](Self::set_alias) to move it.
    ///
    /// The header is written create-only: on a file system two racing
    /// publishers of one UID cannot both succeed. Stores that ignore
    /// `If-None-Match` (Garage) overwrite; the header is then read back and a
    /// different one means another process won, reported as
    /// [`Error::PublishedInTheMeantime`] without removing the shared files,
    /// as the reference does.
    ///
    /// Ctrl+C and SIGTERM are caught while publishing: the publish stops
    /// after the running step, removes what it put and returns
    /// [`Error::Interrupted`]; a second signal ends the process at once.
    pub fn publish(
        &self,
        root: &Path,
        name: &str,
        params: &Mapping,
        version: &str,
        options: &PublishOptions,
    ) -> Result<String, Error> {
        let subgroup = options.subgroup.as_deref().filter(|s| !s.is_empty());
        if let Some(folder @ ("_uid" | "_alias")) = subgroup {
            return Err(Error::InvalidInput(format!(
                "It is not allowed to set subgroup to '{folder}'."
            )));
        }
        if let Some(alias) = &options.alias {
            audmodel_uid::validate_alias(alias)?;
        }
        if options.compression > 9 {
            return Err(Error::InvalidInput(format!(
                "'compression' has to be between 0 and 9, not {}.",
                options.compression
            )));
        }
        audmodel_uid::validate_version(version)?;
        let meta = match &options.meta {
            None => Value::Null,
            Some(m @ Value::Map(_)) => m.clone(),
            Some(other) => {
                return Err(Error::InvalidInput(format!(
                    "'meta' must be a mapping, not a {}",
                    other.type_name()
                )));
            }
        };
        if !root.is_dir() {
            return Err(if root.exists() {
                Error::InvalidInput(format!("'{}' is not a folder", root.display()))
            } else {
                Error::Io {
                    path: root.to_path_buf(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                }
            });
        }
        let sid = audmodel_uid::short_id(name, params, subgroup)?;
        let model = Model {
            sid: sid.clone(),
            version: version.to_owned(),
        };
        let uid = model.uid();
        let archive = paths::archive(subgroup, name, &sid)?;
        let index = match &options.repository {
            Some(name) => self.repos.index_of(name)?,
            None if self.repos.len() > 0 => 0,
            None => {
                return Err(Error::InvalidInput(
                    "no repository is configured".to_owned(),
                ));
            }
        };
        let repo = self.repos.repository(index).clone();
        if self.exists(&uid)? {
            return Err(Error::ModelExists { uid });
        }
        if let Some(alias) = &options.alias {
            self.check_alias_free(alias, &uid)?;
        }
        let header = Header {
            author: options.author.clone().unwrap_or_else(user_name),
            date: options
                .date
                .unwrap_or_else(|| chrono::Local::now().date_naive()),
            name: name.to_owned(),
            parameters: params.clone(),
            subgroup: subgroup.map(str::to_owned),
            version: version.to_owned(),
        };
        if repo.backend == "file-system" {
            // A fresh machine has no repository folder yet.
            let fs = audmodel_backend::FileSystem::new(&repo.host, &repo.name)
                .map_err(Error::backend(&repo.name))?;
            std::fs::create_dir_all(fs.root()).map_err(Error::io(fs.root()))?;
        }
        let versioned = self.repos.open(index)?;

        // Also removes what killed publishers left in the temporary folder.
        let tmp = Scratch::new(options.tmp_root.as_deref())?;
        let zip = tmp.path().join("model.zip");
        let header_file = tmp.path().join("model.yaml");
        std::fs::write(&header_file, header.to_yaml()).map_err(Error::io(&header_file))?;

        let interrupt = Interrupt::install();
        let pack_options = audmodel_archive::PackOptions {
            level: options.compression,
            ..Default::default()
        };
        let total = audmodel_archive::pack_size(root)?;
        let packed = run_stage(&*self.progress, Stage::Pack, total, |progress| {
            audmodel_archive::pack(root, &zip, &pack_options, progress)
        })?;
        if interrupt.raised() {
            return Err(Error::Interrupted { uid });
        }

        // Publishers of one model on a store with locks take turns, and the
        // turn lasts until a failed publish has removed its files: the next
        // one finds the header of the winner before writing anything.
        let header_path = paths::header(&sid)?;
        let turn = versioned
            .lock(&header_path, version)
            .map_err(Error::backend(&repo.name))?;
        if self.exists(&uid)? {
            return Err(Error::ModelExists { uid });
        }
        if turn.is_some() {
            // Only publishers of this model write its archive, and they take
            // turns: what lies half-copied there is a killed one's.
            let stored = audmodel_backend::Versioned::path(&archive, version)
                .map_err(Error::backend(&repo.name))?;
            versioned
                .backend()
                .remove_cut_writes(&stored.split().0)
                .map_err(Error::backend(&repo.name))?;
        }
        // Publishers asking for one alias take turns too (header lock first,
        // then alias lock, never the other way round).
        let _alias_turn = match &options.alias {
            Some(alias) => {
                let turn = versioned
                    .lock(&paths::alias(alias)?, paths::ALIAS_VERSION)
                    .map_err(Error::backend(&repo.name))?;
                self.check_alias_free(alias, &uid)?;
                Some(turn)
            }
            None => None,
        };

        let mut put = Put {
            versioned: &versioned,
            repo: repo.name.clone(),
            files: Vec::new(),
        };
        let outcome = self.put_files(
            &mut put,
            turn.is_none(),
            &interrupt,
            &model,
            &archive,
            &zip,
            &packed.md5,
            &meta,
            options.alias.as_deref(),
            &header_file,
        );
        match outcome {
            Ok(()) => Ok(uid),
            // The other publication shares these files: nothing is removed.
            Err(e @ Error::PublishedInTheMeantime { .. }) => Err(e),
            Err(e) => {
                put.remove_all();
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn put_files(
        &self,
        put: &mut Put<'_>,
        unlocked: bool,
        interrupt: &Interrupt,
        model: &Model,
        archive: &BackendPath,
        zip: &Path,
        md5: &str,
        meta: &Value,
        alias: Option<&str>,
        header_file: &Path,
    ) -> Result<(), Error> {
        let versioned = put.versioned;
        let uid = model.uid();
        let version = model.version.as_str();
        let repo = put.repo.clone();
        let backend_err = move |e| Error::Backend {
            repository: repo.clone(),
            source: e,
        };
        let check = || match interrupt.raised() {
            true => Err(Error::Interrupted { uid: uid.clone() }),
            false => Ok(()),
        };

        // Packing hashed the archive: no store needs to read it twice.
        let size = std::fs::metadata(zip).map_err(Error::io(zip))?.len();
        let stored_archive =
            audmodel_backend::Versioned::path(archive, version).map_err(backend_err.clone())?;
        let staged = match unlocked && size <= MAX_COPY {
            true => Some(
                run_stage(&*self.progress, Stage::Upload, size, |progress| {
                    StagedArchive::upload(
                        &**versioned.backend(),
                        zip,
                        md5,
                        &stored_archive,
                        progress,
                    )
                })
                .map_err(backend_err.clone())?,
            ),
            false => None,
        };
        check()?;
        if staged.is_some() && self.exists(&uid)? {
            // Found before anything was put under a final key.
            return Err(Error::ModelExists { uid });
        }
        // Each file is registered before it is written, so a half-written
        // one is removed too.
        put.files.push((archive.clone(), version.to_owned()));
        match &staged {
            Some(staged) => staged.copy_to(&stored_archive),
            None => run_stage(&*self.progress, Stage::Upload, size, |progress| {
                versioned.put_file_md5(zip, md5, archive, version, progress)
            }),
        }
        .map_err(backend_err.clone())?;
        check()?;

        let meta_path = paths::meta(&model.sid)?;
        let meta_yaml = audmodel_uid::yaml::to_string(meta);
        put.files.push((meta_path.clone(), version.to_owned()));
        versioned
            .put_bytes(meta_yaml.as_bytes(), &meta_path, version)
            .map_err(backend_err.clone())?;
        check()?;

        if let Some(alias) = alias {
            let aliases_path = paths::aliases(&model.sid)?;
            put.files.push((aliases_path.clone(), version.to_owned()));
            versioned
                .put_bytes(
                    aliases_yaml(&[alias.to_owned()]).as_bytes(),
                    &aliases_path,
                    version,
                )
                .map_err(backend_err.clone())?;
            check()?;
            let alias_path = paths::alias(alias)?;
            put.files
                .push((alias_path.clone(), paths::ALIAS_VERSION.to_owned()));
            versioned
                .put_bytes(
                    alias_yaml(&uid).as_bytes(),
                    &alias_path,
                    paths::ALIAS_VERSION,
                )
                .map_err(backend_err.clone())?;
            check()?;
        }

        // Another process may have published the same model meanwhile: its
        // files are shared with ours, so nothing is removed.
        let raced = || Error::PublishedInTheMeantime { uid: uid.clone() };
        if self.exists(&uid)? {
            return Err(raced());
        }
        let header_path = paths::header(&model.sid)?;
        match versioned.put_file_new(
            header_file,
            &header_path,
            version,
            &audmodel_backend::no_progress,
        ) {
            Ok(()) => {}
            Err(e) if e.kind() == audmodel_backend::ErrorKind::AlreadyExists => return Err(raced()),
            Err(e) => return Err(backend_err(e)),
        }
        // Registered: from here on a failure must not remove the files the
        // header now points to.
        put.files.clear();
        // Stores without conditional writes overwrite: read back what is
        // there. Without a lock a racer may also have replaced archive or
        // meta in the moment before the header.
        let ours = std::fs::read(header_file).map_err(Error::io(header_file))?;
        let stored = versioned
            .get_bytes(&header_path, version)
            .map_err(backend_err.clone())?;
        if stored != ours {
            return Err(raced());
        }
        if !unlocked {
            return Ok(());
        }
        // The header is ours, so this process is the model's publisher. A
        // racer that checked for the header just before ours appeared may
        // still put its archive or metadata: put ours back until both read
        // back as ours twice in a row (racers write each file once).
        let mut settled = 0;
        for round in 1..=SETTLE_ROUNDS {
            let archive_ours = versioned
                .backend()
                .checksum(&stored_archive)
                .map_err(backend_err.clone())?
                == md5;
            let meta_ours = versioned
                .get_bytes(&meta_path, version)
                .map_err(backend_err.clone())?
                == meta_yaml.as_bytes();
            let header_ours = versioned
                .get_bytes(&header_path, version)
                .map_err(backend_err.clone())?
                == ours;
            match (header_ours, archive_ours && meta_ours, &staged) {
                (false, _, _) | (true, false, None) => return Err(raced()),
                (true, true, _) => settled += 1,
                (true, false, Some(staged)) => {
                    settled = 0;
                    if !archive_ours {
                        staged
                            .copy_to(&stored_archive)
                            .map_err(backend_err.clone())?;
                    }
                    if !meta_ours {
                        versioned
                            .put_bytes(meta_yaml.as_bytes(), &meta_path, version)
                            .map_err(backend_err.clone())?;
                    }
                }
            }
            if settled == 2 {
                return Ok(());
            }
            std::thread::sleep(SETTLE_PAUSE * round);
        }
        Err(raced())
    }

    /// Refuses an alias that points to another published model. An alias
    /// file of a model that was never registered (its publish was killed)
    /// may be taken over.
    fn check_alias_free(&self, alias: &str, uid: &str) -> Result<(), Error> {
        match self.find_alias_uid(alias)? {
            Some(other) if other != uid && self.exists(&other)? => Err(Error::AliasTaken {
                alias: alias.to_owned(),
                uid: other,
            }),
            _ => Ok(()),
        }
    }

    /// The UID an alias points to, `None` when there is no such alias.
    fn find_alias_uid(&self, alias: &str) -> Result<Option<String>, Error> {
        match self.resolve_alias(alias) {
            Ok(uid) => Ok(Some(uid)),
            Err(Error::AliasNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The user name as Python's `getpass.getuser()`: the first of `LOGNAME`,
/// `USER`, `LNAME`, `USERNAME` that is set, else the account name.
fn user_name() -> String {
    for var in ["LOGNAME", "USER", "LNAME", "USERNAME"] {
        if let Some(name) = std::env::var(var).ok().filter(|n| !n.is_empty()) {
            return name;
        }
    }
    whoami::username().unwrap_or_default()
}
