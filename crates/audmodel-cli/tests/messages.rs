//! What the person at the terminal meets when something is off: a broken
//! repository said in words (status 6), hints naming what to do next, and
//! guards against easy mistakes, each with its exit status.
#![allow(clippy::unwrap_used)]

use crate::support;

use support::Sandbox;

/// Runs `args`; the status and standard error.
fn run(s: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let out = s.cmd(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Expects `status` and a first line `error: {line}` exactly.
fn fails(s: &Sandbox, args: &[&str], status: i32, line: &str) {
    let (code, stderr) = run(s, args);
    assert_eq!(code, Some(status), "{args:?}: {stderr}");
    assert_eq!(
        stderr.lines().next().unwrap_or_default(),
        format!("error: {line}"),
        "{args:?}"
    );
}

/// A sandbox with one published model and its UID.
fn published() -> (Sandbox, String) {
    let s = Sandbox::new();
    let uid = s.publish(
        "1.0.0",
        "{sampling_rate: 16000}",
        &["--alias", "mynet-latest"],
    );
    (s, uid)
}

#[test]
fn a_repository_moved_away_is_a_repository_error_for_every_command() {
    let (s, uid) = published();
    let uid = uid.as_str();
    let sid = &uid[..8];
    s.ok(&["header", uid]);
    let folder = s.path("host/first");
    std::fs::rename(&folder, s.path("moved")).unwrap();
    let line = format!(
        "repository 'first' cannot be opened: its folder '{}' does not exist",
        folder.display()
    );
    let model = s.model();
    let model = model.to_str().unwrap();
    for args in [
        &["load", uid][..],
        &["ls"],
        &["exists", uid],
        &["meta", uid],
        &["header", uid],
        &["versions", sid],
        &["alias", "resolve", "mynet-latest"],
        &["publish", model, "--name", "torch", "--version", "2.0.0"],
    ] {
        fails(&s, args, 6, &line);
    }
    assert!(!folder.exists(), "publish recreated the configured folder");
}

#[test]
fn a_host_that_is_a_file_is_said_in_words() {
    let s = Sandbox::new();
    std::fs::remove_dir_all(s.path("host")).unwrap();
    std::fs::write(s.path("host"), b"a file").unwrap();
    fails(
        &s,
        &["ls"],
        6,
        &format!(
            "repository 'first' cannot be opened: its host '{}' is a file, not a folder",
            s.path("host").display()
        ),
    );
}

#[test]
fn a_read_only_repository_is_said_in_words() {
    let s = Sandbox::new();
    let folder = s.path("host/first");
    let mode =
        |m| std::fs::set_permissions(&folder, std::os::unix::fs::PermissionsExt::from_mode(m));
    mode(0o555).unwrap();
    let model = s.model();
    let args = [
        "publish",
        model.to_str().unwrap(),
        "--name",
        "torch",
        "--version",
        "1.0.0",
    ];
    // File modes do not bind root: run the CLI as an ordinary user then,
    // with the rest of the sandbox open to it.
    let out = if runs_as_root() {
        for dir in [
            "",
            "home",
            "home/.config",
            "host",
            "host/second",
            "model",
            "model/sub",
        ] {
            std::fs::set_permissions(
                s.path(dir),
                std::os::unix::fs::PermissionsExt::from_mode(0o777),
            )
            .unwrap();
        }
        let cmd = s.std_cmd(&args);
        let program = cmd.get_program().to_owned();
        let mut as_user = std::process::Command::new("setpriv");
        as_user
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(program)
            .args(cmd.get_args())
            .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
        as_user.output().unwrap()
    } else {
        s.cmd(&args).output().unwrap()
    };
    mode(0o755).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let first = stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "error: repository 'first' is read-only: cannot write in '{}'",
            folder.display()
        )),
        "{stderr}"
    );
    assert!(!first.contains(".lock"), "{stderr}");
}

fn runs_as_root() -> bool {
    // The owner of a folder this process creates is its effective user.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(dir.path()).unwrap()) == 0
}

#[test]
fn a_mistyped_alias_or_id_names_what_exists_close_to_it() {
    let (s, uid) = published();
    let typo = format!("{}1", &uid[..uid.len() - 1]);
    fails(
        &s,
        &["load", "mynet-latst"],
        3,
        "A model with ID 'mynet-latst' does not exist. Did you mean 'mynet-latest'?",
    );
    fails(
        &s,
        &["header", &typo],
        3,
        &format!("A model with ID '{typo}' does not exist. Did you mean '{uid}'?"),
    );
    fails(
        &s,
        &["alias", "resolve", "mynet-lates"],
        3,
        "An alias with name 'mynet-lates' does not exist. Did you mean 'mynet-latest'?",
    );
    // Nothing close: the plain message.
    fails(
        &s,
        &["load", "zz"],
        3,
        "A model with ID 'zz' does not exist.",
    );
}

#[test]
fn hints_name_commands_and_versions_not_library_functions() {
    let (s, uid) = published();
    let model = s.model();
    let model = model.to_str().unwrap();
    let (_, stderr) = run(
        &s,
        &[
            "publish",
            model,
            "--name",
            "other",
            "--version",
            "1.0.0",
            "--alias",
            "mynet-latest",
        ],
    );
    assert_eq!(
        stderr.lines().next().unwrap(),
        format!(
            "error: The alias 'mynet-latest' already points to model '{uid}'. \
             Use `audmodel alias set mynet-latest ID` to move it."
        ),
    );
    assert!(!stderr.contains("set_alias"), "{stderr}");
    s.publish("2.0.0", "{sampling_rate: 16000}", &[]);
    let again = [
        "publish",
        model,
        "--name",
        "torch",
        "--subgroup",
        "audmodel.dummy.cnn",
        "--params",
        "{sampling_rate: 16000}",
        "--version",
        "1.0.0",
    ];
    fails(
        &s,
        &again,
        4,
        &format!(
            "A model with ID '{uid}' exists already. The latest version of this model \
             is 2.0.0; publish with a higher --version."
        ),
    );
}

#[test]
fn versions_of_an_unknown_model_is_an_error() {
    let (s, _) = published();
    fails(
        &s,
        &["versions", "11111111"],
        3,
        "A model with ID '11111111' does not exist.",
    );
    assert_eq!(s.ok(&["versions", "mynet-latest"]), "1.0.0");
}

#[test]
fn a_dangling_symbolic_link_in_the_model_is_named() {
    let s = Sandbox::new();
    std::os::unix::fs::symlink("gone.bin", s.model().join("weights2.bin")).unwrap();
    let model = s.model();
    fails(
        &s,
        &[
            "publish",
            model.to_str().unwrap(),
            "--name",
            "torch",
            "--version",
            "1.0.0",
        ],
        5,
        &format!(
            "invalid input: '{}' is a dangling symbolic link: its target 'gone.bin' does not exist",
            model.join("weights2.bin").display()
        ),
    );
}

#[test]
fn ls_param_that_is_not_key_value_is_a_usage_error() {
    let (s, _) = published();
    let (code, stderr) = run(&s, &["ls", "--param", "bad"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("'bad' is not KEY=VALUE"), "{stderr}");
    let (code, _) = run(&s, &["ls", "--param", "=1"]);
    assert_eq!(code, Some(2));
}

#[test]
fn unknown_configuration_keys_warn_and_duplicate_names_are_refused() {
    let (s, _) = published();
    let file = s.path("home/.config/audmodel.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("cache-root: /elsewhere\n{text}")).unwrap();
    let out = s.cmd(&["ls"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "warning: unknown key 'cache-root' in '{}' is ignored (known: cache_root, repositories)",
            file.display()
        )
    );
    let quiet = s.cmd(&["ls", "--quiet"]).output().unwrap();
    assert!(quiet.stderr.is_empty());

    std::fs::write(&file, text.replace("name: second", "name: first")).unwrap();
    let (code, stderr) = run(&s, &["ls"]);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("two repositories are named 'first'")
            && stderr.contains(&file.display().to_string()),
        "{stderr}"
    );
}

#[test]
fn empty_names_and_subgroup_parts_are_refused_before_writing() {
    let s = Sandbox::new();
    let model = s.model();
    let model = model.to_str().unwrap();
    fails(
        &s,
        &["publish", model, "--name", "", "--version", "1.0.0"],
        5,
        "The model name must not be empty.",
    );
    for subgroup in ["a..b", ".a", "a."] {
        fails(
            &s,
            &[
                "publish",
                model,
                "--name",
                "torch",
                "--subgroup",
                subgroup,
                "--version",
                "1.0.0",
            ],
            5,
            &format!(
                "The subgroup '{subgroup}' has an empty part: its parts, separated by '.', \
                 must not be empty."
            ),
        );
    }
    assert!(s.snapshot().is_empty(), "{:?}", s.snapshot().keys());
}

#[test]
fn replacing_metadata_with_an_empty_document_asks_for_braces() {
    let s = Sandbox::new();
    let uid = s.publish("1.0.0", "{}", &["--meta", "{a: 1}"]);
    let uid = uid.as_str();
    for empty in ["", "# nothing"] {
        fails(
            &s,
            &["update-meta", uid, "--meta", empty, "--replace"],
            5,
            "update-meta --replace with an empty document would remove all metadata; \
             give --meta '{}' to do that",
        );
    }
    assert_eq!(s.ok(&["meta", uid]), "a: 1");
    assert_eq!(
        s.ok(&["update-meta", uid, "--meta", "{}", "--replace"]),
        "{}"
    );
}
