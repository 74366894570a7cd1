//! HTML: written as a standalone page.

use fileconv_core::{Category, Encoder, FormatInfo, ValueKind};

use super::WRITE;

inventory::submit! {
    FormatInfo { id: "html", aliases: &["htm"], name: "HTML", mime: "text/html", category: Category::Document, sniff: None }
}
inventory::submit! { Encoder { format: "html", name: "html", input: ValueKind::Document, cost: WRITE, lossy: false, options: &[], encode: crate::write::html::encode } }
