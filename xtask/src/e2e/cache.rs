//! One cache shared by both sides: a model loaded by one is found by the
//! other at the same place, without downloading it again.

use super::{Case, Ctx, Directions, expect_eq, publish_args, small_model};
use crate::harness::api::Side;
use crate::harness::data::same_files;
use anyhow::{Context, Result, bail};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        name: "shared-cache",
        directions: Directions::Both,
        run: shared_cache,
    }]
}

fn shared_cache(ctx: &Ctx<'_>, writer: Side, reader: Side) -> Result<()> {
    let sandbox = ctx.sandbox(1)?;
    let root = small_model(&sandbox, "model")?;
    let (w, r) = (
        ctx.tools.client(writer, &sandbox),
        ctx.tools.client(reader, &sandbox),
    );
    let uid = r.publish(&publish_args(&root, &sandbox.repositories()[0], "1.0.0"))?;
    let (short_id, version) = uid.split_once('-').context("a UID has a dash")?;

    let folder = w.load(&uid).context("first load")?;
    let expected = sandbox.cache().join(short_id).join(version);
    expect_eq("cache folder", expected.clone(), folder.clone())?;
    same_files(&root, &folder)?;
    let header_copy = sandbox
        .cache()
        .join(short_id)
        .join(format!("{version}.header.yaml"));
    if !header_copy.is_file() {
        bail!("no header copy at {}", header_copy.display());
    }

    let before = identity(&folder)?;
    let again = r.load(&uid).context("second load")?;
    expect_eq("cache folder of the other side", expected, again.clone())?;
    expect_eq(
        "folder identity (not unpacked again)",
        before,
        identity(&again)?,
    )?;
    expect_eq("header through the cache", w.header(&uid)?, r.header(&uid)?)?;
    Ok(())
}

/// Inode and modification time of a folder: a second unpacking renames a new
/// folder into place and changes both.
fn identity(path: &Path) -> Result<(u64, i64, i64)> {
    let m = std::fs::metadata(path).with_context(|| format!("cannot stat {}", path.display()))?;
    Ok((m.ino(), m.mtime(), m.mtime_nsec()))
}
