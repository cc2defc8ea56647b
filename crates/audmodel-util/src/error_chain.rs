//! An error and its causes as text, for messages that must name the root
//! cause (a refused connection under a failed upload), shared by the CLI,
//! the Python module and the backends.

use std::error::Error;

/// The text of `err` and of each of its causes that adds something: a cause
/// whose text the earlier ones already contain is left out, since many
/// errors repeat their source in their own message.
///
/// ```
/// use std::error::Error;
/// use std::fmt;
///
/// #[derive(Debug)]
/// struct Upload(std::io::Error);
/// impl fmt::Display for Upload {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("cannot upload")
///     }
/// }
/// impl Error for Upload {
///     fn source(&self) -> Option<&(dyn Error + 'static)> {
///         Some(&self.0)
///     }
/// }
///
/// let err = Upload(std::io::Error::other("connection refused"));
/// assert_eq!(audmodel_util::error_texts(&err), ["cannot upload", "connection refused"]);
/// assert_eq!(audmodel_util::error_chain(&err), "cannot upload: connection refused");
/// ```
pub fn error_texts(err: &dyn Error) -> Vec<String> {
    let mut shown = err.to_string();
    let mut texts = vec![shown.clone()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !shown.contains(&text) {
            shown.push_str(&text);
            texts.push(text);
        }
        source = cause.source();
    }
    texts
}

/// [`error_texts`] on one line, joined by `": "`.
pub fn error_chain(err: &dyn Error) -> String {
    error_texts(err).join(": ")
}
