//! PowerPoint 97-2003 presentation (read).

use fileconv_core::{sniff, Category, Decoder, FormatInfo, ValueKind};

use super::READ;

inventory::submit! {
    FormatInfo {
        id: "ppt",
        aliases: &["pps", "pot"],
        name: "PowerPoint 97-2003 presentation",
        mime: "application/vnd.ms-powerpoint",
        category: Category::Presentation,
        container: None,
        sniff: Some(|b| sniff::compound_file_stream(b, b"powerpoint document", false)),
    }
}
inventory::submit! { Decoder { format: "ppt", name: "ppt", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::ppt::decode } }
