//! Shell completion of model IDs and aliases, as the shell asks for it
//! (`COMPLETE=fish audmodel -- audmodel load d4`): from the cache and the
//! repositories, and never an error the shell would show.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::{Duration, Instant};

use support::Sandbox;

/// The candidates fish would get for the last word of `words`: each line
/// `value` or `value<TAB>help`.
fn complete(s: &Sandbox, words: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["--", "audmodel"];
    args.extend(words);
    let mut cmd = s.cmd(&args);
    cmd.env("COMPLETE", "fish").env_remove("AUDMODEL_OFFLINE");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{words:?}: {out:?}");
    assert!(out.stderr.is_empty(), "{words:?}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn ids_and_aliases_complete_from_the_repositories_and_the_cache() {
    let s = Sandbox::new();
    let v1 = s.publish("1.0.0", "{}", &["--alias", "my-net"]);
    let v2 = s.publish("2.0.0", "{}", &[]);
    let sid = &v1[..8];

    assert_eq!(
        complete(&s, &["load", &sid[..2]], &[]),
        [
            sid.to_owned(),
            format!("{v1}\ttorch"),
            format!("{v2}\ttorch")
        ]
    );
    assert_eq!(
        complete(&s, &["header", "my"], &[]),
        [format!("my-net\t{v1}")]
    );
    assert_eq!(
        complete(&s, &["alias", "resolve", "m"], &[]),
        [format!("my-net\t{v1}")]
    );
    // An alias argument takes no ID.
    assert!(complete(&s, &["alias", "resolve", &sid[..2]], &[]).is_empty());
    // Every ID of a command taking several.
    assert_eq!(complete(&s, &["diff", &v1, &v1[..9]], &[]).len(), 2);
    assert!(complete(&s, &["load", "zz"], &[]).is_empty());

    // Offline, the cache alone: the models it holds (loaded, or their
    // headers kept by the listings above) and the aliases resolved before;
    // a model published since is not there.
    let v3 = s.publish("3.0.0", "{}", &[]);
    let offline = [("AUDMODEL_OFFLINE", "1")];
    assert!(complete(&s, &["cache", "rm", "m"], &offline).is_empty());
    s.ok(&["load", "my-net"]);
    assert_eq!(
        complete(&s, &["cache", "rm", "m"], &offline),
        [format!("my-net\t{v1}")]
    );
    let cached = [sid.to_owned(), v1.clone(), v2.clone()];
    assert_eq!(complete(&s, &["load", &sid[..2]], &offline), cached);
    assert_eq!(complete(&s, &["load", "--offline", &sid[..2]], &[]), cached);
    let online = complete(&s, &["load", &sid[..2]], &[]);
    assert_eq!(online.last().unwrap(), &format!("{v3}\ttorch"));
}

#[test]
fn completion_never_fails_the_shell() {
    let s = Sandbox::new();
    let v1 = s.publish("1.0.0", "{}", &[]);
    s.ok(&["load", &v1]);
    let file = s.path("home/.config/audmodel.yaml");
    let text = std::fs::read_to_string(&file).unwrap();

    // A repository that does not answer: the cache's candidates, in time.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        &file,
        format!(
            "{text}  - name: gone\n    host: 127.0.0.1:{port}\n    backend: s3\n    retry: 1\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    assert_eq!(
        complete(&s, &["load", &v1[..2]], &[]),
        [v1[..8].to_owned(), format!("{v1}\ttorch")]
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A configuration that cannot be read: no candidates, no error.
    std::fs::write(&file, "repositories: [").unwrap();
    assert!(complete(&s, &["load", &v1[..2]], &[]).is_empty());
}

#[test]
fn the_shell_gets_its_registration_script() {
    let s = Sandbox::new();
    for (shell, marker) in [
        ("bash", "_clap_complete_audmodel"),
        ("zsh", "#compdef audmodel"),
        ("fish", "complete"),
    ] {
        let out = s.cmd(&[]).env("COMPLETE", shell).output().unwrap();
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && script.contains(marker),
            "{shell}: {script}"
        );
    }
    // The static scripts stay.
    assert!(s.ok(&["completions", "bash"]).contains("update-meta"));
}
