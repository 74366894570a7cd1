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
