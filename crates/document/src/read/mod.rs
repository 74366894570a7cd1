//! Readers: each builds a whole [`fileconv_core::Document`].

mod chart;
mod compound;
pub mod doc;
pub mod docx;
mod docx_pages;
pub mod epub;
pub mod html;
mod huff_cdic;
mod kf8;
pub mod md;
pub mod mobi;
pub mod odt;
mod odf_pages;
mod office_art;
pub mod ppt;
pub mod pptx;
mod pptx_pages;
mod preset_shapes;
mod run_props;
pub mod rtf;
mod rtf_pages;
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

pub use fileconv_core::document::visit_images;

/// Notes the kinds of a document's content a reader of flowing text does
/// not read (`kinds`: "headers and footers", "comments"...), found holding
/// words in a file of `from`. Nothing when `kinds` is empty.
pub(crate) fn note_unread(ctx: &Context<'_>, kinds: &[&str], from: &str) {
    if !kinds.is_empty() {
        ctx.note(format!("the document's {} are not read from {from}; they were left out", kinds.join(", ")));
    }
}
