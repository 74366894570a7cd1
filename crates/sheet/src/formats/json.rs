//! JSON: written from tables (objects keyed by the header row).

use fileconv_core::{Category, Encoder, FormatInfo, ValueKind};

use super::{MANY_SHEETS_TEXT, WRITE};

inventory::submit! {
    FormatInfo {
        id: "json",
        aliases: &[],
        name: "JSON",
        mime: "application/json",
        category: Category::Spreadsheet,
        container: None, sniff: None,
    }
}
inventory::submit! { Encoder { format: "json", name: "json", input: ValueKind::Table, cost: WRITE, lossy: false, options: MANY_SHEETS_TEXT, encode: crate::write::json::encode } }
