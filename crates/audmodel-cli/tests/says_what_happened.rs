//! Answers that say what happened, and only what happened: `cache rm`
//! removes nothing when one ID is not cached, offline errors say what the
//! cache lacks rather than that a cached model is missing, a misspelt key
//! of a repository entry warns, and an `ls` that finds nothing says so.
#![allow(clippy::unwrap_used)]

use crate::support;

use support::Sandbox;

/// Runs `args`; the status, standard output and standard error.
fn run(s: &Sandbox, args: &[&str]) -> (Option<i32>, String, String) {
    let out = s.cmd(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The UIDs in the cache.
fn cached(s: &Sandbox) -> Vec<String> {
    s.json(&["cache", "ls"])["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn cache_rm_checks_every_id_before_removing_any() {
    let s = Sandbox::new();
    let v1 = s.publish("1.0.0", "{}", &[]);
    let v2 = s.publish("2.0.0", "{}", &[]);
    s.ok(&["load", &v1]);
    s.ok(&["load", &v2]);
    let absent = format!("{}-3.0.0", &v1[..8]);

    let (code, stdout, stderr) = run(&s, &["cache", "rm", &v1, &absent]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(
        stderr.lines().next().unwrap(),
        format!("error: The model '{absent}' is not in the cache.")
    );
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(cached(&s), [v1.clone(), v2.clone()], "nothing was removed");

    // A model named twice (its UID and its short ID) is removed once.
    let removed = s.json(&["cache", "rm", &v1, &v1[..8]]);
    let uids: Vec<&str> = removed["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, [v1.as_str(), v2.as_str()]);
    assert!(cached(&s).is_empty());
}

#[test]
fn offline_errors_say_what_the_cache_lacks() {
    let s = Sandbox::new();
    let loaded = s.publish("1.0.0", "{}", &["--alias", "my-net"]);
    let looked_up = s.publish("2.0.0", "{}", &[]);
    let never = s.publish("3.0.0", "{}", &[]);
    s.ok(&["load", &loaded]);
    s.ok(&["alias", "resolve", "my-net"]);
    s.ok(&["header", &looked_up]);
    let sid = &loaded[..8];
    let offline = |args: &[&str]| {
        let mut args = args.to_vec();
        args.push("--offline");
        let (code, _, stderr) = run(&s, &args);
        assert_eq!(code, Some(9), "{args:?}: {stderr}");
        stderr.lines().next().unwrap().to_owned()
    };
    let tail = ", and no repository may be asked (--offline or AUDMODEL_OFFLINE=1)";
    for (call, lacks) in [
        ("exists", "does not know whether it is still published"),
        ("aliases", "keeps no list of a model's aliases"),
        ("url", "does not know its repository's URL"),
        ("repository", "does not know which repository holds it"),
    ] {
        assert_eq!(
            offline(&[call, &loaded]),
            format!(
                "error: offline: `{call}` asks the repositories and the cache cannot tell \
                 (the model '{loaded}' is cached, but the cache {lacks}){tail}"
            )
        );
    }
    // An alias resolved before, and a short ID, name the cached model too.
    assert!(
        offline(&["exists", "my-net"]).contains(&format!("the model '{loaded}' is cached")),
        "alias"
    );
    assert!(
        offline(&["exists", &format!("{sid}-2.0.0")]).contains(&format!(
            "(the header of model '{looked_up}' is cached, but the cache does not know"
        ))
    );
    assert!(offline(&["exists", &never]).ends_with(&format!(
        "cannot tell (the model '{never}' is not in the cache){tail}"
    )));
    // Calls that need the repository itself say what is cached.
    assert_eq!(
        offline(&["load", &looked_up]),
        format!("error: offline: only the header of model '{looked_up}' is in the cache{tail}")
    );
    assert_eq!(
        offline(&["files", &loaded]),
        format!(
            "error: offline: the model '{loaded}' is cached, but this asks its repository{tail}"
        )
    );
    let model = s.model();
    assert_eq!(
        offline(&[
            "publish",
            model.to_str().unwrap(),
            "--name",
            "torch",
            "--version",
            "9.0.0"
        ]),
        format!("error: offline: `publish` writes to repository 'first'{tail}")
    );
    // What the cache can answer still answers.
    assert_eq!(s.ok(&["--offline", "name", &loaded]), "torch");
}

#[test]
fn unknown_keys_of_a_repository_entry_warn() {
    let s = Sandbox::new();
    let file = s.path("home/.config/audmodel.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let misspelt = text.replacen(
        "    backend: file-system\n",
        "    backend: file-system\n    retry: 3\n",
        1,
    );
    std::fs::write(&file, misspelt).unwrap();
    let (code, _, stderr) = run(&s, &["config"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "warning: unknown key 'retry' of repository 'first' in '{}' is ignored \
             (known: name, host, backend, conditional_writes, retries, retry_timeout, \
             connect_timeout, stall_timeout, account_name, account_key, service_account)",
            file.display()
        )
    );
    let (_, _, quiet) = run(&s, &["config", "--quiet"]);
    assert!(quiet.is_empty(), "{quiet}");
    // Every known key is quiet.
    let known = text.replacen(
        "    backend: file-system\n",
        "    backend: file-system\n    conditional_writes: auto\n    retries: 2\n    \
         retry_timeout: 5\n    connect_timeout: 5\n    stall_timeout: 5\n",
        1,
    );
    std::fs::write(&file, known).unwrap();
    let (_, _, stderr) = run(&s, &["config"]);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn ls_without_a_match_says_so_on_standard_error() {
    let s = Sandbox::new();
    let (code, stdout, stderr) = run(&s, &["ls"]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
    assert_eq!(
        stderr,
        "no model is published in the configured repositories\n"
    );
    s.publish("1.0.0", "{}", &[]);
    let (code, stdout, stderr) = run(&s, &["ls", "--name", "nothing"]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
    assert_eq!(stderr, "no model matches\n");
    let (_, stdout, stderr) = run(&s, &["ls", "--search", "nothing", "--json"]);
    assert_eq!(stdout, "[]\n");
    assert_eq!(stderr, "no model matches\n");
    let (_, stdout, stderr) = run(&s, &["ls", "--name", "nothing", "--quiet"]);
    assert!(stdout.is_empty() && stderr.is_empty(), "{stderr}");
    let (_, stdout, stderr) = run(&s, &["ls"]);
    assert!(stdout.starts_with("UID") && stderr.is_empty(), "{stderr}");
}
