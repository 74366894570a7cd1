//! Text files of unknown character set: the one reader text formats share
//! (plain text, Markdown, HTML, subtitles); and numbers written for people
//! ([`group_thousands`]).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use crate::{Context, Error, Result};

/// `bytes` as text. A byte-order mark decides (UTF-8, UTF-16LE/BE); else
/// valid UTF-8 is UTF-8; else the character set the file declares in its
/// first kilobyte (`charset=`, `encoding=`); else the legacy character set
/// that fits best, as a browser guesses an unlabelled page (Cyrillic,
/// Central European, Greek, Chinese, Japanese... Windows-1252 when nothing
/// fits better). A note says which legacy set was used.
///
/// # Errors
/// [`Error::InvalidInput`] when the bytes are empty or binary (NUL bytes
/// outside UTF-16, or control characters in text that is not UTF-8).
pub fn decode<'a>(bytes: &'a [u8], format: &str, ctx: &Context<'_>) -> Result<Cow<'a, str>> {
    if bytes.is_empty() {
        return Err(Error::invalid_input(format, "the file is empty"));
    }
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom..];
        if encoding == UTF_8 {
            return utf8_or_legacy(body, format, ctx);
        }
        let (text, malformed) = encoding.decode_without_bom_handling(body);
        if malformed || text.contains('\0') {
            return Err(Error::invalid_input(format, format!("not {} text: it starts with its byte-order mark, then has bytes that are not", encoding.name())));
        }
        return Ok(Cow::Owned(text.into_owned()));
    }
    utf8_or_legacy(bytes, format, ctx)
}

fn utf8_or_legacy<'a>(bytes: &'a [u8], format: &str, ctx: &Context<'_>) -> Result<Cow<'a, str>> {
    if bytes.contains(&0) {
        return Err(Error::invalid_input(format, "binary data, not text (NUL bytes)"));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let declared = declared_charset(&bytes[..bytes.len().min(1024)]).and_then(|label| Encoding::for_label(label.as_bytes()));
    let encoding = match declared.filter(|e| *e != UTF_8) {
        Some(encoding) => encoding,
        None => {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            detector.guess(None, chardetng::Utf8Detection::Deny)
        }
    };
    // Text has no control characters but layout ones, and, read as
    // Windows-1252, none of the five bytes it leaves undefined.
    let binary = bytes.iter().any(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)) || *b == 0x7F)
        || (encoding == WINDOWS_1252 && bytes.iter().any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)));
    let (text, _, malformed) = encoding.decode(bytes);
    if binary || malformed {
        return Err(Error::invalid_input(format, "not text: neither UTF-8 nor a legacy character set"));
    }
    ctx.note(format!("the text is not UTF-8; it was read as {}", encoding.name()));
    Ok(Cow::Owned(text.into_owned()))
}

/// The value of the first `charset=` or `encoding=` in `head`.
fn declared_charset(head: &[u8]) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    ["charset=", "encoding="].iter().find_map(|key| {
        let at = lower.windows(key.len()).position(|w| w == key.as_bytes())? + key.len();
        let value: String = lower[at..]
            .iter()
            .skip_while(|b| **b == b'"' || **b == b'\'')
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
            .map(|b| char::from(*b))
            .collect();
        (!value.is_empty()).then_some(value)
    })
}

/// Digits with a comma between each group of three from the right
/// (`1234567` to `1,234,567`), as spreadsheets and our pages write counts.
pub fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Control, Limits, MemoryBudget, Notes, Options};

    fn read(bytes: &[u8]) -> (Result<String>, Vec<String>) {
        let (options, limits, control, budget, notes) = (Options::new(), Limits::default(), Control::default(), MemoryBudget::new(), Notes::new());
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let text = decode(bytes, "txt", &ctx).map(Cow::into_owned);
        (text, notes.take())
    }

    #[test]
    fn character_sets_are_recognised() {
        assert_eq!(read("naïve".as_bytes()).0.unwrap(), "naïve");
        assert_eq!(read(b"\xEF\xBB\xBFna\xC3\xAFve").0.unwrap(), "naïve");
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("Привет".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(read(&utf16).0.unwrap(), "Привет");
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Привет, как дела? Это проверка кодировки текста.");
        let (text, notes) = read(&cp1251);
        assert_eq!(text.unwrap(), "Привет, как дела? Это проверка кодировки текста.");
        assert!(notes[0].contains("windows-1251"), "{notes:?}");
        assert_eq!(read(b"caf\xE9 cr\xE8me").0.unwrap(), "café crème");
        assert!(read(b"\x01\x02\x03binary\xFF").0.is_err());
        assert!(read(b"").0.is_err());
    }
}
