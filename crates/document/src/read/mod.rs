//! Readers: each builds a whole [`fileconv_core::Document`].

mod compound;
pub mod doc;
pub mod docx;
pub mod epub;
pub mod html;
pub mod md;
pub mod odt;
pub mod ppt;
pub mod pptx;
pub mod rtf;
pub mod txt;

use std::borrow::Cow;

use fileconv_core::document::flow::Kind;
use fileconv_core::{Context, Input, Result};

/// The input as text, as [`fileconv_core::text::decode`] reads it.
///
/// # Errors
/// [`fileconv_core::Error::InvalidInput`] when the bytes are empty or binary.
pub fn text<'a>(input: &Input<'a>, format: &str, ctx: &Context<'_>) -> Result<Cow<'a, str>> {
    fileconv_core::text::decode(input.bytes, format, ctx)
}

/// What a paragraph style's name (any case) says its paragraphs are: the
/// names Word, LibreOffice and pandoc give headings, title, author, code,
/// quotes and rules. `None` for other names (follow the style's parent).
pub fn style_name_kind(name: &str) -> Option<Kind> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(level) = name.strip_prefix("heading ").and_then(|l| l.trim().parse::<u8>().ok()) {
        return Some(Kind::Heading(level.clamp(1, 6)));
    }
    Some(match name.as_str() {
        "title" => Kind::Title,
        "author" => Kind::Author,
        "preformatted text" | "source code" | "source text" | "html preformatted" | "code" => Kind::Code,
        "quotations" | "quote" | "intense quote" | "block text" | "block quotation" => Kind::Quote,
        "horizontal line" => Kind::Rule,
        _ => return None,
    })
}
