//! Word 97-2003 document (read).

use fileconv_core::{sniff, Category, Decoder, FormatInfo, ValueKind};

use super::READ;

inventory::submit! {
    FormatInfo {
        id: "doc",
        aliases: &["dot"],
        name: "Word 97-2003 document",
        mime: "application/msword",
        category: Category::Document,
        container: None,
        sniff: Some(|b| sniff::compound_file_stream(b, b"worddocument", false)),
    }
}
inventory::submit! { Decoder { format: "doc", name: "doc", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::doc::decode } }
