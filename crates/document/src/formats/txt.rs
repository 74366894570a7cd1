//! Plain text, UTF-8.

use fileconv_core::{Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ, WRITE};

inventory::submit! {
    FormatInfo { id: "txt", aliases: &["text"], name: "Plain text", mime: "text/plain", category: Category::Document, container: None, sniff: None }
}
inventory::submit! { Decoder { format: "txt", name: "txt", output: ValueKind::Document, cost: READ, options: &[], decode: crate::read::txt::decode } }
inventory::submit! { Encoder { format: "txt", name: "txt", input: ValueKind::Document, cost: WRITE, lossy: true, options: &[], encode: crate::write::txt::encode } }
