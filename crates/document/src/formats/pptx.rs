//! PowerPoint presentation (read: one section per slide).

use fileconv_core::{sniff, Category, Decoder, FormatInfo, ValueKind};

use super::READ;

inventory::submit! {
    FormatInfo {
        id: "pptx",
        aliases: &[],
        name: "PowerPoint presentation",
        mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        category: Category::Presentation,
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::zip_has_entry(b, "ppt/presentation.xml")),
    }
}
inventory::submit! { Decoder { format: "pptx", name: "presentationml", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::pptx::decode } }
