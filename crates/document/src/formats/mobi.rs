//! Mobipocket (MOBI 6: .mobi, .prc, .azw) and Kindle KF8 (.azw3) e-books,
//! read (see `read/mobi.rs`). Both carry the same Palm database signature;
//! the MOBI header's version tells them apart (8 is KF8).

use fileconv_core::{Category, Decoder, FormatInfo, ValueKind};

use super::READ;
use crate::read::mobi;

inventory::submit! {
    FormatInfo {
        id: "mobi",
        aliases: &["prc", "azw"],
        name: "Mobipocket e-book",
        mime: "application/x-mobipocket-ebook",
        category: Category::Document,
        container: None,
        sniff: Some(|b| mobi::version(b).is_some_and(|v| v < 8)),
    }
}
inventory::submit! {
    FormatInfo {
        id: "azw3",
        aliases: &["kf8"],
        name: "Kindle e-book (KF8)",
        mime: "application/vnd.amazon.mobi8-ebook",
        category: Category::Document,
        container: None,
        sniff: Some(|b| mobi::version(b).is_some_and(|v| v >= 8)),
    }
}
inventory::submit! { Decoder { format: "mobi", name: "mobi", output: ValueKind::Document, cost: READ, options: &[], decode: |input, ctx| mobi::decode(input, ctx, "mobi") } }
inventory::submit! { Decoder { format: "azw3", name: "kf8", output: ValueKind::Document, cost: READ, options: &[], decode: |input, ctx| mobi::decode(input, ctx, "azw3") } }
