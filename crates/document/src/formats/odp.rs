//! OpenDocument presentation (read: one section per slide).

use fileconv_core::{sniff, Category, Decoder, FormatInfo, ValueKind};

use super::READ;

inventory::submit! {
    FormatInfo {
        id: "odp",
        aliases: &[],
        name: "OpenDocument presentation",
        mime: "application/vnd.oasis.opendocument.presentation",
        category: Category::Presentation,
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::opendocument(b, "application/vnd.oasis.opendocument.presentation")),
    }
}
inventory::submit! { Decoder { format: "odp", name: "opendocument", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::odt::decode_presentation } }
