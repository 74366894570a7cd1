//! Tab-separated values.

use std::io::Write;

use fileconv_core::{Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use super::csv::READ_OPTIONS;
use super::{ONE_SHEET_TEXT, READ_TEXT, WRITE};

const ID: &str = "tsv";

inventory::submit! {
    FormatInfo { id: ID, aliases: &["tab"], name: "Tab-separated values", mime: "text/tab-separated-values", category: Category::Spreadsheet, container: None, sniff: None }
}
inventory::submit! { Decoder { format: ID, name: "csv", output: ValueKind::Table, cost: READ_TEXT, options: READ_OPTIONS, decode } }
inventory::submit! { Encoder { format: ID, name: "csv", input: ValueKind::Table, cost: WRITE, lossy: false, options: ONE_SHEET_TEXT, encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::read::csv::decode(input, ctx, ID, Some(b'\t'))
}

fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::write::csv::encode(value, out, ctx, b'\t')
}
