//! EPUB e-book.

use fileconv_core::{sniff, Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ, WRITE};

inventory::submit! {
    FormatInfo {
        id: "epub",
        aliases: &[],
        name: "EPUB e-book",
        mime: "application/epub+zip",
        category: Category::Document,
        // The same first entry as OpenDocument files: `mimetype`, stored.
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::opendocument(b, "application/epub+zip")),
    }
}
inventory::submit! { Decoder { format: "epub", name: "epub", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::epub::decode } }
inventory::submit! { Encoder { format: "epub", name: "epub", input: ValueKind::Document, cost: WRITE, lossy: false, options: &[], encode: crate::write::epub::encode } }
