//! Markdown: written from tables (GFM pipe tables).

use fileconv_core::{Category, Encoder, FormatInfo, ValueKind};

use super::{MANY_SHEETS_TEXT, WRITE};

inventory::submit! {
    FormatInfo {
        id: "md",
        aliases: &["markdown"],
        name: "Markdown",
        mime: "text/markdown",
        category: Category::Document,
        sniff: None,
    }
}
inventory::submit! { Encoder { format: "md", name: "md-table", input: ValueKind::Table, cost: WRITE, lossy: false, options: MANY_SHEETS_TEXT, encode: crate::write::md::encode } }
