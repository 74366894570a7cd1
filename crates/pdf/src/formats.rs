//! PDF's registration: a reader to documents, writers from documents and images.

use fileconv_core::{sniff, Category, Decoder, Encoder, FormatInfo, ValueKind};

use crate::write::{DOCUMENT_OPTIONS, IMAGE_OPTIONS};

inventory::submit! {
    FormatInfo { id: "pdf", aliases: &[], name: "PDF document", mime: "application/pdf", category: Category::Document, container: None, sniff: Some(|b| sniff::contains_early(b, b"%PDF-", 1024)) }
}
inventory::submit! { Decoder { format: "pdf", name: "lopdf", output: ValueKind::Document, cost: 20, options: &[], decode: crate::read::decode } }
inventory::submit! { Decoder { format: "pdf", name: "hayro", output: ValueKind::Raster, cost: 40, options: crate::render::RENDER_OPTIONS, decode: crate::render::decode } }
inventory::submit! { Encoder { format: "pdf", name: "krilla", input: ValueKind::Document, cost: 20, lossy: false, options: DOCUMENT_OPTIONS, encode: crate::write::encode_document } }
inventory::submit! { Encoder { format: "pdf", name: "krilla-images", input: ValueKind::Raster, cost: 20, lossy: false, options: IMAGE_OPTIONS, encode: crate::write::encode_raster } }
