//! Markdown: CommonMark with GFM tables and strikethrough.

use fileconv_core::{Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ, WRITE};

inventory::submit! {
    FormatInfo { id: "md", aliases: &["markdown"], name: "Markdown", mime: "text/markdown", category: Category::Document, container: None, sniff: None }
}
inventory::submit! { Decoder { format: "md", name: "pulldown-cmark", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::md::decode } }
inventory::submit! { Encoder { format: "md", name: "md", input: ValueKind::Document, cost: WRITE, lossy: false, options: &[], encode: crate::write::md::encode } }
