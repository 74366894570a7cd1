//! Excel binary workbook.

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

use super::READ_WORKBOOK;
use crate::read::excel::{self, Kind};

const ID: &str = "xlsb";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Excel binary workbook",
        mime: "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
        category: Category::Spreadsheet,
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::zip_has_entry(b, "xl/workbook.bin")),
    }
}
inventory::submit! { Decoder { format: ID, name: "calamine", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    excel::decode(input, ctx, ID, Kind::Xlsb)
}
