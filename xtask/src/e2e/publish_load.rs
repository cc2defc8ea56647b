//! A model published by one side is found and loaded by the other, with the
//! same ID, header and files.

use super::{Case, Ctx, Directions, expect_eq, publish_args, small_model};
use crate::harness::api::Side;
use crate::harness::data::same_files;
use anyhow::{Context, Result};

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        name: "publish-load",
        directions: Directions::Both,
        run: publish_then_load,
    }]
}

fn publish_then_load(ctx: &Ctx<'_>, writer: Side, reader: Side) -> Result<()> {
    let sandbox = ctx.sandbox(1)?;
    let root = small_model(&sandbox, "model")?;
    let args = publish_args(&root, &sandbox.repositories()[0], "1.0.0");
    let (w, r) = (
        ctx.tools.client(writer, &sandbox),
        ctx.tools.client(reader, &sandbox),
    );
    let uid = w.publish(&args).context("publish")?;
    let expected_uid = r
        .uid(args.name, args.subgroup, &args.params, args.version)
        .context("uid")?;
    expect_eq("UID", expected_uid, uid.clone())?;
    expect_eq("header", w.header(&uid)?, r.header(&uid).context("header")?)?;
    let folder = r.load(&uid).context("load")?;
    same_files(&root, &folder)?;
    // By short ID too: the latest version.
    let short_id = uid.split('-').next().unwrap_or_default();
    expect_eq("load by short ID", folder, r.load(short_id)?)?;
    Ok(())
}
