//! An alias set by one side, moved by the other and moved back: both resolve
//! it, list it on the right model only, and load through it.

use super::{Case, Ctx, Directions, expect_eq, publish_args, small_model};
use crate::harness::api::{Publish, Side};
use anyhow::{Context, Result};

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        name: "aliases-moved",
        directions: Directions::Both,
        run: aliases_moved,
    }]
}

fn aliases_moved(ctx: &Ctx<'_>, writer: Side, reader: Side) -> Result<()> {
    let sandbox = ctx.sandbox(1)?;
    let root = small_model(&sandbox, "model")?;
    let repository = &sandbox.repositories()[0];
    let (w, r) = (
        ctx.tools.client(writer, &sandbox),
        ctx.tools.client(reader, &sandbox),
    );
    let first = w.publish(&Publish {
        alias: Some("e2e-best"),
        ..publish_args(&root, repository, "1.0.0")
    })?;
    let second = r.publish(&publish_args(&root, repository, "2.0.0"))?;
    expect_eq(
        "resolved after publish",
        first.clone(),
        r.resolve_alias("e2e-best")?,
    )?;

    r.set_alias("e2e-best", &second).context("move alias")?;
    r.set_alias("e2e-other", &second).context("second alias")?;
    for (side, client) in [(writer, &w), (reader, &r)] {
        let what = |x: &str| format!("{x} ({})", side.label());
        expect_eq(
            &what("resolved after move"),
            second.clone(),
            client.resolve_alias("e2e-best")?,
        )?;
        expect_eq(
            &what("aliases of old"),
            Vec::<String>::new(),
            client.aliases(&first)?,
        )?;
        expect_eq(
            &what("aliases of new"),
            vec!["e2e-best".to_owned(), "e2e-other".to_owned()],
            client.aliases(&second)?,
        )?;
    }

    w.set_alias("e2e-best", &first).context("move back")?;
    for (side, client) in [(writer, &w), (reader, &r)] {
        let what = |x: &str| format!("{x} ({})", side.label());
        expect_eq(
            &what("resolved after move back"),
            first.clone(),
            client.resolve_alias("e2e-best")?,
        )?;
        expect_eq(
            &what("aliases of first"),
            vec!["e2e-best".to_owned()],
            client.aliases(&first)?,
        )?;
        expect_eq(
            &what("aliases of second"),
            vec!["e2e-other".to_owned()],
            client.aliases(&second)?,
        )?;
        expect_eq(
            &what("header by alias"),
            client.header(&first)?,
            client.header("e2e-best")?,
        )?;
    }
    let folder = r.load("e2e-best").context("load by alias")?;
    expect_eq("load by alias", r.load(&first)?, folder)?;
    Ok(())
}
