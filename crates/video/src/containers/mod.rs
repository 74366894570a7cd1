//! One file per container: its codecs and signature, registered by `crate::register!`.
//! The signatures shared by several containers live here.

mod avi;
mod flv;
mod m4v;
mod mkv;
mod mov;
mod mp4;
mod mpeg;
mod ogv;
mod threegp;
mod ts;
mod webm;
mod wmv;

use fileconv_core::sniff;

/// Brands of ISO files that are still images, not videos.
const IMAGE_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"];

/// Any ISO base media file (`ftyp` first) whose major brand is not an
/// image's: MP4 reads every flavour (M4V, 3GP, QuickTime with `ftyp`), so a
/// claimed `.mp4` is not refused over its brand.
pub fn iso_video(b: &[u8]) -> bool {
    b.len() >= 12 && &b[4..8] == b"ftyp" && !IMAGE_BRANDS.iter().any(|brand| &b[8..12] == &brand[..])
}

/// QuickTime: the `qt  ` brand, or an old file that starts with a movie atom.
pub fn is_quicktime(b: &[u8]) -> bool {
    sniff::iso_brand(b, &[b"qt  "])
        || (b.len() >= 8 && [&b"moov"[..], b"mdat", b"wide", b"free", b"skip", b"pnot"].contains(&&b[4..8]))
}

/// Matroska's EBML header (WebM is Matroska with a restricted codec set).
pub fn is_ebml(b: &[u8]) -> bool {
    sniff::starts_with(b, &[0x1A, 0x45, 0xDF, 0xA3])
}

/// MPEG-TS sync bytes every 188 bytes (or 192 in M2TS, after a 4-byte timecode).
pub fn is_transport_stream(b: &[u8]) -> bool {
    let synced = |first: usize, step: usize| (0..3).all(|i| b.get(first + i * step) == Some(&0x47));
    synced(0, 188) || synced(4, 192)
}
