//! Which entry names may be written below an unpack target.

use crate::Error;

/// The path components of a safe entry name, or why it is unsafe: only
/// plain relative names with `/` separators pass, on every platform, so an
/// archive that unpacks safely here also does on Windows.
pub(crate) fn components(name: &str) -> Result<Vec<&str>, Error> {
    let refuse = |reason: &str| Err(Error::unsafe_entry(name, reason));
    if name.is_empty() {
        return refuse("empty name");
    }
    if name.starts_with('/') {
        return refuse("absolute path");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return refuse("drive letter");
    }
    if name.contains('\\') {
        return refuse("backslash in name");
    }
    if name.contains('\0') {
        return refuse("NUL byte in name");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    let parts: Vec<&str> = trimmed.split('/').collect();
    for part in &parts {
        match *part {
            "" => return refuse("empty path component"),
            "." | ".." => return refuse("relative path component"),
            _ => {}
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        assert_eq!(components("a/b.txt").ok(), Some(vec!["a", "b.txt"]));
        assert_eq!(components("dir/").ok(), Some(vec!["dir"]));
        assert_eq!(
            components(".hidden/ü..x").ok(),
            Some(vec![".hidden", "ü..x"])
        );
    }

    #[test]
    fn refuses_escapes() {
        for name in [
            "",
            "/abs",
            "../evil",
            "a/../../b",
            "./a",
            "a//b",
            "C:\\x",
            "c:x",
            "a\\b",
            "a\0b",
        ] {
            assert!(
                matches!(components(name), Err(Error::Unsafe { .. })),
                "{name:?} passed"
            );
        }
    }
}
