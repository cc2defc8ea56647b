//! The in-memory backend runs the conformance suite every store runs.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use audmodel_backend::{Backend, Memory, conformance};

#[test]
fn conformance_suite() {
    let store: Arc<dyn Backend> = Arc::new(Memory::new());
    conformance::run_all(&store, 3 << 20);
}
