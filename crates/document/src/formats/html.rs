//! HTML: read with html5ever's tokenizer, written as a standalone page.

use fileconv_core::{Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ, WRITE};

inventory::submit! {
    FormatInfo { id: "html", aliases: &["htm", "xhtml", "xht"], name: "HTML", mime: "text/html", category: Category::Document, container: None, sniff: None }
}
inventory::submit! { Decoder { format: "html", name: "html5ever", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::html::decode } }
inventory::submit! { Encoder { format: "html", name: "html", input: ValueKind::Document, cost: WRITE, lossy: false, options: &[], encode: crate::write::html::encode } }
