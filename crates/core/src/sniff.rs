//! Helpers for magic-byte sniffers.

/// True when `bytes` starts with `magic`.
pub fn starts_with(bytes: &[u8], magic: &[u8]) -> bool {
    bytes.len() >= magic.len() && &bytes[..magic.len()] == magic
}

/// True when `needle` occurs in the first `window` bytes of `bytes`.
pub fn contains_early(bytes: &[u8], needle: &[u8], window: usize) -> bool {
    let head = &bytes[..bytes.len().min(window)];
    head.windows(needle.len()).any(|w| w == needle)
}

/// ISO base media (HEIF/AVIF/MP4) brand check: an `ftyp` box whose major or
/// compatible brands include one of `brands`.
pub fn iso_brand(bytes: &[u8], brands: &[&[u8; 4]]) -> bool {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, bytes.len().min(256));
    let major = &bytes[8..12];
    brands.iter().any(|b| major == &b[..])
        || bytes[16..end].chunks_exact(4).any(|c| brands.iter().any(|b| c == &b[..]))
}

/// The ASF header object's GUID, first in every WMA and WMV file.
pub const ASF: [u8; 16] = [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C];

/// The ASF video media stream type GUID, found in a WMV's header (not a WMA's).
pub const ASF_VIDEO_MEDIA: [u8; 16] = [0xC0, 0xEF, 0x19, 0xBC, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B];
