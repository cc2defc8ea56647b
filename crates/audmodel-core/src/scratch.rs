//! The private folder a publish packs its archive in (`{tmp}/audmodel-*/`).
//! Its owner holds an `flock` on the folder's `.alive` file for as long as
//! it lives, so a later publish tells a killed publisher's leftovers (the
//! lock is free) from a running one's and removes them.

use std::fs::File;
use std::path::Path;

use crate::Error;

const PREFIX: &str = "audmodel-";
const ALIVE: &str = ".alive";

/// A scratch folder, removed with everything in it when dropped.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
    _alive: File,
}

impl Scratch {
    /// A new scratch folder in `root` (the system's temporary folder when
    /// `None`; created when missing), after removing the folders that killed
    /// publishers left there.
    pub(crate) fn new(root: Option<&Path>) -> Result<Scratch, Error> {
        let root = root.map_or_else(std::env::temp_dir, Path::to_path_buf);
        std::fs::create_dir_all(&root).map_err(Error::io(&root))?;
        remove_dead(&root);
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(&root)
            .map_err(Error::io(&root))?;
        // Locked before it gets its name, so `.alive` never exists unlocked
        // while its owner lives.
        let alive = tempfile::NamedTempFile::new_in(dir.path()).map_err(Error::io(dir.path()))?;
        alive
            .as_file()
            .try_lock()
            .map_err(|e| Error::io(alive.path())(std::io::Error::other(e.to_string())))?;
        let path = dir.path().join(ALIVE);
        let alive = alive
            .persist(&path)
            .map_err(|e| Error::io(&path)(e.error))?;
        Ok(Scratch { dir, _alive: alive })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Best effort: what cannot be read or removed stays for the next publish.
fn remove_dead(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) || !dir.is_dir() {
            continue;
        }
        // No `.alive` file: not ours, or its owner is just starting.
        let Ok(alive) = File::open(dir.join(ALIVE)) else {
            continue;
        };
        if alive.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_dead_owners_folder_is_removed_and_a_living_ones_kept() {
        let root = tempfile::tempdir().unwrap();
        let living = Scratch::new(Some(root.path())).unwrap();
        // A killed publisher: its folder and unlocked `.alive` file remain.
        let dead = root.path().join("audmodel-dead");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(ALIVE), b"").unwrap();
        std::fs::write(dead.join("model.zip"), b"partial").unwrap();
        // Someone else's folder with our prefix but no `.alive`: kept.
        let other = root.path().join("audmodel-other");
        std::fs::create_dir(&other).unwrap();

        let second = Scratch::new(Some(root.path())).unwrap();
        let mut expected = vec![
            "audmodel-other".to_owned(),
            living
                .path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            second
                .path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        ];
        expected.sort();
        assert_eq!(names(root.path()), expected);
        assert_eq!(names(living.path()), [ALIVE]);

        drop((living, second));
        assert_eq!(names(root.path()), ["audmodel-other"]);
    }
}
