//! Excel 97-2003 workbook (BIFF8 in a compound file; BIFF5 too).

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

use super::READ_WORKBOOK;
use crate::read::excel::{self, Kind};

const ID: &str = "xls";

/// The compound file signature, shared with .doc and .ppt: told apart by the
/// stream names in the directory, which sit in the first few sectors.
const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn workbook_stream_name(b: &[u8]) -> bool {
    const WORKBOOK_UTF16: &[u8] = b"W\0o\0r\0k\0b\0o\0o\0k\0";
    const BOOK_UTF16: &[u8] = b"B\0o\0o\0k\0\0\0";
    sniff::contains_early(b, WORKBOOK_UTF16, 1 << 20) || sniff::contains_early(b, BOOK_UTF16, 1 << 20)
}

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Excel 97-2003 workbook",
        mime: "application/vnd.ms-excel",
        category: Category::Spreadsheet,
        container: None, sniff: Some(|b| sniff::starts_with(b, CFB) && workbook_stream_name(b)),
    }
}
inventory::submit! { Decoder { format: ID, name: "calamine", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    excel::decode(input, ctx, ID, Kind::Xls)
}
