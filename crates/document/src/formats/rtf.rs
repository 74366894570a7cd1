//! Rich Text Format (read).

use fileconv_core::{sniff, Category, Decoder, FormatInfo, ValueKind};

use super::READ;

inventory::submit! {
    FormatInfo { id: "rtf", aliases: &[], name: "Rich Text Format", mime: "application/rtf", category: Category::Document, container: None, sniff: Some(|b| sniff::starts_with(b, b"{\\rtf")) }
}
inventory::submit! { Decoder { format: "rtf", name: "rtf", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::rtf::decode } }
