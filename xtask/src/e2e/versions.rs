//! Versions spread over two repositories by both sides: both list them all,
//! agree on the latest, and on which repository holds each.
//!
//! The order differs by design: the reference lists each repository's
//! versions in turn (sorted within one repository only), the CLI contract
//! asks for one ascending list.

use super::{Case, Ctx, Directions, expect_eq, publish_args, small_model};
use crate::harness::api::Side;
use anyhow::{Context, Result};

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        name: "versions-two-repositories",
        directions: Directions::Both,
        run: versions,
    }]
}

fn versions(ctx: &Ctx<'_>, writer: Side, reader: Side) -> Result<()> {
    let sandbox = ctx.sandbox(2)?;
    let root = small_model(&sandbox, "model")?;
    let [first, second] = [&sandbox.repositories()[0], &sandbox.repositories()[1]];
    let (w, r) = (
        ctx.tools.client(writer, &sandbox),
        ctx.tools.client(reader, &sandbox),
    );
    // Loose version order: numbers compare as numbers, a suffix sorts after.
    let plan = [
        (&w, first, "2.0.0"),
        (&r, second, "10.0.0"),
        (&w, second, "1.0.0"),
        (&r, first, "1.0.0-prod"),
    ];
    let mut short_id = String::new();
    for (client, repository, version) in plan {
        let uid = client
            .publish(&publish_args(&root, repository, version))
            .with_context(|| format!("publish {version} to {repository}"))?;
        short_id = uid.split('-').next().unwrap_or_default().to_owned();
    }
    let ascending = ["1.0.0", "1.0.0-prod", "2.0.0", "10.0.0"];
    let by_repository = ["1.0.0-prod", "2.0.0", "1.0.0", "10.0.0"];
    for (side, client) in [(writer, &w), (reader, &r)] {
        let what = |x: &str| format!("{x} ({})", side.label());
        let expected = match side {
            Side::Python => by_repository,
            Side::Rust | Side::Binding => ascending,
        };
        expect_eq(
            &what("versions"),
            expected.map(String::from).to_vec(),
            client.versions(&short_id)?,
        )?;
        expect_eq(
            &what("latest"),
            "10.0.0".to_owned(),
            client.latest_version(&short_id)?,
        )?;
        for (version, repository) in [("1.0.0", second), ("1.0.0-prod", first), ("10.0.0", second)]
        {
            expect_eq(
                &what(&format!("repository of {version}")),
                repository.clone(),
                client.repository(&format!("{short_id}-{version}"))?,
            )?;
        }
    }
    Ok(())
}
