//! Version validation and ordering as the reference's `publish` and
//! `audeer.sort_versions` do it.

use crate::error::Error;
use std::cmp::Ordering;

/// Whether `text` matches `[0-9][A-Za-z0-9._-]*` (the reference's
/// `VERSION_CHARS`).
pub(crate) fn is_version_chars(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Checks a version as the reference's `publish` does: the characters
/// `[0-9][A-Za-z0-9._-]*` and `audeer.is_semantic_version` (`X.Y.Z` with
/// Python-`int` X, Y, Z, optionally followed by `-` or `+` and a suffix).
///
/// ```
/// use audmodel_uid::validate_version;
/// assert!(validate_version("1.0.0-prod").is_ok());
/// assert!(validate_version("1.0").is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidVersion`] naming the version.
pub fn validate_version(version: &str) -> Result<(), Error> {
    if is_version_chars(version) && is_semantic_version(version) {
        Ok(())
    } else {
        Err(Error::InvalidVersion {
            version: version.to_owned(),
        })
    }
}

/// `audeer.is_semantic_version`.
fn is_semantic_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() < 3 {
        return false;
    }
    let x = parts[0].strip_prefix('v').unwrap_or(parts[0]);
    let y = parts[1];
    let z = parts[2..].join(".");
    let z = z.split('-').next().unwrap_or("");
    let z = z.split('+').next().unwrap_or("");
    if z.contains('.') {
        return false;
    }
    [x, y, z].iter().all(|p| is_python_int(p))
}

/// Whether Python's `int(text)` accepts `text` (ASCII only: optional sign,
/// digits with single underscores between them, surrounding whitespace).
fn is_python_int(text: &str) -> bool {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    !t.is_empty()
        && t.split('_')
            .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
}

/// One component of a `LooseVersion`.
#[derive(Debug, PartialEq, Eq)]
enum Part<'a> {
    Num(&'a str),
    Text(&'a str),
}

/// `LooseVersion.parse`: split on `(\d+|[a-z]+|\.)`, keep matches and the
/// text between them, drop the dots.
fn components(version: &str) -> Vec<Part<'_>> {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Digit,
        Lower,
        Dot,
        Other,
    }
    fn kind(c: char) -> Kind {
        match c {
            '0'..='9' => Kind::Digit,
            'a'..='z' => Kind::Lower,
            '.' => Kind::Dot,
            _ => Kind::Other,
        }
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut current: Option<Kind> = None;
    for (i, c) in version.char_indices() {
        let k = kind(c);
        // A dot is a match of its own; other kinds run on.
        if current != Some(k) || k == Kind::Dot {
            if let Some(prev) = current {
                push(
                    &mut parts,
                    prev == Kind::Digit,
                    prev == Kind::Dot,
                    &version[start..i],
                );
            }
            start = i;
            current = Some(k);
        }
    }
    if let Some(prev) = current {
        push(
            &mut parts,
            prev == Kind::Digit,
            prev == Kind::Dot,
            &version[start..],
        );
    }
    parts
}

fn push<'a>(parts: &mut Vec<Part<'a>>, digit: bool, dot: bool, text: &'a str) {
    if dot {
        return;
    }
    parts.push(if digit {
        Part::Num(text)
    } else {
        Part::Text(text)
    });
}

fn compare_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Orders versions as `audeer.sort_versions` does (`LooseVersion` after
/// removing a leading `v`): numbers numerically, text lexically, a prefix
/// first (`1.0.0` < `1.0.0-prod` < `1.0.1` < `10.0.0`).
///
/// Where Python raises (a number meets text at the same position, such as
/// `1.0.0-1` against `1.0.0-rc`), the number sorts first, as in SemVer.
///
/// ```
/// use audmodel_uid::compare_versions;
/// use std::cmp::Ordering;
/// assert_eq!(compare_versions("1.0.0-prod", "1.0.1"), Ordering::Less);
/// assert_eq!(compare_versions("10.0.0", "9.0.0"), Ordering::Greater);
/// ```
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let a = components(a.strip_prefix('v').unwrap_or(a));
    let b = components(b.strip_prefix('v').unwrap_or(b));
    for (x, y) in a.iter().zip(b.iter()) {
        let ord = match (x, y) {
            (Part::Num(x), Part::Num(y)) => compare_numbers(x, y),
            (Part::Text(x), Part::Text(y)) => x.cmp(y),
            (Part::Num(_), Part::Text(_)) => Ordering::Less,
            (Part::Text(_), Part::Num(_)) => Ordering::Greater,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// Sorts versions ascending with [`compare_versions`] (stable, as Python's
/// `sorted`), the latest last.
pub fn sort_versions(versions: &mut [String]) {
    versions.sort_by(|a, b| compare_versions(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_follow_loose_version() {
        assert_eq!(
            components("1.0.0-prod"),
            vec![
                Part::Num("1"),
                Part::Num("0"),
                Part::Num("0"),
                Part::Text("-"),
                Part::Text("prod")
            ]
        );
        assert_eq!(
            components("2.0B1"),
            vec![
                Part::Num("2"),
                Part::Num("0"),
                Part::Text("B"),
                Part::Num("1")
            ]
        );
    }

    #[test]
    fn sorts_as_audeer() {
        let mut v: Vec<String> = ["10.0.0", "1.0.1", "1.0.0-prod", "1.0.0", "2.0.0", "1.0.10"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        sort_versions(&mut v);
        assert_eq!(
            v,
            ["1.0.0", "1.0.0-prod", "1.0.1", "1.0.10", "2.0.0", "10.0.0"]
        );
    }

    #[test]
    fn validates_as_publish() {
        for ok in [
            "1.0.0",
            "1.0.0-prod",
            "1.0.0-",
            "0.0.1",
            "1.-1.0",
            "1_0.0.0",
        ] {
            assert!(validate_version(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1.0", "v1.0.0", "1.0.0.0", "a.0.0", "1.0.x", "1.0.0 ", "", "1..0", "1.0.0+x",
        ] {
            assert!(validate_version(bad).is_err(), "{bad}");
        }
    }
}
