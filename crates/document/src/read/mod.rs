//! Readers: each builds a whole [`fileconv_core::Document`].

pub mod docx;
pub mod epub;
pub mod html;
pub mod md;
pub mod odt;
pub mod pptx;
pub mod rtf;
pub mod txt;

use fileconv_core::{Error, Input, Result};

/// The input as UTF-8 text (a UTF-8 BOM skipped).
///
/// # Errors
/// [`Error::InvalidInput`] when the bytes are empty, not UTF-8, or hold NUL bytes (binary data).
pub fn text<'a>(input: &Input<'a>, format: &str) -> Result<&'a str> {
    let bytes = input.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input.bytes);
    if input.bytes.is_empty() {
        return Err(Error::invalid_input(format, "the file is empty"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Error::invalid_input(format, format!("not UTF-8 text: {e}")))?;
    if text.contains('\0') {
        return Err(Error::invalid_input(format, "binary data, not text (NUL bytes)"));
    }
    Ok(text)
}
