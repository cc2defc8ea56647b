//! Configuration files, the built-in default and `AUDMODEL_CACHE_ROOT`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use audmodel::{Config, ConfigSource, ErrorKind, Repository};

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("audmodel.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_file_overrides_the_default_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "repositories:\n  - name: a\n    host: /srv/models\n    backend: file-system\n  - name: b\n    host: s3.example.com\n    backend: s3\n",
    );
    let config = Config::from_yaml_file(&file).unwrap();
    assert_eq!(
        config.repositories,
        [
            Repository::new("a", "/srv/models", "file-system"),
            Repository::new("b", "s3.example.com", "s3")
        ]
    );
    assert_eq!(
        config.sources.repositories,
        ConfigSource::File(file.clone())
    );
    // The cache root is the default's, with `~` expanded.
    assert_eq!(config.sources.cache_root, ConfigSource::Default);
    assert!(config.cache_root.is_absolute());
    assert!(config.cache_root.ends_with("audmodel"));

    let file = write(dir.path(), "cache_root: /data/cache\n");
    let config = Config::from_yaml_file(&file).unwrap();
    assert_eq!(config.cache_root, Path::new("/data/cache"));
    assert_eq!(config.sources.cache_root, ConfigSource::File(file));
    assert_eq!(
        config.repositories,
        Config::default_config().unwrap().repositories
    );
}

#[test]
fn the_default_is_a_local_file_system_repository() {
    let config = Config::default_config().unwrap();
    assert_eq!(config.repositories.len(), 1);
    assert_eq!(config.repositories[0].name, "models");
    assert_eq!(config.repositories[0].backend, "file-system");
    assert_eq!(config.repositories[0].host, "~/audmodel-repository");
}

#[test]
fn bad_files_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    for (text, problem) in [
        ("repositories: []\n", "empty 'repositories:'"),
        ("repositories:\n", "empty 'repositories:'"),
        (
            "repositories:\n  - host: h\n    backend: s3\n",
            "missing a 'name'",
        ),
        (
            "repositories:\n  - name: n\n    backend: s3\n",
            "missing a 'host'",
        ),
        (
            "repositories:\n  - name: n\n    host: h\n",
            "missing a 'backend'",
        ),
        (
            "repositories:\n  - name: n\n    host: h\n    backend: ftp\n",
            "unknown backend 'ftp'",
        ),
        ("repositories: [\n", "invalid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("repositories: models\n", "must be a list"),
    ] {
        let file = write(dir.path(), text);
        let err = Config::from_yaml_file(&file).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{text:?}: {err}");
        let message = err.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains(problem), "{text:?}: {message}");
    }
    let err = Config::from_yaml_file(dir.path().join("missing.yaml")).unwrap_err();
    assert!(err.to_string().contains("missing.yaml"), "{err}");
}

/// Set by the parent test in the child process it starts.
const CHILD: &str = "AUDMODEL_CORE_CONFIG_CHILD";

/// `Config::load` reads `$HOME/.config/audmodel.yaml` and
/// `AUDMODEL_CACHE_ROOT`. Environment changes are process-wide, so this test
/// runs itself again as a child process with its own environment.
#[test]
fn load_reads_the_user_file_and_the_environment() {
    if std::env::var_os(CHILD).is_some() {
        let config = Config::load().unwrap();
        println!("CACHE={}", config.cache_root.display());
        println!("CACHE_SOURCE={:?}", config.sources.cache_root);
        println!("REPOS={:?}", config.repositories);
        println!("REPOS_SOURCE={:?}", config.sources.repositories);
        println!(
            "DEFAULT_CACHE={}",
            audmodel::default_cache_root().unwrap().display()
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".config")).unwrap();
    std::fs::write(
        home.path().join(".config/audmodel.yaml"),
        "cache_root: ~/my-cache\nrepositories:\n  - name: team\n    host: ~/shared\n    backend: file-system\n",
    )
    .unwrap();
    let run = |env_cache: Option<&str>| {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        // The test's name in this binary: its module path without the crate.
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let name = format!("{module}::load_reads_the_user_file_and_the_environment");
        cmd.args(["--exact", name.as_str(), "--nocapture"])
            .env(CHILD, "1")
            .env("HOME", home.path())
            .env_remove("AUDMODEL_CACHE_ROOT");
        if let Some(cache) = env_cache {
            cmd.env("AUDMODEL_CACHE_ROOT", cache);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let home_text = home.path().display().to_string();
    let out = run(None);
    assert!(
        out.contains(&format!("CACHE={home_text}/my-cache\n")),
        "{out}"
    );
    assert!(out.contains("REPOS_SOURCE=File("), "{out}");
    assert!(out.contains("name: \"team\", host: \"~/shared\""), "{out}");
    assert!(
        out.contains(&format!("DEFAULT_CACHE={home_text}/my-cache\n")),
        "{out}"
    );
    let out = run(Some("/env/cache"));
    assert!(out.contains("CACHE=/env/cache\n"), "{out}");
    assert!(
        out.contains("CACHE_SOURCE=Env(\"AUDMODEL_CACHE_ROOT\")"),
        "{out}"
    );
    assert!(out.contains("DEFAULT_CACHE=/env/cache\n"), "{out}");
    // An empty variable is ignored, as the reference's `or`.
    let out = run(Some(""));
    assert!(
        out.contains(&format!("CACHE={home_text}/my-cache\n")),
        "{out}"
    );
}
