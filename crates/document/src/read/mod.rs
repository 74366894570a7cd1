//! Readers: each builds a whole [`fileconv_core::Document`].

pub mod docx;
pub mod epub;
pub mod html;
pub mod md;
pub mod odt;
pub mod pptx;
pub mod rtf;
pub mod txt;

use std::borrow::Cow;

use fileconv_core::{Context, Error, Input, Result};

/// The input as text: UTF-8 (a BOM skipped), else the character set the
/// file declares in its first kilobyte (`charset=`, `encoding=`), else
/// Windows-1252, as browsers read legacy pages; a note says which.
///
/// # Errors
/// [`Error::InvalidInput`] when the bytes are empty or binary (NUL bytes, or
/// control characters in text that is not UTF-8).
pub fn text<'a>(input: &Input<'a>, format: &str, ctx: &Context<'_>) -> Result<Cow<'a, str>> {
    let bytes = input.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input.bytes);
    if input.bytes.is_empty() {
        return Err(Error::invalid_input(format, "the file is empty"));
    }
    if bytes.contains(&0) {
        return Err(Error::invalid_input(format, "binary data, not text (NUL bytes)"));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let declared = declared_charset(&bytes[..bytes.len().min(1024)]).and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    let encoding = declared.filter(|e| *e != encoding_rs::UTF_8).unwrap_or(encoding_rs::WINDOWS_1252);
    // Text has no control characters but layout ones, and, read as
    // Windows-1252, none of the five bytes it leaves undefined.
    let binary = bytes.iter().any(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)) || *b == 0x7F)
        || (encoding == encoding_rs::WINDOWS_1252 && bytes.iter().any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)));
    if binary {
        return Err(Error::invalid_input(format, "not text: neither UTF-8 nor a legacy character set"));
    }
    let (text, _, _) = encoding.decode(bytes);
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
