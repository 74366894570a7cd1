//! OfficeArt drawing records that the Word and PowerPoint 97-2003 readers
//! share ([MS-ODRAW]): the BLIP store's entries and the picture files in
//! their BLIPs.

use super::compound::{u16_at, u32_at};

/// A BLIP store entry (`OfficeArtFBSE`).
pub const FBSE: u16 = 0xF007;
/// Its fixed part, before the name and any embedded BLIP.
const FBSE_FIXED: usize = 36;
/// The shape property naming a picture: an index (from 1) into the BLIP store.
const PIB: u16 = 0x0104;

/// The picture file of a BLIP store entry (the body of an `OfficeArtFBSE`):
/// its embedded BLIP when it has one (Word), else the BLIP at its offset
/// in `delay` (PowerPoint's Pictures stream).
pub fn stored_picture(entry: &[u8], delay: &[u8]) -> Option<(&'static str, Vec<u8>)> {
    let name = usize::from(*entry.get(FBSE_FIXED - 3)?);
    match entry.get(FBSE_FIXED + name..).filter(|rest| rest.len() >= 8) {
        Some(embedded) => blip_file(embedded),
        None => delay.get(u32_at(entry, 28)? as usize..).and_then(blip_file),
    }
}

/// The BLIP store index (from 1) of a shape's picture, from the shape's
/// property table (`OfficeArtFOPT`: `count` properties of 6 bytes).
pub fn picture_index(properties: &[u8], count: u16) -> Option<u32> {
    (0..usize::from(count)).find_map(|i| {
        let id = u16_at(properties, i * 6)?;
        // The BLIP-id flag (0x4000) says the value is a store index.
        (id & 0x3FFF == PIB && id & 0x4000 != 0).then(|| u32_at(properties, i * 6 + 2)).flatten()
    })
}

/// The file in an OfficeArt BLIP record: after its one or two 16-byte UIDs
/// (the second when the instance is odd) and a tag byte.
pub fn blip_file(record: &[u8]) -> Option<(&'static str, Vec<u8>)> {
    let (version, kind, size) = (u16_at(record, 0)?, u16_at(record, 2)?, u32_at(record, 4)? as usize);
    let body = record.get(8..8usize.checked_add(size)?)?;
    let uids = if (version >> 4) & 1 == 1 { 32 } else { 16 };
    let file = body.get(uids + 1..)?;
    match kind {
        0xF01E => Some(("png", file.to_vec())),
        0xF01D | 0xF02A => Some(("jpg", file.to_vec())),
        0xF029 => Some(("tiff", file.to_vec())),
        0xF01F => bmp_of_dib(file).map(|bmp| ("bmp", bmp)),
        _ => None,
    }
}

/// A device-independent bitmap (header, palette, pixels) as a BMP file:
/// the 14-byte file header that says where the pixels start.
fn bmp_of_dib(dib: &[u8]) -> Option<Vec<u8>> {
    let header = u32_at(dib, 0)? as usize;
    let bits = u16_at(dib, 14)?;
    let compression = u32_at(dib, 16).unwrap_or(0);
    let used = u32_at(dib, 32).unwrap_or(0) as usize;
    let palette = match (used, bits) {
        (0, 1 | 4 | 8) => 1usize << bits,
        (n, _) => n,
    };
    // BI_BITFIELDS in a 40-byte header: three colour masks follow it.
    let masks = if compression == 3 && header == 40 { 12 } else { 0 };
    let pixels = 14 + header + masks + palette * 4;
    let total = u32::try_from(14 + dib.len()).ok()?;
    let mut bmp = Vec::with_capacity(14 + dib.len());
    bmp.extend_from_slice(b"BM");
    bmp.extend_from_slice(&total.to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&u32::try_from(pixels).ok()?.to_le_bytes());
    bmp.extend_from_slice(dib);
    Some(bmp)
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dib_becomes_a_bmp_whose_pixels_start_after_the_palette() {
        let mut dib = vec![0u8; 40 + 2 * 4 + 8];
        dib[0..4].copy_from_slice(&40u32.to_le_bytes());
        dib[14..16].copy_from_slice(&1u16.to_le_bytes());
        let bmp = bmp_of_dib(&dib).unwrap();
        assert_eq!(&bmp[..2], b"BM");
        assert_eq!(u32::from_le_bytes(bmp[2..6].try_into().unwrap()) as usize, bmp.len());
        assert_eq!(u32::from_le_bytes(bmp[10..14].try_into().unwrap()), 14 + 40 + 8);
        assert_eq!(bmp_of_dib(&dib[..10]), None);
    }

    #[test]
    fn a_shape_names_its_picture_by_the_blip_flagged_property() {
        let properties = [0x007Fu16.to_le_bytes().as_slice(), &5u32.to_le_bytes(), &0x4104u16.to_le_bytes(), &3u32.to_le_bytes()].concat();
        assert_eq!(picture_index(&properties, 2), Some(3));
        assert_eq!(picture_index(&properties, 1), None);
        assert_eq!(picture_index(&properties[..8], 2), None);
    }
}
