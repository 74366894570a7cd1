//! HTML: written from tables (one table per sheet).

use fileconv_core::{Category, Encoder, FormatInfo, ValueKind};

use super::{MANY_SHEETS_TEXT, WRITE};

inventory::submit! {
    FormatInfo {
        id: "html",
        aliases: &["htm"],
        name: "HTML",
        mime: "text/html",
        category: Category::Document,
        sniff: None,
    }
}
inventory::submit! { Encoder { format: "html", name: "html-table", input: ValueKind::Table, cost: WRITE, lossy: false, options: MANY_SHEETS_TEXT, encode: crate::write::html::encode } }
