//! Model folders for tests: files of pseudo-random bytes (incompressible,
//! so archive sizes and timings are those of real weights), an exact
//! comparison of two folders, and how much a folder holds.

use std::collections::BTreeMap;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

/// Writes `len` pseudo-random bytes from `seed` to `path` (xorshift64*:
/// fast enough for hundreds of MiB, and the same bytes for the same seed).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let a = dir.path().join("a.bin");
/// audmodel_tests::model_files::write_random(&a, 1000, 7);
/// assert_eq!(std::fs::metadata(&a).unwrap().len(), 1000);
/// ```
///
/// # Panics
/// When the file cannot be written.
pub fn write_random(path: &Path, len: u64, seed: u64) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let file = std::fs::File::create(path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut left = len;
    while left > 0 {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        let n = left.min(8) as usize;
        out.write_all(&word[..n])
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        left -= n as u64;
    }
    out.flush()
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Every file below `dir` by path relative to it (with `/`) and its size;
/// folders are implied by their files. Symbolic links and special files
/// are listed with size `u64::MAX`, so they never equal a real file.
///
/// # Panics
/// When `dir` cannot be read.
pub fn tree(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, u64>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let kind = entry
                .file_type()
                .unwrap_or_else(|e| panic!("cannot stat {name}: {e}"));
            if kind.is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else if kind.is_file() {
                let len = entry
                    .metadata()
                    .unwrap_or_else(|e| panic!("cannot stat {name}: {e}"))
                    .len();
                out.insert(name, len);
            } else {
                out.insert(name, u64::MAX);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

/// Whether two files hold the same bytes (read in blocks, for big files).
fn same_content(a: &Path, b: &Path) -> bool {
    let open = |p: &Path| {
        std::fs::File::open(p).unwrap_or_else(|e| panic!("cannot open {}: {e}", p.display()))
    };
    let (mut fa, mut fb) = (open(a), open(b));
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = read_full(&mut fa, &mut ba, a);
        let nb = read_full(&mut fb, &mut bb, b);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
}

fn read_full(file: &mut std::fs::File, buf: &mut [u8], path: &Path) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        }
    }
    filled
}

/// Whether `actual` holds exactly the files of `expected`: the same paths,
/// sizes and bytes, and nothing else.
///
/// # Panics
/// When a folder cannot be read.
pub fn same_files(expected: &Path, actual: &Path) -> Result<(), String> {
    let (want, got) = (tree(expected), tree(actual));
    if want != got {
        return Err(format!(
            "'{}' holds {got:?}, expected {want:?}",
            actual.display()
        ));
    }
    for name in want.keys() {
        if !same_content(&expected.join(name), &actual.join(name)) {
            return Err(format!(
                "'{name}' in '{}' differs from the original",
                actual.display()
            ));
        }
    }
    Ok(())
}

/// Bytes in the files below `dir` whose names `counted` accepts, tolerating
/// files and folders that vanish while it looks (a process being watched
/// may remove them meanwhile); 0 when `dir` does not exist.
pub fn bytes_below(dir: &Path, counted: &dyn Fn(&str) -> bool) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => bytes_below(&entry.path(), counted),
            Ok(meta) if counted(&entry.file_name().to_string_lossy()) => meta.len(),
            _ => 0,
        })
        .sum()
}
