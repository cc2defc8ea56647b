//! "Did you mean": the aliases and IDs of the repositories close to a
//! mistyped one, for a message that names what the user probably meant.

use crate::{Audmodel, Error, paths};

/// At most this many suggestions.
const MAX_SUGGESTIONS: usize = 3;

impl Audmodel {
    /// The aliases, UIDs and short IDs in the repositories that are a few
    /// edits away from `id` (a third of its length, at least one), closest
    /// first, at most three. Costs one listing of the alias and ID folders
    /// of each repository; for the message after a lookup failed, not for
    /// every lookup. Offline, or when a repository cannot be listed, the
    /// repositories that could be.
    pub fn similar_ids(&self, id: &str) -> Vec<String> {
        let mut known = Vec::new();
        for index in 0..self.repos.len() {
            // A repository that cannot be listed offers nothing to suggest;
            // the error the user sees is the lookup's.
            let _ = self.known_ids(index, &mut known);
        }
        closest(id, known)
    }

    fn known_ids(&self, index: usize, known: &mut Vec<String>) -> Result<(), Error> {
        let versioned = self.repos.open(index)?;
        let repo = &self.repos.repository(index).name;
        let alias_folder = paths::alias("x")?.split().0;
        for (path, _) in versioned
            .list(&alias_folder)
            .map_err(Error::backend(repo))?
        {
            if let Some(alias) = path.split().1.strip_suffix(".alias.yaml") {
                known.push(alias.to_owned());
            }
        }
        for (path, version) in versioned
            .list(&paths::uid_folder()?)
            .map_err(Error::backend(repo))?
        {
            if let Some(sid) = path.split().1.strip_suffix(".header.yaml") {
                known.push(format!("{sid}-{version}"));
                known.push(sid.to_owned());
            }
        }
        Ok(())
    }
}

/// The candidates within a third of `id`'s length in edits, closest first.
fn closest(id: &str, mut candidates: Vec<String>) -> Vec<String> {
    candidates.sort();
    candidates.dedup();
    let limit = (id.chars().count() / 3).max(1);
    let mut near: Vec<(usize, String)> = candidates
        .into_iter()
        .filter(|c| c != id)
        .map(|c| (edit_distance(id, &c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    near.into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, c)| c)
        .collect()
}

/// Levenshtein distance in characters (insert, delete, substitute).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("mynet-latst", "mynet-latest"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("d4e9c65b-1.0.0", "d4e9c65b-1.0.1"), 1);
        assert_eq!(edit_distance("äb", "ab"), 1);
    }

    #[test]
    fn only_close_candidates_are_suggested_closest_first() {
        let candidates = ["mynet-latest", "mynet-lates", "other", "mynet-latst"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            closest("mynet-latst", candidates),
            ["mynet-latest", "mynet-lates"]
        );
        assert!(closest("zz", vec!["mynet".to_owned()]).is_empty());
    }
}
