//! Publish a model folder, load it, read its header and update its metadata.
//! This file is docs/library.md's "Using the library" example and the facade
//! crate's first doctest.

use audmodel::{Audmodel, Config, Mapping, MetaUpdate, PublishOptions, Repository, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let model = dir.path().join("model");
    std::fs::create_dir(&model)?;
    std::fs::write(model.join("weights.bin"), [0u8; 16])?;

    // A file-system repository and a cache of its own; `Audmodel::from_env()`
    // would read `~/.config/audmodel.yaml` instead, as the CLI does.
    // A configured repository's folder must exist: only the embedded
    // default's is created by a publish.
    let host = dir.path().join("repository");
    std::fs::create_dir_all(host.join("models"))?;
    let repository = Repository::new("models", host.to_str().ok_or("not UTF-8")?, "file-system");
    let client = Audmodel::new(Config::new(dir.path().join("cache"), vec![repository]));

    // Parameters and metadata are mappings of Python values, in this order.
    let params = Mapping::from([
        ("model", Value::from("cnn10")),
        ("data", "emodb".into()),
        ("feature", "melspec".into()),
        ("sampling_rate", 16000.into()),
    ]);
    let options = PublishOptions::default()
        .subgroup("audmodel.dummy.cnn")
        .alias("my-cnn")
        .meta([("epochs", 30)]);
    let uid = client.publish(&model, "torch", &params, "1.0.0", &options)?;
    assert_eq!(uid, "d4e9c65b-1.0.0"); // the Python reference's ID for the same model

    // Load by UID, short ID (the latest version) or alias.
    let folder = client.load("my-cnn")?;
    assert_eq!(std::fs::read(folder.join("weights.bin"))?, [0u8; 16]);
    assert_eq!(client.versions("d4e9c65b")?, ["1.0.0"]);

    // Values print as Python's repr.
    let header = client.header(&uid)?;
    assert_eq!(
        header.parameters.to_string(),
        "{'model': 'cnn10', 'data': 'emodb', 'feature': 'melspec', 'sampling_rate': 16000}"
    );

    let meta = client.update_meta(&uid, &Mapping::from([("data", "emodb")]), MetaUpdate::Merge)?;
    assert_eq!(meta.to_string(), "{'epochs': 30, 'data': 'emodb'}");
    assert_eq!(client.meta("my-cnn")?, meta);
    Ok(())
}
