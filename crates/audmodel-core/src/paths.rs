//! Logical backend paths of a model's files (SPEC 3 table).

use audmodel_backend::BackendPath;

use crate::Error;

/// The version alias files are stored at.
pub(crate) const ALIAS_VERSION: &str = "1.0.0";

fn path(text: &str) -> Result<BackendPath, Error> {
    BackendPath::new(text).map_err(|e| Error::InvalidInput {
        message: format!("'{text}' is no valid repository path"),
        source: Some(e.into()),
    })
}

/// `/_uid`, the folder of every header, meta and aliases file.
pub(crate) fn uid_folder() -> Result<BackendPath, Error> {
    path("/_uid")
}

/// `/_uid/{sid}.header.yaml`
pub(crate) fn header(sid: &str) -> Result<BackendPath, Error> {
    path(&format!("/_uid/{sid}.header.yaml"))
}

/// `/_uid/{sid}.meta.yaml`
pub(crate) fn meta(sid: &str) -> Result<BackendPath, Error> {
    path(&format!("/_uid/{sid}.meta.yaml"))
}

/// `/_uid/{sid}.aliases.yaml`
pub(crate) fn aliases(sid: &str) -> Result<BackendPath, Error> {
    path(&format!("/_uid/{sid}.aliases.yaml"))
}

/// `/_alias`, the folder of every alias file.
pub(crate) fn alias_folder() -> Result<BackendPath, Error> {
    path("/_alias")
}

/// `/_alias/{alias}.alias.yaml`
pub(crate) fn alias(alias: &str) -> Result<BackendPath, Error> {
    path(&format!("/_alias/{alias}.alias.yaml"))
}

/// `/{subgroup with . as /}/{name}/{sid}.zip`. Empty parts are dropped, as
/// the reference's `join` drops them (so no subgroup adds no folder).
pub(crate) fn archive(subgroup: Option<&str>, name: &str, sid: &str) -> Result<BackendPath, Error> {
    let subgroup = subgroup.unwrap_or("");
    let file = format!("{sid}.zip");
    let parts: Vec<&str> = subgroup
        .split('.')
        .chain([name, file.as_str()])
        .flat_map(|part| part.split('/'))
        .filter(|part| !part.is_empty())
        .collect();
    BackendPath::new(&format!("/{}", parts.join("/"))).map_err(|e| Error::InvalidInput {
        message: format!(
            "name '{name}' and subgroup '{subgroup}' do not give a valid repository path"
        ),
        source: Some(e.into()),
    })
}
