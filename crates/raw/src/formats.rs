//! The raw formats, each a [`FormatInfo`] and a LibRaw [`Decoder`]. Those
//! that are TIFF files underneath say so (`Container::Tiff`): a NEF or ARW
//! has no signature of its own, so it is read as claimed, and a file
//! without a claim is read as TIFF (its first page, often the preview).

use fileconv_core::{sniff, Category, Container, Decoder, FormatInfo, ValueKind};

/// The raw formats' ids, in order.
pub const IDS: &[&str] = &["arw", "cr2", "cr3", "dng", "nef", "orf", "raf", "rw2"];

macro_rules! raw_format {
    ($id:literal, $aliases:expr, $name:literal, $mime:literal, $container:expr, $sniff:expr) => {
        inventory::submit! {
            FormatInfo { id: $id, aliases: $aliases, name: $name, mime: $mime, category: Category::Image, container: $container, sniff: $sniff }
        }
        inventory::submit! {
            Decoder { format: $id, name: "libraw", output: ValueKind::Raster, cost: 40, options: &[], decode: |input, ctx| crate::decode(input, ctx, $id) }
        }
    };
}

raw_format!("dng", &[], "Adobe Digital Negative", "image/x-adobe-dng", Some(Container::Tiff), Some(is_dng));
raw_format!("cr2", &[], "Canon RAW 2", "image/x-canon-cr2", Some(Container::Tiff), Some(is_cr2));
raw_format!("cr3", &[], "Canon RAW 3", "image/x-canon-cr3", None, Some(|b| sniff::iso_brand(b, &[b"crx "])));
raw_format!("nef", &["nrw"], "Nikon Electronic Format", "image/x-nikon-nef", Some(Container::Tiff), None);
raw_format!("arw", &["srf", "sr2"], "Sony Alpha RAW", "image/x-sony-arw", Some(Container::Tiff), None);
raw_format!("orf", &[], "Olympus RAW", "image/x-olympus-orf", None, Some(|b| [b"IIRO", b"IIRS", b"MMOR"].iter().any(|m| sniff::starts_with(b, *m))));
raw_format!("raf", &[], "Fujifilm RAW", "image/x-fuji-raf", None, Some(|b| sniff::starts_with(b, b"FUJIFILMCCD-RAW ")));
raw_format!("rw2", &["rwl"], "Panasonic RAW 2", "image/x-panasonic-rw2", None, Some(|b| sniff::starts_with(b, b"IIU\0")));

fn is_dng(bytes: &[u8]) -> bool {
    tiff_tag(bytes, DNG_VERSION).is_some()
}

fn is_cr2(bytes: &[u8]) -> bool {
    sniff::starts_with(bytes, b"II*\0") && bytes.get(8..11) == Some(b"CR\x02")
}

/// True when `bytes` carry the signature of raw format `id` itself, beyond
/// the TIFF header it may share with others.
pub(crate) fn signed(id: &str, bytes: &[u8]) -> bool {
    match id {
        "dng" => is_dng(bytes),
        "cr2" => is_cr2(bytes),
        _ => false,
    }
}

/// TIFF tag 50706, `DNGVersion`: in the first directory of every DNG.
const DNG_VERSION: u16 = 0xC612;

/// The entry of `tag` in a TIFF's first directory, when the file is a TIFF
/// and the directory lies within `bytes`.
fn tiff_tag(bytes: &[u8], tag: u16) -> Option<usize> {
    let little = match bytes.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| if little { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) });
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| if little { u32::from_le_bytes([b[0], b[1], b[2], b[3]]) } else { u32::from_be_bytes([b[0], b[1], b[2], b[3]]) });
    let directory = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(directory)?);
    (0..entries).map(|i| directory + 2 + 12 * i).find(|&entry| u16_at(entry) == Some(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiff(little: bool, tags: &[u16]) -> Vec<u8> {
        let mut bytes = if little { b"II*\0\x08\0\0\0".to_vec() } else { b"MM\0*\0\0\0\x08".to_vec() };
        let u16_bytes = |v: u16| if little { v.to_le_bytes() } else { v.to_be_bytes() };
        bytes.extend(u16_bytes(tags.len() as u16));
        for &tag in tags {
            bytes.extend(u16_bytes(tag));
            bytes.extend([0; 10]);
        }
        bytes
    }

    #[test]
    fn a_dng_is_told_from_a_plain_tiff() {
        for little in [true, false] {
            assert!(tiff_tag(&tiff(little, &[256, 257, DNG_VERSION]), DNG_VERSION).is_some());
            assert!(tiff_tag(&tiff(little, &[256, 257, 258]), DNG_VERSION).is_none());
        }
        // A directory past the end, a count past the end, not a TIFF.
        assert!(tiff_tag(b"II*\0\xff\xff\0\0", DNG_VERSION).is_none());
        assert!(tiff_tag(b"II*\0\x08\0\0\0\xff\xff", DNG_VERSION).is_none());
        assert!(tiff_tag(b"\x89PNG\r\n\x1a\n", DNG_VERSION).is_none());
        assert!(tiff_tag(b"", DNG_VERSION).is_none());
    }
}
