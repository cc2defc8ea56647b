//! Python-compatible values, `repr`, model IDs, aliases and versions.
//!
//! Everything here must agree byte for byte with the Python reference
//! (`audmodel` 1.5.3): see `SPEC.md` section 1 and 2.
