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

use fileconv_core::{Context, Input, Result};

/// The input as text, as [`fileconv_core::text::decode`] reads it.
///
/// # Errors
/// [`fileconv_core::Error::InvalidInput`] when the bytes are empty or binary.
pub fn text<'a>(input: &Input<'a>, format: &str, ctx: &Context<'_>) -> Result<Cow<'a, str>> {
    fileconv_core::text::decode(input.bytes, format, ctx)
}
