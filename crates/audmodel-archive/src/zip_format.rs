//! The zip records `pack` writes: local headers, data descriptors, the
//! central directory and its end records, with zip64 where sizes need it.
//!
//! Data descriptors (flag bit 3) let the header go out before the data is
//! compressed, so every byte is written (and hashed) exactly once.

use std::io::{self, Write};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// Made by Unix (3), spec version 4.5 when zip64 is used, 2.0 otherwise.
const fn version(zip64: bool) -> u16 {
    if zip64 { 45 } else { 20 }
}
const MADE_BY_UNIX: u16 = 3 << 8;

const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
const FLAG_UTF8: u16 = 1 << 11;

/// 1980-01-01 00:00:00, the earliest DOS time: a fixed stamp keeps archives
/// of the same content byte-identical whenever and wherever they are made.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

/// Entries at least this large get zip64 sizes up front: deflate can grow
/// incompressible data a little, so the compressed size of an entry just
/// below 4 GiB could still overflow 32 bits.
pub(crate) const ZIP64_ENTRY_THRESHOLD: u64 = 0xF000_0000;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// How an entry's data is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Stored = 0,
    Deflated = 8,
}

/// One written entry, as the central directory needs it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) method: Method,
    /// Regular-file permission bits for the external attributes.
    pub(crate) mode: u32,
    pub(crate) crc: u32,
    pub(crate) compressed: u64,
    pub(crate) uncompressed: u64,
    pub(crate) offset: u64,
    /// Whether the local header carried a zip64 extra field (and the data
    /// descriptor 8-byte sizes).
    pub(crate) zip64_local: bool,
}

impl Entry {
    fn flags(&self) -> u16 {
        let utf8 = if self.name.is_ascii() { 0 } else { FLAG_UTF8 };
        FLAG_DATA_DESCRIPTOR | utf8
    }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Clamps to 32 bits; callers store the real value in a zip64 field.
fn u32_or_max(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn name_len(name: &str) -> io::Result<u16> {
    u16::try_from(name.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "entry name over 65535 bytes"))
}

/// The local header; CRC and sizes follow in the data descriptor.
pub(crate) fn write_local_header(out: &mut impl Write, entry: &Entry) -> io::Result<()> {
    let mut b = Vec::with_capacity(30 + entry.name.len() + 20);
    u32le(&mut b, LOCAL_HEADER);
    u16le(&mut b, version(entry.zip64_local));
    u16le(&mut b, entry.flags());
    u16le(&mut b, entry.method as u16);
    u16le(&mut b, DOS_TIME);
    u16le(&mut b, DOS_DATE);
    u32le(&mut b, 0);
    let (size_field, extra_len) = if entry.zip64_local {
        (u32::MAX, 20)
    } else {
        (0, 0)
    };
    u32le(&mut b, size_field);
    u32le(&mut b, size_field);
    u16le(&mut b, name_len(&entry.name)?);
    u16le(&mut b, extra_len);
    b.extend_from_slice(entry.name.as_bytes());
    if entry.zip64_local {
        u16le(&mut b, ZIP64_EXTRA_ID);
        u16le(&mut b, 16);
        u64le(&mut b, 0);
        u64le(&mut b, 0);
    }
    out.write_all(&b)
}

/// The data descriptor after an entry's data.
pub(crate) fn write_data_descriptor(out: &mut impl Write, entry: &Entry) -> io::Result<()> {
    let mut b = Vec::with_capacity(24);
    u32le(&mut b, DATA_DESCRIPTOR);
    u32le(&mut b, entry.crc);
    if entry.zip64_local {
        u64le(&mut b, entry.compressed);
        u64le(&mut b, entry.uncompressed);
    } else {
        // The threshold guarantees both fit.
        u32le(&mut b, u32_or_max(entry.compressed));
        u32le(&mut b, u32_or_max(entry.uncompressed));
    }
    out.write_all(&b)
}

fn write_central_header(out: &mut impl Write, entry: &Entry) -> io::Result<()> {
    // Sizes go to zip64 together when the local header announced zip64, so
    // local and central records agree; the offset only when it overflows.
    let big_sizes =
        entry.zip64_local || entry.compressed >= U32_MAX || entry.uncompressed >= U32_MAX;
    let big_offset = entry.offset >= U32_MAX;
    let mut extra = Vec::new();
    if big_sizes {
        u64le(&mut extra, entry.uncompressed);
        u64le(&mut extra, entry.compressed);
    }
    if big_offset {
        u64le(&mut extra, entry.offset);
    }
    let zip64 = !extra.is_empty();
    let mut b = Vec::with_capacity(46 + entry.name.len() + 28);
    u32le(&mut b, CENTRAL_HEADER);
    u16le(&mut b, MADE_BY_UNIX | version(zip64));
    u16le(&mut b, version(zip64 || entry.zip64_local));
    u16le(&mut b, entry.flags());
    u16le(&mut b, entry.method as u16);
    u16le(&mut b, DOS_TIME);
    u16le(&mut b, DOS_DATE);
    u32le(&mut b, entry.crc);
    u32le(
        &mut b,
        if big_sizes {
            u32::MAX
        } else {
            u32_or_max(entry.compressed)
        },
    );
    u32le(
        &mut b,
        if big_sizes {
            u32::MAX
        } else {
            u32_or_max(entry.uncompressed)
        },
    );
    u16le(&mut b, name_len(&entry.name)?);
    u16le(&mut b, if zip64 { extra.len() as u16 + 4 } else { 0 });
    u16le(&mut b, 0); // comment length
    u16le(&mut b, 0); // disk number
    u16le(&mut b, 0); // internal attributes
    u32le(&mut b, (0o100_000 | (entry.mode & 0o777)) << 16);
    u32le(
        &mut b,
        if big_offset {
            u32::MAX
        } else {
            u32_or_max(entry.offset)
        },
    );
    b.extend_from_slice(entry.name.as_bytes());
    if zip64 {
        u16le(&mut b, ZIP64_EXTRA_ID);
        u16le(&mut b, extra.len() as u16);
        b.extend_from_slice(&extra);
    }
    out.write_all(&b)
}

/// The central directory and end records; `start` is the offset at which
/// the central directory begins (the current archive position).
pub(crate) fn write_central_directory(
    out: &mut impl Write,
    entries: &[Entry],
    start: u64,
) -> io::Result<()> {
    let mut size = 0u64;
    for entry in entries {
        let mut counter = CountingSink(0);
        write_central_header(&mut counter, entry)?;
        write_central_header(out, entry)?;
        size += counter.0;
    }
    let count = entries.len() as u64;
    let mut b = Vec::with_capacity(22 + 56 + 20);
    if count >= 0xFFFF || size >= U32_MAX || start >= U32_MAX {
        let zip64_end_offset = start + size;
        u32le(&mut b, ZIP64_END);
        u64le(&mut b, 44); // size of the record after this field
        u16le(&mut b, MADE_BY_UNIX | 45);
        u16le(&mut b, 45);
        u32le(&mut b, 0); // this disk
        u32le(&mut b, 0); // disk with the central directory
        u64le(&mut b, count);
        u64le(&mut b, count);
        u64le(&mut b, size);
        u64le(&mut b, start);
        u32le(&mut b, ZIP64_LOCATOR);
        u32le(&mut b, 0);
        u64le(&mut b, zip64_end_offset);
        u32le(&mut b, 1); // total disks
    }
    let count16 = u16::try_from(count).unwrap_or(u16::MAX);
    u32le(&mut b, END);
    u16le(&mut b, 0);
    u16le(&mut b, 0);
    u16le(&mut b, count16);
    u16le(&mut b, count16);
    u32le(&mut b, u32_or_max(size));
    u32le(&mut b, u32_or_max(start));
    u16le(&mut b, 0); // comment length
    out.write_all(&b)
}

struct CountingSink(u64);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::fs::File;
    use std::io::{Seek, SeekFrom};

    fn entry(name: &str, size: u64, offset: u64) -> Entry {
        Entry {
            name: name.into(),
            method: Method::Deflated,
            mode: 0o644,
            crc: 0x1234_5678,
            compressed: size / 2,
            uncompressed: size,
            offset,
            zip64_local: size >= ZIP64_ENTRY_THRESHOLD,
        }
    }

    /// A central directory past 4 GiB (in a sparse file) describing entries
    /// past 4 GiB and over 4 GiB: Python must see the real 64-bit values.
    #[test]
    fn zip64_offsets_and_end_records_are_read_by_python() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.zip");
        let mut file = File::create(&path).unwrap();
        let start = 6 << 30;
        file.seek(SeekFrom::Start(start)).unwrap();
        let entries = [
            entry("small", 10, 0),
            entry("big", 9 << 29, 100),
            entry("ü-far", 20, 5 << 30),
        ];
        write_central_directory(&mut file, &entries, start).unwrap();
        drop(file);
        const SCRIPT: &str = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        print(i.filename, i.file_size, i.compress_size, i.header_offset, hex(i.CRC), oct(i.external_attr >> 16))
"#;
        if let Some(out) = crate::test_support::run_python(SCRIPT, &[path.as_path()]) {
            let big = 9u64 << 29;
            let far = 5u64 << 30;
            assert_eq!(
                out,
                format!(
                    "small 10 5 0 0x12345678 0o100644\n\
                     big {big} {} 100 0x12345678 0o100644\n\
                     ü-far 20 10 {far} 0x12345678 0o100644\n",
                    big / 2
                )
            );
        }
    }

    /// 65,535 entries need the zip64 end records for the count alone.
    #[test]
    fn zip64_entry_count_is_read_by_python() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.zip");
        let entries: Vec<Entry> = (0..0xFFFF).map(|i| entry(&format!("{i}"), 0, 0)).collect();
        let mut file = std::io::BufWriter::new(File::create(&path).unwrap());
        write_central_directory(&mut file, &entries, 0).unwrap();
        drop(file);
        let script = "import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))";
        if let Some(out) = crate::test_support::run_python(script, &[path.as_path()]) {
            assert_eq!(out.trim(), "65535");
        }
    }
}
