//! What every audmodel crate shares and nothing else: progress callbacks
//! and cancellation, MD5 as the repositories store it, an error with its
//! causes on one line, and the user name a header records.
//!
//! A leaf: std, `md-5`, `thiserror` and `whoami` only, so the archive
//! crate builds without YAML, regex, serde or uuid.
//!
//! ```
//! assert_eq!(audmodel_util::md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
//! ```

mod error_chain;
mod md5;
mod progress;
mod user;

pub use error_chain::{error_chain, error_texts};
pub use md5::{HashingWriter, md5_file, md5_hex, md5_reader};
pub use progress::{CancelToken, Cancelled, Progress, no_progress};
pub use user::user_name;
