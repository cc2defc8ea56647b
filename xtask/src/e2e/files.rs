//! Both sides publish the same model (same author, date, parameters, meta,
//! alias) into two repositories: the stored header, meta, aliases and alias
//! files must be byte for byte the same, and each side reads the other's.

use super::{Case, Ctx, Directions, expect_eq, publish_args, small_model};
use crate::harness::api::{Publish, Side, stored_file};
use anyhow::{Context, Result};

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        name: "stored-files-byte-for-byte",
        directions: Directions::Once,
        run: same_stored_files,
    }]
}

fn same_stored_files(ctx: &Ctx<'_>, writer: Side, reader: Side) -> Result<()> {
    let sandbox = ctx.sandbox(2)?;
    let root = small_model(&sandbox, "model")?;
    let [python_repo, rust_repo] = [&sandbox.repositories()[0], &sandbox.repositories()[1]];
    // Different aliases: an alias names one model across all repositories.
    let python_args = Publish {
        alias: Some("e2e-python"),
        ..publish_args(&root, python_repo, "1.0.0")
    };
    let rust_args = Publish {
        alias: Some("e2e-rust"),
        version: "2.0.0",
        ..publish_args(&root, rust_repo, "1.0.0")
    };
    // Named for the usual run; `--reference-only` makes both Python.
    let python = ctx.tools.client(writer, &sandbox);
    let rust = ctx.tools.client(reader, &sandbox);
    let python_uid = python.publish(&python_args).context("python publish")?;
    let rust_uid = rust.publish(&rust_args).context("rust publish")?;
    let short_id = python_uid.split('-').next().unwrap_or_default().to_owned();
    expect_eq("short ID", format!("{short_id}-2.0.0"), rust_uid.clone())?;

    let fetch = |repository: &str, path: String, version: &str| {
        stored_file(ctx.tools, &sandbox, repository, &path, version)
            .with_context(|| format!("fetch {path} {version} from {repository}"))
    };
    for ext in ["header.yaml", "meta.yaml", "aliases.yaml"] {
        let path = format!("/_uid/{short_id}.{ext}");
        let from_python = fetch(python_repo, path.clone(), "1.0.0")?;
        let from_rust = fetch(rust_repo, path, "2.0.0")?;
        expect_eq(
            ext,
            as_rust(&from_python),
            String::from_utf8_lossy(&from_rust).into_owned(),
        )?;
    }
    let python_alias = fetch(python_repo, "/_alias/e2e-python.alias.yaml".into(), "1.0.0")?;
    let rust_alias = fetch(rust_repo, "/_alias/e2e-rust.alias.yaml".into(), "1.0.0")?;
    expect_eq(
        "alias file",
        as_rust(&python_alias),
        String::from_utf8_lossy(&rust_alias).into_owned(),
    )?;

    // Each side reads both headers the same way.
    for uid in [&python_uid, &rust_uid] {
        expect_eq(
            &format!("header of {uid}"),
            python.header(uid)?,
            rust.header(uid)
                .with_context(|| format!("rust header {uid}"))?,
        )?;
        expect_eq(
            &format!("meta of {uid}"),
            python.meta(uid)?,
            rust.meta(uid).with_context(|| format!("rust meta {uid}"))?,
        )?;
        for kind in ["model", "header", "meta"] {
            expect_eq(
                &format!("{kind} URL of {uid}"),
                python.url(uid, kind)?,
                rust.url(uid, kind)
                    .with_context(|| format!("rust url {uid} {kind}"))?,
            )?;
        }
        expect_eq(
            &format!("repository of {uid}"),
            python.repository(uid)?,
            rust.repository(uid)
                .with_context(|| format!("rust repository {uid}"))?,
        )?;
    }
    Ok(())
}

/// The Python side's file with the two values that differ by design (version
/// and alias) set to the Rust side's.
fn as_rust(python: &[u8]) -> String {
    String::from_utf8_lossy(python)
        .replace("1.0.0", "2.0.0")
        .replace("e2e-python", "e2e-rust")
}
