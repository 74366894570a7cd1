//! OpenDocument spreadsheet.

use fileconv_core::{sniff, Category, Decoder, Encoder, FormatInfo, ValueKind};

use super::{READ_WORKBOOK, WORKBOOK, WRITE};

const ID: &str = "ods";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "OpenDocument spreadsheet",
        mime: "application/vnd.oasis.opendocument.spreadsheet",
        category: Category::Spreadsheet,
        container: Some(fileconv_core::Container::Zip), sniff: Some(|b| sniff::opendocument(b, "application/vnd.oasis.opendocument.spreadsheet")),
    }
}
inventory::submit! { Decoder { format: ID, name: "ods", output: ValueKind::Table, cost: READ_WORKBOOK, options: &[], decode: crate::read::ods::decode } }
inventory::submit! { Encoder { format: ID, name: "ods", input: ValueKind::Table, cost: WRITE, lossy: false, options: WORKBOOK, encode: crate::write::ods::encode } }
