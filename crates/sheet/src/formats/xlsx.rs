//! Office Open XML workbook.

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use super::{READ_WORKBOOK, WORKBOOK, WRITE};

const ID: &str = "xlsx";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Excel workbook",
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        category: Category::Spreadsheet,
        // Lenient: an xlsm is a valid xlsx to read (xlsm's own sniffer is strict).
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::zip_has_entry(b, "xl/workbook.xml")),
    }
}
inventory::submit! { Decoder { format: ID, name: "spreadsheetml", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "rust_xlsxwriter", input: ValueKind::Table, cost: WRITE, lossy: false, options: WORKBOOK, encode: crate::write::xlsx::encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::read::xlsx::decode(input, ctx, ID)
}
