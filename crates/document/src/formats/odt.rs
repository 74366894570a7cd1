//! OpenDocument text.

use fileconv_core::{sniff, Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ, WRITE};

inventory::submit! {
    FormatInfo {
        id: "odt",
        aliases: &[],
        name: "OpenDocument text",
        mime: "application/vnd.oasis.opendocument.text",
        category: Category::Document,
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::opendocument(b, "application/vnd.oasis.opendocument.text")),
    }
}
inventory::submit! { Decoder { format: "odt", name: "opendocument", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::odt::decode } }
inventory::submit! { Encoder { format: "odt", name: "odt", input: ValueKind::Document, cost: WRITE, lossy: false, options: &[], encode: crate::write::odt::encode } }
