//! Excel 97-2003 workbook (BIFF8 in a compound file; BIFF5 too), and the
//! bare BIFF2-4 worksheets of Excel 2.x to 4.0 that share its extension.

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

use super::READ_WORKBOOK;
use crate::read::biff_legacy;
use crate::read::excel::{self, Kind};

const ID: &str = "xls";

/// The compound file signature, shared with .doc and .ppt: told apart by the
/// stream names in the directory, which sit in the first few sectors.
const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A directory entry named `Workbook` or `Book` (UTF-16, any case: compound
/// file names compare without case, and some writers use `WORKBOOK`).
fn workbook_stream_name(b: &[u8]) -> bool {
    let head = &b[..b.len().min(1 << 20)];
    let named = |name: &[u8], terminated: bool| {
        let len = name.len() * 2 + if terminated { 2 } else { 0 };
        head.windows(len).any(|w| {
            w.chunks_exact(2).zip(name.iter().chain(terminated.then_some(&0u8))).all(|(pair, c)| pair[1] == 0 && pair[0].to_ascii_lowercase() == *c)
        })
    };
    named(b"workbook", false) || named(b"book", true)
}

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Excel 97-2003 workbook",
        mime: "application/vnd.ms-excel",
        category: Category::Spreadsheet,
        container: None, sniff: Some(|b| (sniff::starts_with(b, CFB) && workbook_stream_name(b)) || biff_legacy::is_legacy_biff(b)),
    }
}
inventory::submit! { Decoder { format: ID, name: "calamine", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    if biff_legacy::is_legacy_biff(input.bytes) {
        return biff_legacy::decode(input.bytes, ctx);
    }
    excel::decode(input, ctx, ID, Kind::Xls)
}
