//! Checked backend paths (`/`-separated, limited characters).

use crate::Error;

/// A checked backend path: starts with `/`, `/`-separated, only
/// `[A-Za-z0-9/._-]`, no empty, `.` or `..` segments.
///
/// The root `/` itself is allowed (it names the whole repository as a folder
/// for [`Backend::list`](crate::Backend::list)). A trailing `/` is dropped.
///
/// ```
/// use audmodel_backend::BackendPath;
/// let p = BackendPath::new("/_uid/d4e9c65b.header.yaml").unwrap();
/// assert_eq!(p.as_str(), "/_uid/d4e9c65b.header.yaml");
/// assert!(BackendPath::new("no-leading-slash").is_err());
/// assert!(BackendPath::new("/a/../b").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackendPath(String);

impl BackendPath {
    /// Checks `path` and wraps it.
    pub fn new(path: &str) -> Result<Self, Error> {
        if !path.starts_with('/') {
            return Err(Error::invalid(path, "must start with '/'"));
        }
        if let Some(c) = path
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-')))
        {
            return Err(Error::invalid(
                path,
                format!("character {c:?} is not in [A-Za-z0-9/._-]"),
            ));
        }
        if path == "/" {
            return Ok(BackendPath(path.to_owned()));
        }
        let body = path.strip_prefix('/').unwrap_or(path);
        let body = body.strip_suffix('/').unwrap_or(body);
        for segment in body.split('/') {
            match segment {
                "" => return Err(Error::invalid(path, "empty segment")),
                "." | ".." => return Err(Error::invalid(path, "'.' or '..' segment")),
                _ => {}
            }
        }
        Ok(BackendPath(format!("/{body}")))
    }

    /// The root folder `/`.
    pub fn root() -> Self {
        BackendPath("/".to_owned())
    }

    /// The path as text, always starting with `/`, never ending with one (except the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends one or more `/`-separated segments.
    pub fn join(&self, name: &str) -> Result<Self, Error> {
        if self.0 == "/" {
            Self::new(&format!("/{name}"))
        } else {
            Self::new(&format!("{}/{name}", self.0))
        }
    }

    /// The folder holding this path and its last segment (`/` and `""` for the root).
    pub fn split(&self) -> (BackendPath, &str) {
        match self.0.rfind('/') {
            Some(0) | None => (BackendPath::root(), &self.0[1..]),
            Some(i) => (BackendPath(self.0[..i].to_owned()), &self.0[i + 1..]),
        }
    }

    /// The path without its leading `/` (an S3 object key; `""` for the root).
    pub fn key(&self) -> &str {
        &self.0[1..]
    }
}

impl std::fmt::Display for BackendPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BackendPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn accepts_valid_and_refuses_invalid() {
        for ok in ["/", "/a", "/a/b.c", "/_uid/x-1.0.0.header.yaml", "/a/"] {
            assert!(BackendPath::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a", "/a//b", "/a/./b", "/../x", "/a b", "/ä", "/a\\b", "//",
        ] {
            let err = BackendPath::new(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidPath, "{bad}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn join_and_split() {
        let p = BackendPath::root().join("a/b.zip").unwrap();
        assert_eq!(p.as_str(), "/a/b.zip");
        let (dir, name) = p.split();
        assert_eq!((dir.as_str(), name), ("/a", "b.zip"));
        assert_eq!(BackendPath::new("/a/").unwrap().as_str(), "/a");
        assert_eq!(p.key(), "a/b.zip");
        assert!(p.join("..").is_err());
    }
}
