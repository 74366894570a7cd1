//! One file per format: its [`fileconv_core::FormatInfo`] and the decoder
//! and encoder it registers.

mod csv;
mod html;
mod json;
mod md;
mod ods;
mod tsv;
mod xls;
mod xlsb;
mod xlsm;
mod xlsx;

use fileconv_core::OptionSpec;

use crate::options::{DATE_FORMAT, DELIMITER, HEADER, SHEET};

/// Options of the encoders of text targets holding one sheet (csv, tsv).
pub const ONE_SHEET_TEXT: &[OptionSpec] = &[SHEET, DELIMITER, DATE_FORMAT];
/// Options of the encoders of text targets holding several sheets (json, html, md).
pub const MANY_SHEETS_TEXT: &[OptionSpec] = &[SHEET, HEADER, DATE_FORMAT];
/// Options of the workbook encoders (xlsx, ods).
pub const WORKBOOK: &[OptionSpec] = &[SHEET, HEADER];

/// Relative costs: reading a workbook costs more than reading text.
pub const READ_WORKBOOK: u32 = 20;
pub const READ_TEXT: u32 = 10;
pub const WRITE: u32 = 10;
