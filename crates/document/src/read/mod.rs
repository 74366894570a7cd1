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

use fileconv_core::{Block, Context, Image, Inline, Input, Result};

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

/// Calls `f` on every image of a block list, inline or block, however deep.
pub fn visit_images(blocks: &mut [Block], f: &mut dyn FnMut(&mut Image)) {
    fn inlines(list: &mut [Inline], f: &mut dyn FnMut(&mut Image)) {
        for inline in list {
            if let Inline::Image(image) = inline {
                f(image);
            }
        }
    }
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => inlines(content, f),
            Block::List { items, .. } => items.iter_mut().for_each(|item| visit_images(item, f)),
            Block::Quote(inner) => visit_images(inner, f),
            Block::Table(table) => table.rows.iter_mut().flatten().for_each(|cell| inlines(cell, f)),
            Block::Image(image) => f(image),
            Block::CodeBlock { .. } | Block::Rule | Block::PageBreak => {}
        }
    }
}
