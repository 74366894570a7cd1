//! Office Open XML workbook with macros: read like xlsx (the macros are not run or kept).

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

use super::READ_WORKBOOK;

const ID: &str = "xlsm";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Excel macro-enabled workbook",
        mime: "application/vnd.ms-excel.sheet.macroEnabled.12",
        category: Category::Spreadsheet,
        // The content type says so even when there is no macro (LibreOffice's xlsm).
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::zip_has_entry(b, "xl/workbook.xml") && fileconv_zip::entry_contains(b, "[Content_Types].xml", b"sheet.macroEnabled.main+xml")),
    }
}
inventory::submit! { Decoder { format: ID, name: "spreadsheetml", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::read::xlsx::decode(input, ctx, ID)
}
