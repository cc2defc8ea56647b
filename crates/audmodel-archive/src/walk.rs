//! The files below a model root, in the order the reference packs them.

use crate::Error;
use std::fs;
use std::path::{Path, PathBuf};

/// A file to pack.
#[derive(Debug)]
pub(crate) struct SourceFile {
    /// Path relative to the root with `/` separators: the entry name.
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) mode: u32,
}

/// Every file below `root`, hidden ones too, sorted by name as Python's
/// `sorted()` sorts them (code point order equals UTF-8 byte order).
/// Empty folders are left out, as `audeer.create_archive` does.
pub(crate) fn list_files(root: &Path) -> Result<Vec<SourceFile>, Error> {
    let meta = match fs::metadata(root) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(Error::io(root)(e)),
    };
    if !meta.is_dir() {
        return Err(Error::InvalidInput {
            reason: format!("not a folder: {}", root.display()),
        });
    }
    let mut files = Vec::new();
    visit(root, "", &mut files)?;
    files.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

fn visit(dir: &Path, prefix: &str, files: &mut Vec<SourceFile>) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(Error::io(dir))? {
        let entry = entry.map_err(Error::io(dir))?;
        let path = entry.path();
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            return Err(Error::InvalidInput {
                reason: format!("file name is not UTF-8: {}", path.display()),
            });
        };
        let name = format!("{prefix}{file_name}");
        let file_type = entry.file_type().map_err(Error::io(&path))?;
        if file_type.is_dir() {
            visit(&path, &format!("{name}/"), files)?;
            continue;
        }
        // Symlinks to files are packed as the file they point to, like
        // Python's zipfile does; anything else has no place in a model.
        let meta = match fs::metadata(&path) {
            Err(e) if file_type.is_symlink() && e.kind() == std::io::ErrorKind::NotFound => {
                let target = fs::read_link(&path).unwrap_or_default();
                return Err(Error::InvalidInput {
                    reason: format!(
                        "'{}' is a dangling symbolic link: its target '{}' does not exist",
                        path.display(),
                        target.display()
                    ),
                });
            }
            other => other.map_err(Error::io(&path))?,
        };
        if !meta.is_file() {
            return Err(Error::InvalidInput {
                reason: format!("not a regular file: {}", path.display()),
            });
        }
        files.push(SourceFile {
            name,
            path,
            size: meta.len(),
            mode: file_mode(&meta),
        });
    }
    Ok(())
}

/// 0o755 for files their owner may execute, 0o644 otherwise: the umask of
/// the packing machine must not change the archive bytes.
fn file_mode(meta: &fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o100 != 0 {
            return 0o755;
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    0o644
}
