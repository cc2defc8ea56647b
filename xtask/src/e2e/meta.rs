//! Metadata updated by one side (merged, then replaced) reads back the same on
//! the other, and a model without metadata reads as `{}` on both.

use super::{Case, Ctx, Directions, expect_eq, publish_args, small_model};
use crate::harness::api::{Publish, Side};
use anyhow::{Context, Result};
use serde_json::json;

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        name: "update-meta",
        directions: Directions::Both,
        run: update_meta,
    }]
}

fn update_meta(ctx: &Ctx<'_>, writer: Side, reader: Side) -> Result<()> {
    let sandbox = ctx.sandbox(1)?;
    let root = small_model(&sandbox, "model")?;
    let repository = &sandbox.repositories()[0];
    let (w, r) = (
        ctx.tools.client(writer, &sandbox),
        ctx.tools.client(reader, &sandbox),
    );
    let uid = w.publish(&publish_args(&root, repository, "1.0.0"))?;

    // A recursive merge: nested keys are added, a changed value wins.
    let merged = r
        .update_meta(
            &uid,
            &json!({"data": {"agender": {"version": "2.0.0"}}, "epochs": 40}),
            false,
        )
        .context("merge")?;
    let expected = json!({
        "data": {"emodb": {"version": "1.4.1"}, "agender": {"version": "2.0.0"}},
        "epochs": 40,
    });
    expect_eq("merged meta (updater)", &expected, &merged)?;
    expect_eq("merged meta (other side)", expected, w.meta(&uid)?)?;

    let replaced = w
        .update_meta(&uid, &json!({"note": "replaced"}), true)
        .context("replace")?;
    expect_eq(
        "replaced meta (updater)",
        json!({"note": "replaced"}),
        replaced,
    )?;
    expect_eq(
        "replaced meta (other side)",
        json!({"note": "replaced"}),
        r.meta(&uid)?,
    )?;

    let bare = w.publish(&Publish {
        meta: None,
        ..publish_args(&root, repository, "2.0.0")
    })?;
    expect_eq("meta of a model without meta", json!({}), r.meta(&bare)?)?;
    Ok(())
}
