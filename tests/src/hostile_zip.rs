//! Zip archives written field by field, for tests that plant what a
//! well-behaved zip library would refuse to write: `..` parts, absolute
//! names, Unix modes of links, FIFOs and devices, wrong sizes and CRCs,
//! methods nobody supports.
//!
//! Std, `crc32fast` and `flate2` only: the archive crate's tests include this
//! file by path (depending on this crate would build the S3 backend for them).

use std::io::Write;

/// Unix file types and permissions, as stored in the upper half of a zip
/// entry's external attributes.
pub mod mode {
    /// A regular file, `rw-r--r--`.
    pub const REGULAR: u32 = 0o100_644;
    /// A symbolic link (its data is the target).
    pub const SYMLINK: u32 = 0o120_777;
    /// A named pipe.
    pub const FIFO: u32 = 0o010_644;
    /// A character device.
    pub const CHAR_DEVICE: u32 = 0o020_644;
    /// A block device.
    pub const BLOCK_DEVICE: u32 = 0o060_644;
}

/// One entry exactly as it will be written, lies included.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The name's bytes (not necessarily UTF-8, not necessarily safe).
    pub name: Vec<u8>,
    /// The bytes stored after the local header.
    pub data: Vec<u8>,
    /// Compression method: 0 stored, 8 deflate, anything else.
    pub method: u16,
    /// General purpose flags (bit 11: UTF-8 name, bit 0: encrypted).
    pub flags: u16,
    /// CRC-32 claimed in both headers.
    pub crc: u32,
    /// Compressed size claimed in both headers.
    pub compressed: u32,
    /// Uncompressed size claimed in both headers.
    pub size: u32,
    /// Unix mode (see [`mode`]).
    pub mode: u32,
}

fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or_else(|_| panic!("{len} bytes do not fit a zip32 field"))
}

fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or_else(|_| panic!("{len} does not fit a zip16 field"))
}

/// A truthful stored regular file.
pub fn stored(name: &str, content: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        data: content.to_vec(),
        method: 0,
        flags: if name.is_ascii() { 0 } else { 1 << 11 },
        crc: crc32fast::hash(content),
        compressed: len32(content.len()),
        size: len32(content.len()),
        mode: mode::REGULAR,
    }
}

/// A truthful stored entry of Unix mode `mode` (a link's `content` is its target).
pub fn with_mode(name: &str, mode: u32, content: &[u8]) -> Raw {
    Raw {
        mode,
        ..stored(name, content)
    }
}

/// A truthful deflated regular file.
pub fn deflated(name: &str, content: &[u8]) -> Raw {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    let data = encoder
        .write_all(content)
        .and_then(|()| encoder.finish())
        .unwrap_or_else(|e| panic!("deflate into memory failed: {e}"));
    Raw {
        compressed: len32(data.len()),
        data,
        method: 8,
        ..stored(name, content)
    }
}

/// The archive of `entries`: local headers and data, then the central
/// directory, made by "Unix" so readers honour the modes; every entry dated
/// 1980-01-01.
pub fn build(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let le16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for e in entries {
        let offset = len32(out.len());
        le32(&mut out, 0x0403_4b50);
        le16(&mut out, 20); // version needed
        le16(&mut out, e.flags);
        le16(&mut out, e.method);
        le16(&mut out, 0); // time
        le16(&mut out, 0x21); // date: 1980-01-01
        le32(&mut out, e.crc);
        le32(&mut out, e.compressed);
        le32(&mut out, e.size);
        le16(&mut out, len16(e.name.len()));
        le16(&mut out, 0); // extra
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);

        le32(&mut central, 0x0201_4b50);
        le16(&mut central, (3 << 8) | 20); // made by Unix, zip 2.0
        le16(&mut central, 20);
        le16(&mut central, e.flags);
        le16(&mut central, e.method);
        le16(&mut central, 0);
        le16(&mut central, 0x21);
        le32(&mut central, e.crc);
        le32(&mut central, e.compressed);
        le32(&mut central, e.size);
        le16(&mut central, len16(e.name.len()));
        le16(&mut central, 0); // extra
        le16(&mut central, 0); // comment
        le16(&mut central, 0); // disk
        le16(&mut central, 0); // internal attributes
        le32(&mut central, e.mode << 16);
        le32(&mut central, offset);
        central.extend_from_slice(&e.name);
    }
    let start = len32(out.len());
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    le32(&mut out, 0); // this disk, disk of the directory
    le16(&mut out, len16(entries.len()));
    le16(&mut out, len16(entries.len()));
    le32(&mut out, len32(central.len()));
    le32(&mut out, start);
    le16(&mut out, 0); // comment
    out
}
