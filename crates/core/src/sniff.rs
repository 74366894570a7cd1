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

/// The compound file signature (Office 97-2003: .doc, .xls, .ppt), told
/// apart by the stream names in its directory.
pub const COMPOUND_FILE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// True when `bytes` is a compound file whose directory, in its first
/// megabyte (directories sit in the first few sectors), names a stream
/// `name` (ASCII lower case; compared without case, as compound files
/// compare names), followed by its terminating NUL when `terminated`
/// (so `book` does not match `workbook`'s end).
pub fn compound_file_stream(bytes: &[u8], name: &[u8], terminated: bool) -> bool {
    if !starts_with(bytes, COMPOUND_FILE) {
        return false;
    }
    let head = &bytes[..bytes.len().min(1 << 20)];
    let len = name.len() * 2 + if terminated { 2 } else { 0 };
    head.windows(len).any(|w| w.chunks_exact(2).zip(name.iter().chain(terminated.then_some(&0u8))).all(|(pair, c)| pair[1] == 0 && pair[0].to_ascii_lowercase() == *c))
}

/// The bytes after a leading ID3v2 tag, which MP3, FLAC, AAC and AC-3 files
/// may all carry; all of `bytes` when there is none.
pub fn after_id3v2(bytes: &[u8]) -> &[u8] {
    if bytes.len() < 10 || !starts_with(bytes, b"ID3") || bytes[6..10].iter().any(|b| b & 0x80 != 0) {
        return bytes;
    }
    let size = bytes[6..10].iter().fold(0usize, |n, b| (n << 7) | usize::from(*b));
    let footer = if bytes[5] & 0x10 != 0 { 10 } else { 0 };
    bytes.get(10 + size + footer..).unwrap_or(&[])
}

/// An ADTS (AAC) frame header: 12-bit sync, layer 0.
pub fn adts_header(bytes: &[u8]) -> bool {
    bytes.len() >= 7 && bytes[0] == 0xFF && bytes[1] & 0xF6 == 0xF0
}

/// The sync word an AC-3 frame starts with.
pub const AC3_SYNC: [u8; 2] = [0x0B, 0x77];

/// The length in bytes of the MPEG audio (layer III) frame whose header
/// starts `bytes`, or `None` when they are not such a header.
pub fn mpeg_audio_frame_len(bytes: &[u8]) -> Option<usize> {
    let h = bytes.get(..4)?;
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 || (h[1] >> 1) & 3 != 1 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    let (bitrate_index, rate_index, padding) = (usize::from(h[2] >> 4), usize::from((h[2] >> 2) & 3), usize::from((h[2] >> 1) & 1));
    if version == 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const MPEG1: [usize; 15] = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    const MPEG2: [usize; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let rate = [44_100, 48_000, 32_000][rate_index] >> if version == 3 { 0 } else if version == 2 { 1 } else { 2 };
    let (kbps, per_frame) = if version == 3 { (MPEG1[bitrate_index], 144) } else { (MPEG2[bitrate_index], 72) };
    Some(per_frame * kbps * 1000 / rate + padding)
}

/// True when three MPEG audio frames follow each other somewhere in the
/// first 64 KiB: how FFmpeg finds MP3 after junk or padding.
pub fn mpeg_audio_frames(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(65_536)];
    (0..head.len().saturating_sub(4)).any(|at| {
        let mut next = at;
        for _ in 0..3 {
            match bytes.get(next..).and_then(mpeg_audio_frame_len) {
                Some(len) if len > 4 => next += len,
                _ => return false,
            }
        }
        true
    })
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

/// The entry names of a zip archive, read from its central directory (no
/// inflating), at most `max` of them; empty when the bytes are not a zip.
pub fn zip_entry_names(bytes: &[u8], max: usize) -> Vec<&[u8]> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    if !starts_with(bytes, b"PK\x03\x04") || bytes.len() < 22 {
        return Vec::new();
    }
    // The end record sits in the last 64 KiB + 22 bytes (its comment is at most 64 KiB).
    let tail_start = bytes.len().saturating_sub(65_557);
    let Some(eocd) = bytes[tail_start..].windows(4).rposition(|w| w == EOCD).map(|i| tail_start + i) else {
        return Vec::new();
    };
    let (Some(count), Some(mut at)) = (u16_at(eocd + 10), u32_at(eocd + 16)) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for _ in 0..count.min(max) {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            break;
        }
        let (Some(name_len), Some(extra_len), Some(comment_len)) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32)) else {
            break;
        };
        let Some(name) = bytes.get(at + 46..at + 46 + name_len) else { break };
        names.push(name);
        at += 46 + name_len + extra_len + comment_len;
    }
    names
}

/// True when the zip's central directory lists an entry called `name`.
pub fn zip_has_entry(bytes: &[u8], name: &str) -> bool {
    zip_entry_names(bytes, 10_000).contains(&name.as_bytes())
}

/// The OpenDocument signature: a first entry `mimetype`, stored, holding
/// `mime` (`application/vnd.oasis.opendocument.spreadsheet`).
pub fn opendocument(bytes: &[u8], mime: &str) -> bool {
    if !starts_with(bytes, b"PK\x03\x04") || bytes.len() < 30 {
        return false;
    }
    let name_len = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
    let extra_len = usize::from(u16::from_le_bytes([bytes[28], bytes[29]]));
    let data = 30 + name_len + extra_len;
    bytes.get(30..30 + name_len) == Some(b"mimetype") && bytes.get(data..data + mime.len()) == Some(mime.as_bytes())
}
