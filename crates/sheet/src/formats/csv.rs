//! Comma-separated values (any delimiter; detected on input).

use std::io::Write;

use fileconv_core::{Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use super::{ONE_SHEET_TEXT, READ_TEXT, WRITE};
use crate::options::{ENCODING, INPUT_DELIMITER};

const ID: &str = "csv";

/// Options of the delimited-text decoders.
pub const READ_OPTIONS: &[OptionSpec] = &[INPUT_DELIMITER, ENCODING];

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "Comma-separated values", mime: "text/csv", category: Category::Spreadsheet, container: None, sniff: None }
}
inventory::submit! { Decoder { format: ID, name: "csv", output: ValueKind::Table, cost: READ_TEXT, options: READ_OPTIONS, decode } }
inventory::submit! { Encoder { format: ID, name: "csv", input: ValueKind::Table, cost: WRITE, lossy: false, options: ONE_SHEET_TEXT, encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::read::csv::decode(input, ctx, ID, None)
}

fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::write::csv::encode(value, out, ctx, b',')
}
