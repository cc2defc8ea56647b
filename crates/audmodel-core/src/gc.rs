//! Repository upkeep: what killed or interrupted publishers leave (SPEC 3:
//! a model version without a header is not published) is found and
//! removed, never what a published model or a live publisher uses.
//!
//! Every file of a repository is attributed to the model version (or alias)
//! whose folders it lies in, by the layout of SPEC 3; files that cannot be
//! attributed are never touched. Then:
//!
//! - **Hidden work** (the hidden temporary file of a write on a file
//!   system, a staged upload `.{sid}-{V}.zip.upload-…`, an unfinished
//!   multipart upload, a conditional-write probe) is a leftover once it has
//!   not changed for [`GcOptions::older_than`], whether or not the model
//!   version is published: a live writer keeps changing it, or is done
//!   with it within moments.
//! - **The files of a model version that is not published** (archive,
//!   metadata, aliases file, claim, lock files) are leftovers when every
//!   file of that version is older than the age, and only while gc holds
//!   what keeps publishers of the version apart: on a store with locks the
//!   publishers' lock (taken without waiting: a version whose lock is held
//!   is in use and skipped), on a store that decides create-only writes the
//!   version's claim (written create-only, or a stale one taken over by
//!   compare-and-swap, so no publisher writes under the version's final
//!   keys meanwhile; removed last). On other stores (Garage) the age is all
//!   there is; a publish that races the removal puts its files back while
//!   it settles. The header is looked for again once that is held.
//! - **An alias file naming a model published in no configured
//!   repository**, under the alias's lock where the store has locks.
//! - **Folders** (file systems) left empty, by this run or earlier ones.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use audmodel_backend::{
    Backend, BackendExt, BackendPath, ErrorKind as BackendErrorKind, PutMode, StoreEntry,
    StoreEntryKind, WriteLock,
};
use audmodel_uid::ModelId;

use crate::publish::create_only::{claim_key, claim_text};
use crate::{Audmodel, DEFAULT_STALE_CLAIM_AFTER, Error};

/// The default of [`GcOptions::older_than`]: a publish takes over a claim
/// of this age ([`DEFAULT_STALE_CLAIM_AFTER`], 1 h), longer than the
/// 10 minutes after which it removes another publisher's staged upload, so
/// gc removes nothing a publish would still take for a live publisher's.
pub const DEFAULT_LEFTOVER_AGE: Duration = DEFAULT_STALE_CLAIM_AFTER;

/// Options of [`Audmodel::gc`].
///
/// ```
/// use std::time::Duration;
/// use audmodel_core::GcOptions;
/// let options = GcOptions::default().repository("models").dry_run(true);
/// assert_eq!(options.older_than, Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcOptions {
    /// Only this repository; every configured one when `None`.
    pub repository: Option<String>,
    /// Leave what changed more recently than this: it may be a live
    /// publisher's (default [`DEFAULT_LEFTOVER_AGE`]). Below 10 minutes
    /// an S3 publish still running can lose its upload (it then fails);
    /// on a file system the publishers' locks protect them at any age.
    pub older_than: Duration,
    /// Only say what would be removed: nothing is written, locked or claimed.
    pub dry_run: bool,
}

impl Default for GcOptions {
    fn default() -> Self {
        GcOptions {
            repository: None,
            older_than: DEFAULT_LEFTOVER_AGE,
            dry_run: false,
        }
    }
}

impl GcOptions {
    /// Only the repository of this name.
    pub fn repository(mut self, name: impl Into<String>) -> Self {
        self.repository = Some(name.into());
        self
    }

    /// Leaves what changed more recently than `age`.
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = age;
        self
    }

    /// Removes nothing, only reports.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
}

/// What a [`Leftover`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LeftoverKind {
    /// The hidden temporary file of a write cut short (file system,
    /// `.audmodel-tmp-…`), such as a half-packed archive.
    CutWrite,
    /// An archive uploaded under a hidden key and never copied into place
    /// or removed (S3, `.{sid}-{V}.zip.upload-…`).
    StagedUpload,
    /// A multipart upload neither completed nor aborted (S3): no object,
    /// but the store keeps its parts.
    UnfinishedUpload,
    /// Archive, metadata or aliases file of a model version that was never
    /// registered (it has no header).
    Unregistered,
    /// The claim on a model version that was never registered (S3 stores
    /// that decide create-only writes).
    Claim,
    /// The lock file of a model version never registered, or of an alias
    /// with no alias file (file system).
    Lock,
    /// An alias file naming a model published in no configured repository.
    DanglingAlias,
    /// The key a conditional-write probe left (S3).
    Probe,
    /// A folder with nothing in it (file system).
    EmptyFolder,
}

impl LeftoverKind {
    /// The kind in words, as the CLI prints it (`cut write`).
    pub fn as_str(self) -> &'static str {
        match self {
            LeftoverKind::CutWrite => "cut write",
            LeftoverKind::StagedUpload => "staged upload",
            LeftoverKind::UnfinishedUpload => "unfinished upload",
            LeftoverKind::Unregistered => "unregistered file",
            LeftoverKind::Claim => "claim",
            LeftoverKind::Lock => "lock",
            LeftoverKind::DanglingAlias => "dangling alias file",
            LeftoverKind::Probe => "probe",
            LeftoverKind::EmptyFolder => "empty folder",
        }
    }
}

impl std::fmt::Display for LeftoverKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing [`Audmodel::gc`] removed (or, in a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Leftover {
    /// The repository it lies in.
    pub repository: String,
    /// Its path in the repository (an unfinished upload: the key it was
    /// meant for).
    pub path: String,
    /// What it is.
    pub kind: LeftoverKind,
    /// The model version (UID) or alias it belongs to, when it belongs to one.
    pub owner: Option<String>,
    /// How long ago it last changed, when the store says.
    pub age: Option<Duration>,
    /// Bytes it took.
    pub bytes: u64,
}

impl Audmodel {
    /// Finds, and unless [`GcOptions::dry_run`] removes, what killed or
    /// interrupted publishers left in the repositories: hidden temporary
    /// archives and staged uploads, unfinished multipart uploads, the files
    /// of model versions never registered, their claims and lock files,
    /// alias files naming no published model, empty folders. Nothing that
    /// changed within [`GcOptions::older_than`] is taken, nor anything a
    /// publisher holds the lock or claim of; see the module's
    /// documentation and docs/guarantees.md for what keeps live
    /// publishers safe on each kind of store. Returns what was removed,
    /// sorted by repository and path.
    ///
    /// ```
    /// use std::time::Duration;
    /// use audmodel_core::{Audmodel, Config, GcOptions, LeftoverKind, Repository};
    /// let dir = tempfile::tempdir().unwrap();
    /// let repo_dir = dir.path().join("host/models");
    /// // What a publisher killed while packing leaves beside the archive.
    /// let folder = repo_dir.join("torch/d4e9c65b/1.0.0");
    /// std::fs::create_dir_all(&folder).unwrap();
    /// std::fs::write(folder.join(".audmodel-tmp-Ab3x9Q-d4e9c65b-1.0.0.zip"), b"PK").unwrap();
    /// let repo = Repository::new("models", dir.path().join("host").to_str().unwrap(), "file-system");
    /// let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repo]));
    /// let young = client.gc(&GcOptions::default()).unwrap();
    /// assert!(young.is_empty(), "it may be a live publisher's");
    /// let removed = client.gc(&GcOptions::default().older_than(Duration::ZERO)).unwrap();
    /// let kinds: Vec<LeftoverKind> = removed.iter().map(|l| l.kind).collect();
    /// assert!(kinds.contains(&LeftoverKind::CutWrite), "{removed:?}");
    /// assert!(!repo_dir.join("torch").exists(), "and the folders it leaves empty");
    /// ```
    pub fn gc(&self, options: &GcOptions) -> Result<Vec<Leftover>, Error> {
        let indices: Vec<usize> = match &options.repository {
            Some(name) => vec![self.repos.index_of(name)?],
            None => (0..self.repos.len()).collect(),
        };
        let mut found = Vec::new();
        for index in indices {
            let repository = self.repos.repository(index).name.clone();
            let versioned = self.repos.open(index)?;
            let sweep = Sweep {
                client: self,
                backend: &**versioned.backend(),
                repository: &repository,
                options,
                now: SystemTime::now(),
                found: Vec::new(),
                gone: BTreeSet::new(),
                folders: BTreeSet::new(),
            };
            found.extend(sweep.run()?);
        }
        found.sort_by(|a, b| (&a.repository, &a.path).cmp(&(&b.repository, &b.path)));
        Ok(found)
    }
}

/// Whose a file is, by the folders it lies in (SPEC 3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    /// A model version: `/_uid/{sid}/{V}/`, `/_uid/{sid}.aliases/{V}/`, or
    /// the archive's folder `…/{sid}/{V}/`.
    Model { sid: String, version: String },
    /// `/_alias/{alias}/1.0.0/`.
    Alias(String),
    /// The repository's top folder.
    Top,
}

/// What a file is to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Header,
    /// Archive, metadata or aliases file.
    Model,
    Claim,
    Lock,
    AliasFile,
    /// Hidden work of one writer: a leftover on its own age.
    Hidden(LeftoverKind),
    /// Not of the layout: never touched.
    Unknown,
}

/// The work on one repository.
struct Sweep<'a> {
    client: &'a Audmodel,
    backend: &'a dyn Backend,
    repository: &'a str,
    options: &'a GcOptions,
    now: SystemTime,
    found: Vec<Leftover>,
    /// Paths removed (or that would be), for the folders left empty.
    gone: BTreeSet<BackendPath>,
    /// The folders the inventory found, to tell those a lock made.
    folders: BTreeSet<BackendPath>,
}

type Group = Vec<(StoreEntry, Role)>;

impl Sweep<'_> {
    fn run(mut self) -> Result<Vec<Leftover>, Error> {
        let entries = self
            .backend
            .inventory(&BackendPath::root())
            .map_err(self.err())?;
        let mut groups: BTreeMap<Owner, Group> = BTreeMap::new();
        let mut folders = Vec::new();
        let mut files = Vec::new();
        for entry in entries {
            if entry.kind == StoreEntryKind::Folder {
                self.folders.insert(entry.path.clone());
                folders.push(entry);
                continue;
            }
            files.push(entry.path.clone());
            if let Some((owner, role)) = attribute(&entry) {
                groups.entry(owner).or_default().push((entry, role));
            }
        }
        let published: BTreeSet<String> = groups
            .iter()
            .filter(|(_, group)| group.iter().any(|(_, role)| *role == Role::Header))
            .filter_map(|(owner, _)| match owner {
                Owner::Model { sid, version } => Some(format!("{sid}-{version}")),
                _ => None,
            })
            .collect();
        for (owner, group) in &groups {
            match owner {
                Owner::Model { sid, version } => self.model(sid, version, group)?,
                Owner::Alias(alias) => self.alias(alias, group, &published)?,
                Owner::Top => self.hidden_only(group, None)?,
            }
        }
        self.folders(folders, &files)?;
        Ok(self.found)
    }

    fn err(&self) -> impl FnOnce(audmodel_backend::Error) -> Error + '_ {
        Error::backend(self.repository)
    }

    /// How long ago `entry` changed; `None` when unknown or in the future
    /// (another machine's clock).
    fn age(&self, entry: &StoreEntry) -> Option<Duration> {
        entry.modified.and_then(|t| self.now.duration_since(t).ok())
    }

    /// Unchanged for the age asked for; what has no time only at age zero.
    fn is_old(&self, entry: &StoreEntry) -> bool {
        match self.age(entry) {
            Some(age) => age >= self.options.older_than,
            None => self.options.older_than.is_zero(),
        }
    }

    /// Removes the hidden work of `group` that is old enough.
    fn hidden_only(&mut self, group: &Group, owner: Option<&str>) -> Result<(), Error> {
        for (entry, role) in group {
            if let Role::Hidden(kind) = role
                && self.is_old(entry)
            {
                self.remove(entry, *kind, owner)?;
            }
        }
        Ok(())
    }

    fn model(&mut self, sid: &str, version: &str, group: &Group) -> Result<(), Error> {
        let uid = format!("{sid}-{version}");
        let registered = group.iter().any(|(_, role)| *role == Role::Header);
        let finals: Vec<&(StoreEntry, Role)> = group
            .iter()
            .filter(|(_, role)| matches!(role, Role::Model | Role::Claim | Role::Lock))
            .collect();
        let whole_version_old = group.iter().all(|(entry, _)| self.is_old(entry));
        if registered || finals.is_empty() || !whole_version_old {
            return self.hidden_only(group, Some(&uid));
        }
        let header = header_path(sid, version).map_err(self.err())?;
        let can = self.backend.capabilities();
        let mut guard = Guard::None;
        if !self.options.dry_run {
            if let Some(local) = self.backend.local().filter(|_| can.locks) {
                match local.try_lock(&header).map_err(self.err())? {
                    Some(lock) => guard = Guard::Lock(lock),
                    // A live publisher's turn: nothing of this version is stale.
                    None => return Ok(()),
                }
            } else if can.create_only && can.compare_and_swap {
                match self.take_claim(&header)? {
                    Some(claim) => guard = Guard::Claim(claim),
                    None => return self.hidden_only(group, Some(&uid)),
                }
            }
            // Registered since the inventory (before the guard was held):
            // its files are the model's now, and so is a claim of ours.
            if self.backend.exists(&header).map_err(self.err())? {
                if let Guard::Claim(claim) = &mut guard {
                    claim.keep = true;
                }
                return self.hidden_only(group, Some(&uid));
            }
        }
        self.hidden_only(group, Some(&uid))?;
        let lock_file = lock_path(&header).map_err(self.err())?;
        let claim = claim_key(&header).map_err(self.err())?;
        // Archive, metadata, aliases file and other locks first; the
        // claim and the lock that keep publishers out go last.
        let last = |path: &BackendPath| *path == claim || *path == lock_file;
        for (entry, role) in finals.iter().filter(|(e, _)| !last(&e.path)) {
            self.remove(entry, kind_of(*role), Some(&uid))?;
        }
        for (entry, role) in finals.iter().filter(|(e, _)| last(&e.path)) {
            match (&guard, role) {
                // Ours now: removed below, once it is checked to be ours.
                (Guard::Claim(_), Role::Claim) => self.note(entry, LeftoverKind::Claim, &uid),
                _ => self.remove(entry, kind_of(*role), Some(&uid))?,
            }
        }
        if let Guard::Claim(claim) = &mut guard {
            claim.release(self.backend).map_err(self.err())?;
        }
        let made_lock = !group.iter().any(|(entry, _)| entry.path == lock_file);
        if matches!(guard, Guard::Lock(_)) && made_lock {
            self.remove_made_lock(&lock_file)?;
        }
        drop(guard);
        Ok(())
    }

    /// Removes the lock file a lock of ours created (the version had none)
    /// and the folders made for it, while the lock is held; not reported.
    fn remove_made_lock(&mut self, lock_file: &BackendPath) -> Result<(), Error> {
        let file = StoreEntry::new(lock_file.clone(), StoreEntryKind::File, 0, None);
        match self.backend.discard(&file) {
            Err(e) if e.kind() != BackendErrorKind::NotFound => return Err(self.err()(e)),
            _ => {}
        }
        let mut folder = lock_file.split().0;
        while !folder.key().is_empty() && !self.folders.contains(&folder) {
            let entry = StoreEntry::new(folder.clone(), StoreEntryKind::Folder, 0, None);
            if self.backend.discard(&entry).is_err() {
                break;
            }
            folder = folder.split().0;
        }
        Ok(())
    }

    fn alias(
        &mut self,
        alias: &str,
        group: &Group,
        published: &BTreeSet<String>,
    ) -> Result<(), Error> {
        let owner = format!("alias '{alias}'");
        let file = group.iter().find(|(_, role)| *role == Role::AliasFile);
        let finals: Vec<&(StoreEntry, Role)> = group
            .iter()
            .filter(|(_, role)| matches!(role, Role::AliasFile | Role::Lock))
            .collect();
        let all_old = group.iter().all(|(entry, _)| self.is_old(entry));
        if finals.is_empty() || !all_old {
            return self.hidden_only(group, Some(&owner));
        }
        if let Some((entry, _)) = file
            && !self.names_no_model(alias, &entry.path, published)?
        {
            return self.hidden_only(group, Some(&owner));
        }
        let stored = alias_path(alias).map_err(self.err())?;
        let mut lock = None;
        let local = self
            .backend
            .local()
            .filter(|_| self.backend.capabilities().locks);
        if let (false, Some(local)) = (self.options.dry_run, local) {
            match local.try_lock(&stored).map_err(self.err())? {
                Some(held) => lock = Some(held),
                None => return Ok(()),
            }
            // Written again since the inventory: a live publisher's.
            if file.is_none() && self.backend.exists(&stored).map_err(self.err())? {
                return self.hidden_only(group, Some(&owner));
            }
        }
        self.hidden_only(group, Some(&owner))?;
        let lock_file = lock_path(&stored).map_err(self.err())?;
        let mut ordered = finals.clone();
        ordered.sort_by_key(|(entry, _)| entry.path == lock_file);
        for (entry, role) in ordered {
            self.remove(entry, kind_of(*role), Some(&owner))?;
        }
        if lock.is_some() && !group.iter().any(|(entry, _)| entry.path == lock_file) {
            self.remove_made_lock(&lock_file)?;
        }
        drop(lock);
        Ok(())
    }

    /// Whether the alias file at `path` names a model that no configured
    /// repository holds; read again just before, so an alias a publisher
    /// is writing now is seen. A file that cannot be read or parsed, or a
    /// repository that cannot be asked, counts as naming one (kept).
    fn names_no_model(
        &self,
        alias: &str,
        path: &BackendPath,
        published: &BTreeSet<String>,
    ) -> Result<bool, Error> {
        let bytes = match self.backend.get_bytes(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == BackendErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.err()(e)),
        };
        let Ok(uid) = crate::alias::parse_alias(&bytes, alias) else {
            return Ok(false);
        };
        if published.contains(&uid) {
            return Ok(false);
        }
        Ok(matches!(self.client.exists(&uid), Ok(false)))
    }

    /// Writes gc's own claim on the version whose stored header is
    /// `header`: create-only where there is none, else in place of the one
    /// there (which is old: the version's every file is) by
    /// compare-and-swap. `None` when another writer got there first.
    fn take_claim(&self, header: &BackendPath) -> Result<Option<HeldClaim>, Error> {
        let key = claim_key(header).map_err(self.err())?;
        let holder = format!("audmodel-gc-{}", std::process::id());
        let text = claim_text(&holder, SystemTime::now());
        let written = match self.backend.get_for_update(&key) {
            Ok((_, version)) => {
                self.backend
                    .put_bytes(text.as_bytes(), &key, PutMode::Update(version))
            }
            Err(e) if e.kind() == BackendErrorKind::NotFound => {
                self.backend
                    .put_bytes(text.as_bytes(), &key, PutMode::Create)
            }
            Err(e) => return Err(self.err()(e)),
        };
        match written {
            Ok(()) => Ok(Some(HeldClaim {
                key,
                text,
                keep: false,
            })),
            Err(e)
                if matches!(
                    e.kind(),
                    BackendErrorKind::AlreadyExists | BackendErrorKind::Precondition
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.err()(e)),
        }
    }

    /// Reports `entry` as a leftover without removing it (removed by its
    /// guard).
    fn note(&mut self, entry: &StoreEntry, kind: LeftoverKind, owner: &str) {
        self.gone.insert(entry.path.clone());
        self.found.push(Leftover {
            repository: self.repository.to_owned(),
            path: entry.path.as_str().to_owned(),
            kind,
            owner: Some(owner.to_owned()),
            age: self.age(entry),
            bytes: entry.size,
        });
    }

    /// Removes `entry` (not in a dry run) and reports it; one gone already
    /// is not reported.
    fn remove(
        &mut self,
        entry: &StoreEntry,
        kind: LeftoverKind,
        owner: Option<&str>,
    ) -> Result<(), Error> {
        if !self.options.dry_run {
            match self.backend.discard(entry) {
                Ok(()) => {}
                Err(e) if e.kind() == BackendErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(self.err()(e)),
            }
        }
        self.gone.insert(entry.path.clone());
        self.found.push(Leftover {
            repository: self.repository.to_owned(),
            path: entry.path.as_str().to_owned(),
            kind,
            owner: owner.map(str::to_owned),
            age: self.age(entry),
            bytes: entry.size,
        });
        Ok(())
    }

    /// Removes the folders (on stores that have them) with nothing left
    /// below them: those this run emptied, and empty ones older than the
    /// age (a fresh one may be a publisher's, about to get its first
    /// file). The top folder, `/_uid` and `/_alias` stay.
    fn folders(
        &mut self,
        mut folders: Vec<StoreEntry>,
        files: &[BackendPath],
    ) -> Result<(), Error> {
        fn mark(set: &mut BTreeSet<BackendPath>, path: &BackendPath) {
            let mut folder = path.split().0;
            while !folder.key().is_empty() && set.insert(folder.clone()) {
                folder = folder.split().0;
            }
        }
        let mut occupied = BTreeSet::new();
        for file in files.iter().filter(|f| !self.gone.contains(*f)) {
            mark(&mut occupied, file);
        }
        let mut emptied = BTreeSet::new();
        for path in &self.gone {
            mark(&mut emptied, path);
        }
        // Deepest first, so a folder is judged after everything below it.
        folders.sort_by_key(|f| std::cmp::Reverse(f.path.as_str().matches('/').count()));
        for folder in &folders {
            let keep = ["/_uid", "/_alias"].contains(&folder.path.as_str())
                || occupied.contains(&folder.path)
                || (!emptied.contains(&folder.path) && !self.is_old(folder));
            if keep {
                mark(&mut occupied, &folder.path);
                continue;
            }
            if !self.options.dry_run {
                match self.backend.discard(folder) {
                    Ok(()) => {}
                    // Filled again since, or removed by another: not ours.
                    Err(e)
                        if matches!(
                            e.kind(),
                            BackendErrorKind::Precondition | BackendErrorKind::NotFound
                        ) =>
                    {
                        mark(&mut occupied, &folder.path);
                        continue;
                    }
                    Err(e) => return Err(self.err()(e)),
                }
            }
            mark(&mut emptied, &folder.path);
            self.gone.insert(folder.path.clone());
            self.found.push(Leftover {
                repository: self.repository.to_owned(),
                path: folder.path.as_str().to_owned(),
                kind: LeftoverKind::EmptyFolder,
                owner: None,
                age: self.age(folder),
                bytes: 0,
            });
        }
        Ok(())
    }
}

/// What keeps publishers out of a model version while its files go.
enum Guard {
    None,
    /// The publishers' lock (file system), released when dropped.
    Lock(#[allow(dead_code)] WriteLock),
    Claim(HeldClaim),
}

/// A claim gc wrote on a model version.
struct HeldClaim {
    key: BackendPath,
    text: String,
    /// The model was registered meanwhile: the claim stays, as a
    /// registered model's does.
    keep: bool,
}

impl HeldClaim {
    /// Removes the claim if it is still gc's (a publisher that took it
    /// over as stale owns it now).
    fn release(&self, backend: &dyn Backend) -> Result<(), audmodel_backend::Error> {
        if self.keep {
            return Ok(());
        }
        match backend.get_bytes(&self.key) {
            Ok(bytes) if bytes == self.text.as_bytes() => match backend.delete(&self.key) {
                Err(e) if e.kind() != BackendErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            Err(e) if e.kind() != BackendErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn kind_of(role: Role) -> LeftoverKind {
    match role {
        Role::Claim => LeftoverKind::Claim,
        Role::Lock => LeftoverKind::Lock,
        Role::AliasFile => LeftoverKind::DanglingAlias,
        Role::Hidden(kind) => kind,
        Role::Header | Role::Model | Role::Unknown => LeftoverKind::Unregistered,
    }
}

/// The stored header of a model version: `/_uid/{sid}/{V}/{sid}-{V}.header.yaml`.
fn header_path(sid: &str, version: &str) -> Result<BackendPath, audmodel_backend::Error> {
    BackendPath::new(&format!(
        "/_uid/{sid}/{version}/{sid}-{version}.header.yaml"
    ))
}

/// The stored alias file: `/_alias/{alias}/1.0.0/{alias}-1.0.0.alias.yaml`.
fn alias_path(alias: &str) -> Result<BackendPath, audmodel_backend::Error> {
    let v = crate::paths::ALIAS_VERSION;
    BackendPath::new(&format!("/_alias/{alias}/{v}/{alias}-{v}.alias.yaml"))
}

/// The lock file a store with locks keeps beside `path`: `.{file}.lock`.
fn lock_path(path: &BackendPath) -> Result<BackendPath, audmodel_backend::Error> {
    let (folder, file) = path.split();
    folder.join(&format!(".{file}.lock"))
}

/// A short ID or a legacy UID: what names a model's folders.
fn is_model_id(text: &str) -> bool {
    matches!(
        ModelId::parse(text),
        Ok(ModelId::ShortId(_) | ModelId::Legacy(_))
    )
}

/// The owner of a file and what it is to it, by SPEC 3's layout; `None`
/// for files outside it, which gc leaves alone.
fn attribute(entry: &StoreEntry) -> Option<(Owner, Role)> {
    let parts: Vec<&str> = entry.path.key().split('/').collect();
    let hidden = match &entry.kind {
        StoreEntryKind::CutWrite => Some(LeftoverKind::CutWrite),
        StoreEntryKind::Upload { .. } => Some(LeftoverKind::UnfinishedUpload),
        _ => None,
    };
    if let [name] = parts.as_slice() {
        let probe = name.starts_with(".audmodel-conditional-probe-");
        return match (hidden, probe) {
            (Some(kind), _) => Some((Owner::Top, Role::Hidden(kind))),
            (None, true) => Some((Owner::Top, Role::Hidden(LeftoverKind::Probe))),
            (None, false) => None,
        };
    }
    let [folders @ .., folder, version, file] = parts.as_slice() else {
        return None;
    };
    let (folder, version, file) = (*folder, *version, *file);
    let is_lock = file.starts_with('.') && file.ends_with(".lock");
    match folders {
        ["_alias"] if version == crate::paths::ALIAS_VERSION => {
            let role = match hidden {
                Some(kind) => Role::Hidden(kind),
                None if file == format!("{folder}-{version}.alias.yaml") => Role::AliasFile,
                None if is_lock => Role::Lock,
                None => Role::Unknown,
            };
            Some((Owner::Alias(folder.to_owned()), role))
        }
        ["_alias", ..] => None,
        ["_uid"] => {
            let (sid, aliases) = match folder.strip_suffix(".aliases") {
                Some(sid) => (sid, true),
                None => (folder, false),
            };
            if !is_model_id(sid) || audmodel_uid::validate_version(version).is_err() {
                return None;
            }
            let role = match hidden {
                Some(kind) => Role::Hidden(kind),
                None if aliases && file == format!("{sid}.aliases-{version}.yaml") => Role::Model,
                None if aliases => match is_lock {
                    true => Role::Lock,
                    false => Role::Unknown,
                },
                None if file == format!("{sid}-{version}.header.yaml") => Role::Header,
                None if file == format!("{sid}-{version}.meta.yaml") => Role::Model,
                None if file == format!(".{sid}-{version}.header.yaml.claim") => Role::Claim,
                None if is_lock => Role::Lock,
                None => Role::Unknown,
            };
            let owner = Owner::Model {
                sid: sid.to_owned(),
                version: version.to_owned(),
            };
            Some((owner, role))
        }
        ["_uid", ..] => None,
        // `{subgroup…}/{name}/{sid}/{V}/`: at least the name's folder.
        [_, ..] if is_model_id(folder) && audmodel_uid::validate_version(version).is_ok() => {
            let role = match hidden {
                Some(kind) => Role::Hidden(kind),
                None if file == format!("{folder}-{version}.zip") => Role::Model,
                None if file.starts_with(&format!(".{folder}-{version}.zip.upload-")) => {
                    Role::Hidden(LeftoverKind::StagedUpload)
                }
                None if is_lock => Role::Lock,
                None => Role::Unknown,
            };
            let owner = Owner::Model {
                sid: folder.to_owned(),
                version: version.to_owned(),
            };
            Some((owner, role))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn of(path: &str, kind: StoreEntryKind) -> Option<(Owner, Role)> {
        attribute(&StoreEntry::new(
            BackendPath::new(path).unwrap(),
            kind,
            0,
            None,
        ))
    }

    fn model(sid: &str, version: &str) -> Owner {
        Owner::Model {
            sid: sid.to_owned(),
            version: version.to_owned(),
        }
    }

    #[test]
    fn on_a_store_that_decides_create_only_writes_only_what_is_unregistered_goes() {
        use crate::{Config, Mapping, PublishOptions, Registry, Repository};
        use audmodel_backend::Memory;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let store = Memory::new();
        let mut registry = Registry::new();
        let shared = store.clone();
        registry.register("memory", move |_| {
            Ok(Arc::new(shared.clone()) as Arc<dyn Backend>)
        });
        let repo = Repository::new("models", "here", "memory");
        let client =
            Audmodel::with_registry(Config::new(dir.path().join("cache"), vec![repo]), registry);
        let model = dir.path().join("model");
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join("weights.bin"), b"0123").unwrap();
        let options = PublishOptions::default();
        let uid = client
            .publish(&model, "torch", &Mapping::new(), "1.0.0", &options)
            .unwrap();
        let sid = &uid[..8];
        let published = store.list(&BackendPath::root()).unwrap();

        // What a publisher of 2.0.0 killed after its claim leaves, a staged
        // upload beside the published archive, an alias naming 2.0.0.
        let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
        let planted = [
            (
                format!("/_uid/{sid}/2.0.0/.{sid}-2.0.0.header.yaml.claim"),
                claim_text("killed", two_hours_ago),
            ),
            (format!("/torch/{sid}/2.0.0/{sid}-2.0.0.zip"), "PK".into()),
            (
                format!("/_uid/{sid}/2.0.0/{sid}-2.0.0.meta.yaml"),
                "null\n".into(),
            ),
            (
                format!("/torch/{sid}/2.0.0/.{sid}-2.0.0.zip.upload-1-2"),
                "PK".into(),
            ),
            (
                format!("/torch/{sid}/1.0.0/.{sid}-1.0.0.zip.upload-1-3"),
                "PK".into(),
            ),
            (
                "/_alias/ghost/1.0.0/ghost-1.0.0.alias.yaml".into(),
                format!("uid: {sid}-2.0.0\n"),
            ),
        ];
        for (path, text) in &planted {
            let path = BackendPath::new(path).unwrap();
            store
                .put_bytes(text.as_bytes(), &path, PutMode::Overwrite)
                .unwrap();
        }
        let everything = store.list(&BackendPath::root()).unwrap();

        // The store keeps no times: nothing is known to be old.
        assert_eq!(client.gc(&GcOptions::default()).unwrap(), []);
        let now = GcOptions::default().older_than(Duration::ZERO);
        let would = client.gc(&now.clone().dry_run(true)).unwrap();
        let mut paths: Vec<&str> = would.iter().map(|l| l.path.as_str()).collect();
        let mut expected: Vec<&str> = planted.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort();
        expected.sort();
        assert_eq!(paths, expected);
        assert_eq!(store.list(&BackendPath::root()).unwrap(), everything);
        let removed = client.gc(&now).unwrap();
        assert_eq!(removed, would);
        assert_eq!(store.list(&BackendPath::root()).unwrap(), published);
        assert!(client.load(&uid).unwrap().join("weights.bin").exists());
        assert_eq!(client.gc(&now).unwrap(), []);
    }

    #[test]
    fn files_belong_to_their_model_version_by_the_layout() {
        let file = StoreEntryKind::File;
        let v = ("d4e9c65b", "1.0.0");
        let m = || model(v.0, v.1);
        let cases = [
            (
                "/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.header.yaml",
                Role::Header,
            ),
            ("/_uid/d4e9c65b/1.0.0/d4e9c65b-1.0.0.meta.yaml", Role::Model),
            (
                "/_uid/d4e9c65b/1.0.0/.d4e9c65b-1.0.0.header.yaml.claim",
                Role::Claim,
            ),
            (
                "/_uid/d4e9c65b/1.0.0/.d4e9c65b-1.0.0.header.yaml.lock",
                Role::Lock,
            ),
            (
                "/_uid/d4e9c65b.aliases/1.0.0/d4e9c65b.aliases-1.0.0.yaml",
                Role::Model,
            ),
            ("/a/b/torch/d4e9c65b/1.0.0/d4e9c65b-1.0.0.zip", Role::Model),
            ("/torch/d4e9c65b/1.0.0/d4e9c65b-1.0.0.zip", Role::Model),
            (
                "/torch/d4e9c65b/1.0.0/.d4e9c65b-1.0.0.zip.upload-17-ab",
                Role::Hidden(LeftoverKind::StagedUpload),
            ),
            ("/torch/d4e9c65b/1.0.0/notes.txt", Role::Unknown),
        ];
        for (path, role) in cases {
            assert_eq!(of(path, file.clone()), Some((m(), role)), "{path}");
        }
        assert_eq!(
            of(
                "/torch/d4e9c65b/1.0.0/.audmodel-tmp-x1-d4e9c65b-1.0.0.zip",
                StoreEntryKind::CutWrite
            ),
            Some((m(), Role::Hidden(LeftoverKind::CutWrite)))
        );
        assert_eq!(
            of(
                "/torch/d4e9c65b/1.0.0/d4e9c65b-1.0.0.zip",
                StoreEntryKind::Upload { id: "1".into() }
            ),
            Some((m(), Role::Hidden(LeftoverKind::UnfinishedUpload)))
        );
        assert_eq!(
            of("/_alias/best/1.0.0/best-1.0.0.alias.yaml", file.clone()),
            Some((Owner::Alias("best".into()), Role::AliasFile))
        );
        assert_eq!(
            of("/.audmodel-conditional-probe-0a", file.clone()),
            Some((Owner::Top, Role::Hidden(LeftoverKind::Probe)))
        );
        for outside in [
            "/readme.txt",
            "/d4e9c65b/1.0.0/d4e9c65b-1.0.0.zip",
            "/torch/notanid/1.0.0/x.zip",
            "/torch/d4e9c65b/v1/d4e9c65b-v1.zip",
            "/_uid/d4e9c65b/1.0.0/x/y",
            "/_alias/best/2.0.0/best-2.0.0.alias.yaml",
        ] {
            assert_eq!(of(outside, file.clone()), None, "{outside}");
        }
    }
}
