//! Amazon's HUFF/CDIC text compression (MOBI compression type 17480, from
//! Kindle publishing tools and dictionaries): a Huffman code over the
//! words and phrases of a dictionary. The `HUFF` record holds the code (a
//! 256-entry table indexed by the next 8 bits, and the smallest and largest
//! code of each length); the `CDIC` records after it the phrases. A phrase
//! may itself be compressed, and is unpacked the first time it is used.
//! As the MobileRead wiki and KindleUnpack describe it.
//!
//! Against hostile books: phrase references nest at most [`MAX_DEPTH`]
//! deep (a phrase that contains itself is refused) and a record unpacks to
//! at most [`MAX_OUTPUT`] bytes.

use fileconv_core::{Error, Result};

use super::mobi::{be16, be32};

/// How deep phrases may refer to phrases.
const MAX_DEPTH: usize = 32;
/// What one text record may unpack to (they hold 4,096 bytes).
const MAX_OUTPUT: usize = 64 << 10;

/// A phrase: still compressed, being unpacked (a reference back to it is a
/// loop), or unpacked.
enum Phrase {
    Packed(Vec<u8>),
    Unpacking,
    Plain(Vec<u8>),
}

/// One code-length row of the table indexed by a code's first 8 bits.
#[derive(Clone, Copy, Default)]
struct Lead {
    length: u32,
    terminal: bool,
    max_code: u64,
}

pub struct HuffCdic {
    leads: Vec<Lead>,
    /// The smallest and largest code of each length 0-32, left-aligned in 32 bits.
    min_code: [u64; 33],
    max_code: [u64; 33],
    phrases: Vec<Phrase>,
}

impl HuffCdic {
    /// Reads the `HUFF` record and the `CDIC` records that follow it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming what is broken.
    pub fn new(huff: &[u8], cdics: &[&[u8]], format: &str) -> Result<Self> {
        let broken = |what: &str| Error::invalid_input(format, format!("the HUFF/CDIC dictionary is broken: {what}"));
        if huff.get(..8) != Some(b"HUFF\0\0\0\x18") {
            return Err(broken("no HUFF record"));
        }
        let (leads_at, ranges_at) = (be32(huff, 8).ok_or_else(|| broken("short HUFF record"))? as usize, be32(huff, 12).ok_or_else(|| broken("short HUFF record"))? as usize);
        let mut leads = Vec::with_capacity(256);
        for i in 0..256 {
            let v = be32(huff, leads_at + 4 * i).ok_or_else(|| broken("short code table"))?;
            let (length, terminal) = (v & 0x1f, v & 0x80 != 0);
            if length == 0 || (length <= 8 && !terminal) {
                return Err(broken("a code of impossible length"));
            }
            let max_code = ((u64::from(v >> 8) + 1) << (32 - length)).wrapping_sub(1);
            leads.push(Lead { length, terminal, max_code });
        }
        let (mut min_code, mut max_code) = ([0u64; 33], [0u64; 33]);
        for length in 1..=32usize {
            let low = u64::from(be32(huff, ranges_at + 8 * (length - 1)).ok_or_else(|| broken("short code ranges"))?);
            let high = u64::from(be32(huff, ranges_at + 8 * (length - 1) + 4).ok_or_else(|| broken("short code ranges"))?);
            min_code[length] = low << (32 - length);
            max_code[length] = ((high + 1) << (32 - length)).wrapping_sub(1);
        }
        let mut phrases = Vec::new();
        for cdic in cdics {
            if cdic.get(..8) != Some(b"CDIC\0\0\0\x10") {
                return Err(broken("no CDIC record"));
            }
            let count = be32(cdic, 8).ok_or_else(|| broken("short CDIC record"))? as usize;
            let bits = be32(cdic, 12).ok_or_else(|| broken("short CDIC record"))?;
            let here = count.saturating_sub(phrases.len()).min(1usize << bits.min(16));
            for i in 0..here {
                let at = usize::from(be16(cdic, 16 + 2 * i).ok_or_else(|| broken("short phrase index"))?);
                let length = be16(cdic, 16 + at).ok_or_else(|| broken("a phrase outside its record"))?;
                let bytes = cdic.get(18 + at..18 + at + usize::from(length & 0x7fff)).ok_or_else(|| broken("a phrase outside its record"))?.to_vec();
                phrases.push(if length & 0x8000 != 0 { Phrase::Plain(bytes) } else { Phrase::Packed(bytes) });
            }
        }
        Ok(HuffCdic { leads, min_code, max_code, phrases })
    }

    /// Unpacks one text record into `out`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a code with no phrase, a phrase loop or
    /// nesting deeper than [`MAX_DEPTH`], or more than [`MAX_OUTPUT`] bytes.
    pub fn unpack(&mut self, data: &[u8], out: &mut Vec<u8>, format: &str) -> Result<()> {
        let start = out.len();
        self.unpack_into(data, out, start, 0, format)
    }

    fn unpack_into(&mut self, data: &[u8], out: &mut Vec<u8>, start: usize, depth: usize, format: &str) -> Result<()> {
        let broken = |what: &str| Error::invalid_input(format, format!("a text record's HUFF/CDIC compression is broken: {what}"));
        if depth > MAX_DEPTH {
            return Err(broken("phrases nest too deep"));
        }
        let mut bits_left = data.len() as i64 * 8;
        // The next 64 bits from `pos`, zeros past the end.
        let word = |pos: usize| -> u64 {
            let mut b = [0u8; 8];
            for (i, slot) in b.iter_mut().enumerate() {
                *slot = data.get(pos + i).copied().unwrap_or(0);
            }
            u64::from_be_bytes(b)
        };
        let mut pos = 0;
        let mut x = word(pos);
        let mut n: i64 = 32;
        loop {
            if n <= 0 {
                pos += 4;
                x = word(pos);
                n += 32;
            }
            let code = (x >> n) & 0xffff_ffff;
            let lead = self.leads[(code >> 24) as usize];
            let mut length = lead.length as usize;
            let mut max_code = lead.max_code;
            if !lead.terminal {
                while length < 32 && code < self.min_code[length] {
                    length += 1;
                }
                max_code = self.max_code[length];
            }
            n -= length as i64;
            bits_left -= length as i64;
            if bits_left < 0 {
                return Ok(());
            }
            let index = (max_code.wrapping_sub(code) >> (32 - length)) as usize;
            match self.phrases.get(index) {
                Some(Phrase::Plain(bytes)) => out.extend_from_slice(bytes),
                Some(Phrase::Packed(_)) => {
                    // Marked while it unpacks, so that a phrase naming itself is caught.
                    if let Phrase::Packed(packed) = std::mem::replace(&mut self.phrases[index], Phrase::Unpacking) {
                        let mut plain = Vec::new();
                        self.unpack_into(&packed, &mut plain, 0, depth + 1, format)?;
                        out.extend_from_slice(&plain);
                        self.phrases[index] = Phrase::Plain(plain);
                    }
                }
                Some(Phrase::Unpacking) => return Err(broken("a phrase contains itself")),
                None => return Err(broken("a code names no phrase")),
            }
            if out.len() - start > MAX_OUTPUT {
                return Err(broken("a record unpacks to more than 64 KB"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A code of 8-bit codes where byte `c` names phrase `255 - c`, and a
    /// dictionary of 256 phrases made by `phrase`.
    fn tables(phrase: impl Fn(usize) -> (Vec<u8>, bool)) -> (Vec<u8>, Vec<u8>) {
        let mut huff = b"HUFF\0\0\0\x18".to_vec();
        huff.extend(24u32.to_be_bytes());
        huff.extend((24u32 + 1024).to_be_bytes());
        // The header is 24 bytes long, as its magic says.
        huff.extend([0u8; 8]);
        for _ in 0..256 {
            huff.extend(((255u32 << 8) | 0x80 | 8).to_be_bytes());
        }
        huff.extend([0u8; 256]);
        let mut cdic = b"CDIC\0\0\0\x10".to_vec();
        cdic.extend(256u32.to_be_bytes());
        cdic.extend(8u32.to_be_bytes());
        let mut entries = Vec::new();
        for i in 0..256 {
            cdic.extend(((512 + entries.len()) as u16).to_be_bytes());
            let (bytes, plain) = phrase(i);
            entries.extend((bytes.len() as u16 | if plain { 0x8000 } else { 0 }).to_be_bytes());
            entries.extend(bytes);
        }
        cdic.extend(entries);
        (huff, cdic)
    }

    #[test]
    fn codes_name_phrases_and_packed_phrases_unpack_once() {
        // Phrase 255 - c for byte c; phrase 0 is packed and names phrases 1 and 2.
        let (huff, cdic) = tables(|i| match i {
            0 => (vec![254, 253], false),
            i => (vec![b'a' + (i % 26) as u8], true),
        });
        let mut codec = HuffCdic::new(&huff, &[&cdic], "mobi").unwrap();
        let mut out = Vec::new();
        codec.unpack(&[255 - 1, 255 - 2, 255, 255 - 3], &mut out, "mobi").unwrap();
        assert_eq!(out, b"bcbcd");
        let mut again = Vec::new();
        codec.unpack(&[255], &mut again, "mobi").unwrap();
        assert_eq!(again, b"bc");
    }

    #[test]
    fn loops_depth_and_broken_tables_are_errors() {
        // Phrase 0 names itself.
        let (huff, cdic) = tables(|i| if i == 0 { (vec![255], false) } else { (vec![b'x'], true) });
        let mut codec = HuffCdic::new(&huff, &[&cdic], "mobi").unwrap();
        let error = codec.unpack(&[255], &mut Vec::new(), "mobi").unwrap_err();
        assert!(error.to_string().contains("contains itself"), "{error}");
        // A chain of packed phrases deeper than allowed: phrase i names phrase i + 1.
        let (huff, cdic) = tables(|i| if i < 200 { (vec![255 - (i as u8 + 1)], false) } else { (vec![b'y'], true) });
        let mut codec = HuffCdic::new(&huff, &[&cdic], "mobi").unwrap();
        assert!(codec.unpack(&[255], &mut Vec::new(), "mobi").unwrap_err().to_string().contains("nest too deep"));
        // A phrase that doubles itself through the chain would pass any output cap: capped.
        let (huff, cdic) = tables(|i| if i < 20 { (vec![255 - (i as u8 + 1); 2], false) } else { (vec![b'z'; 100], true) });
        let mut codec = HuffCdic::new(&huff, &[&cdic], "mobi").unwrap();
        assert!(codec.unpack(&[255], &mut Vec::new(), "mobi").unwrap_err().to_string().contains("more than 64 KB"));
        // Truncated tables.
        assert!(HuffCdic::new(&huff[..100], &[&cdic], "mobi").is_err());
        assert!(HuffCdic::new(&huff, &[&cdic[..40]], "mobi").is_err());
        assert!(HuffCdic::new(b"HUFF", &[], "mobi").is_err());
    }
}
