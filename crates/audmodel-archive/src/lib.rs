//! Zip packing of a model folder and safe unpacking into a cache.
//!
//! A model in a repository is one zip archive that the Python reference
//! (`audeer.create_archive` / `audeer.extract_archive`) reads and writes.
//! [`pack`] writes such archives deterministically, compressing on every
//! core (large files in independently deflated chunks) and hashing the
//! archive while it is written; [`unpack`] refuses hostile or damaged
//! archives and makes the target folder appear atomically.
//!
//! Format choices, all readable by Python's `zipfile`: entries in sorted
//! order with a fixed 1980-01-01 timestamp and mode 0644/0755 (so the bytes
//! depend on content only), data descriptors after the data (so nothing is
//! rewritten and the MD5 is computed in the same pass), zip64 records only
//! where sizes or offsets need them, no entries for folders (the reference
//! writes none), and, by default, files that deflate barely shrinks stored.

mod chunk;
mod directory;
mod entry_data;
mod entry_name;
mod error;
mod local_header;
mod pack;
mod staging;
mod unpack;
mod unpack_stream;
mod walk;
mod zip_format;

#[cfg(test)]
#[path = "../tests/support/mod.rs"]
mod test_support;

pub use directory::{Directory, EntryInfo, read_directory};
pub use error::Error;
pub use pack::{PackOptions, Packed, PackedStream, pack, pack_into, pack_size};
pub use unpack::{Unpacked, unpack, unpack_checked};
pub use unpack_stream::unpack_stream;

pub use audmodel_util::{Cancelled, Progress, no_progress};
