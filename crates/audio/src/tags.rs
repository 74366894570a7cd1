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
    fileconv_core::io::base64(&block)
}

/// Width and height of a cover picture, read from its header.
pub fn picture_size(data: &[u8]) -> Option<(u32, u32)> {
    fileconv_core::EmbeddedImage::probe(data).map(|i| (i.width, i.height))
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

