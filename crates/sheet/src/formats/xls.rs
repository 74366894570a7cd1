//! Excel 97-2003 workbook (BIFF8 in a compound file; BIFF5 too), and the
//! bare BIFF2-4 worksheets of Excel 2.x to 4.0 that share its extension.

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

use super::READ_WORKBOOK;
use crate::read::biff_legacy;
use crate::read::excel::{self, Kind};

const ID: &str = "xls";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Excel 97-2003 workbook",
        mime: "application/vnd.ms-excel",
        category: Category::Spreadsheet,
        container: None, sniff: Some(|b| is_workbook(b) || biff_legacy::is_legacy_biff(b)),
    }
}
/// A compound file with a `Workbook` (or BIFF5 `Book`) stream. A Word or
/// PowerPoint file with an embedded workbook has one too, and an xls with
/// an embedded document has their streams: a claimed format whose stream
/// is there is taken at its word (`Engine::check_claim`).
fn is_workbook(b: &[u8]) -> bool {
    sniff::compound_file_stream(b, b"workbook", false) || sniff::compound_file_stream(b, b"book", true)
}

inventory::submit! { Decoder { format: ID, name: "calamine", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    if biff_legacy::is_legacy_biff(input.bytes) {
        return biff_legacy::decode(input.bytes, ctx);
    }
    excel::decode(input, ctx, ID, Kind::Xls)
}
