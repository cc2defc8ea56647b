//! A real entry over 4 GiB (a sparse file of zeros): slow and disk-hungry,
//! so ignored by default; run with `cargo test --release -- --ignored`.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::support;

use audmodel_archive::{PackOptions, no_progress, pack, unpack};
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};

#[test]
#[ignore = "packs and unpacks 4.2 GiB"]
fn an_entry_over_4_gib_round_trips_and_python_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("model");
    fs::create_dir(&root).unwrap();
    let size = (4u64 << 30) + 12_345;
    let mut big = File::create(root.join("big.bin")).unwrap();
    big.set_len(size).unwrap();
    big.seek(SeekFrom::Start(size - 4)).unwrap();
    big.write_all(b"tail").unwrap();
    drop(big);
    fs::write(root.join("small.txt"), "after the big one").unwrap();

    for level in [1, 0] {
        let archive = dir.path().join(format!("{level}.zip"));
        let options = PackOptions {
            level,
            ..PackOptions::default()
        };
        let packed = pack(&root, &archive, &options, &no_progress).unwrap();
        assert_eq!(packed.files, 2);
        let script = r#"
import sys, zipfile, zlib
with zipfile.ZipFile(sys.argv[1]) as z:
    info = {i.filename: i for i in z.infolist()}
    assert info["big.bin"].file_size == 4 * 2**30 + 12345, info
    assert z.read("small.txt") == b"after the big one"
    crc = 0
    with z.open("big.bin") as f:
        while chunk := f.read(1 << 24):
            crc = zlib.crc32(chunk, crc)
    assert crc == info["big.bin"].CRC
print("ok")
"#;
        if let Some(out) = support::run_python(script, &[archive.as_path()]) {
            assert_eq!(out.trim(), "ok");
        }
        let target = dir.path().join(format!("out{level}"));
        unpack(&archive, &target, &no_progress).unwrap();
        let mut tail = [0u8; 4];
        let mut big = File::open(target.join("big.bin")).unwrap();
        assert_eq!(big.metadata().unwrap().len(), size);
        big.seek(SeekFrom::Start(size - 4)).unwrap();
        big.read_exact(&mut tail).unwrap();
        assert_eq!(&tail, b"tail");
        assert_eq!(
            fs::read(target.join("small.txt")).unwrap(),
            b"after the big one"
        );
        fs::remove_dir_all(&target).unwrap();
        fs::remove_file(&archive).unwrap();
    }
}
