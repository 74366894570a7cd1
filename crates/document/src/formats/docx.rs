//! Word document (Office Open XML).

use fileconv_core::{sniff, Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ, WRITE};

inventory::submit! {
    FormatInfo {
        id: "docx",
        aliases: &[],
        name: "Word document",
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        category: Category::Document,
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::zip_has_entry(b, "word/document.xml")),
    }
}
inventory::submit! { Decoder { format: "docx", name: "wordprocessingml", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::docx::decode } }
inventory::submit! { Encoder { format: "docx", name: "docx", input: ValueKind::Document, cost: WRITE, lossy: false, options: &[], encode: crate::write::docx::encode } }
