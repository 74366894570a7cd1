//! Windows code page numbers, as legacy formats name their 8-bit character
//! sets (RTF's `\ansicpg` and `\cpg`, Excel's CODEPAGE record).

use encoding_rs::Encoding;

/// The encoding of Windows code page `page`, `None` for one encoding_rs
/// does not have (the DOS code pages 437 and 850, among others).
pub fn encoding(page: u32) -> Option<&'static Encoding> {
    Some(match page {
        932 => encoding_rs::SHIFT_JIS,
        936 => encoding_rs::GBK,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        874 => encoding_rs::WINDOWS_874,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1252 => encoding_rs::WINDOWS_1252,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        1257 => encoding_rs::WINDOWS_1257,
        1258 => encoding_rs::WINDOWS_1258,
        866 => encoding_rs::IBM866,
        10000 => encoding_rs::MACINTOSH,
        10001 => encoding_rs::SHIFT_JIS,
        10002 => encoding_rs::BIG5,
        10003 => encoding_rs::EUC_KR,
        10007 => encoding_rs::X_MAC_CYRILLIC,
        10008 => encoding_rs::GBK,
        20932 | 51932 => encoding_rs::EUC_JP,
        50220 | 50221 | 50222 => encoding_rs::ISO_2022_JP,
        54936 => encoding_rs::GB18030,
        65001 => encoding_rs::UTF_8,
        _ => return None,
    })
}
