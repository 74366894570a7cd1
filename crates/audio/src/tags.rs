//! Tag encodings fileconv writes itself: the FLAC picture block carried in a
//! Vorbis comment, and the RIFF `LIST/INFO` chunk of WAV files.

use fileconv_core::{Picture, Tags};

/// A FLAC `METADATA_BLOCK_PICTURE` (front cover), base64-encoded for a Vorbis comment.
pub fn flac_picture_base64(picture: &Picture) -> String {
    let (width, height) = picture_size(&picture.data).unwrap_or((0, 0));
    let mut block = Vec::with_capacity(picture.data.len() + 64);
    block.extend_from_slice(&3u32.to_be_bytes()); // front cover
    block.extend_from_slice(&(picture.mime.len() as u32).to_be_bytes());
    block.extend_from_slice(picture.mime.as_bytes());
    block.extend_from_slice(&0u32.to_be_bytes()); // no description
    for v in [width, height, 24, 0] {
        block.extend_from_slice(&v.to_be_bytes());
    }
    block.extend_from_slice(&(picture.data.len() as u32).to_be_bytes());
    block.extend_from_slice(&picture.data);
    base64(&block)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Width and height of a PNG or JPEG, read from its header.
pub fn picture_size(data: &[u8]) -> Option<(u32, u32)> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") && data.len() >= 24 {
        let w = u32::from_be_bytes(data[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(data[20..24].try_into().ok()?);
        return Some((w, h));
    }
    if !data.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    while i + 9 < data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([data[i + 5], data[i + 6]]);
            let w = u16::from_be_bytes([data[i + 7], data[i + 8]]);
            return Some((u32::from(w), u32::from(h)));
        }
        i += 2 + len;
    }
    None
}

/// A RIFF `LIST` chunk of type `INFO` with the tags WAV can hold; `None` without tags.
pub fn riff_info_chunk(tags: &Tags) -> Option<Vec<u8>> {
    let fields = [
        (b"INAM", &tags.title),
        (b"IART", &tags.artist),
        (b"IPRD", &tags.album),
        (b"ICRD", &tags.date),
        (b"ITRK", &tags.track),
        (b"IGNR", &tags.genre),
        (b"ICMT", &tags.comment),
    ];
    let mut body = b"INFO".to_vec();
    for (id, value) in fields {
        let Some(text) = value else { continue };
        let size = text.len() + 1;
        body.extend_from_slice(id);
        body.extend_from_slice(&(size as u32).to_le_bytes());
        body.extend_from_slice(text.as_bytes());
        body.push(0);
        if size % 2 == 1 {
            body.push(0);
        }
    }
    if body.len() == 4 {
        return None;
    }
    let mut chunk = b"LIST".to_vec();
    chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
    chunk.extend_from_slice(&body);
    Some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
