//! The local header in front of each entry's data: only its length matters
//! here, the central directory is what is trusted for names and sizes.

use crate::Error;

/// Bytes of a local header before the name and extra field.
pub(crate) const FIXED_LEN: u64 = 30;

const SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x03, 0x04];

/// Given the fixed part of the local header of `entry`, how many bytes of
/// name and extra field follow before the data.
pub(crate) fn variable_len(fixed: &[u8; FIXED_LEN as usize], entry: &str) -> Result<u64, Error> {
    if fixed[..4] != SIGNATURE {
        return Err(Error::corrupt(
            entry,
            "no local header where the directory points",
        ));
    }
    let field = |at: usize| u64::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
    Ok(field(26) + field(28))
}
