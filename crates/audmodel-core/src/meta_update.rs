//! How [`Audmodel::update_meta`](crate::Audmodel::update_meta) combines the
//! new metadata with the published one.

/// How new metadata combines with a model's published metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetaUpdate {
    /// Merged in recursively, as the reference's `update_meta` (its
    /// `update_dict`): mappings present on both sides merge, anything else
    /// in the new metadata replaces what was there, new keys go last.
    #[default]
    Merge,
    /// Replaces the published metadata whole (the reference's
    /// `replace=True`).
    Replace,
}
