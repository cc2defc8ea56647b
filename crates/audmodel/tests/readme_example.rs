//! The "Using the library" example of docs/library.md is
//! `examples/library.rs`, which `cargo test` builds and the crate
//! documentation runs as a doctest: this keeps the page's copy from drifting.

use std::path::Path;

#[test]
fn the_readme_shows_the_compiled_example() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(crate_dir.join("../../docs/library.md"))
        .unwrap_or_else(|e| panic!("cannot read docs/library.md: {e}"));
    let example = std::fs::read_to_string(crate_dir.join("examples/library.rs"))
        .unwrap_or_else(|e| panic!("cannot read examples/library.rs: {e}"));
    let section = readme
        .split("\n## Using the library\n")
        .nth(1)
        .unwrap_or_else(|| panic!("docs/library.md has no section '## Using the library'"));
    let block = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```\n").next())
        .unwrap_or_else(|| panic!("'Using the library' has no ```rust block"));
    assert_eq!(
        format!("{block}\n"),
        example,
        "docs/library.md's 'Using the library' example differs from crates/audmodel/examples/library.rs"
    );
}
