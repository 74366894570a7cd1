//! fileconv's spreadsheet formats. A spreadsheet is a [`fileconv_core::Table`]:
//! sheets whose rows the source pushes to the encoder one at a time, so a
//! conversion holds a row, not a sheet (html and md, which need a sheet's
//! width first, hold one sheet).
//!
//! | format | read | write |
//! |---|---|---|
//! | xlsx, xlsm | own SpreadsheetML reader (memchr scanner, inflating on a second thread) | xlsx: rust_xlsxwriter, constant memory |
//! | xlsb | calamine, cell by cell | no |
//! | xls | calamine, whole (sized by our BIFF scan first) | no |
//! | ods | own streaming reader of content.xml | own writer, streamed |
//! | csv, tsv | csv crate; encoding and delimiter detected | csv crate |
//! | json, html, md | no (documents, later) | own writers |

mod formats;
pub mod options;
pub mod pages;
mod read;
pub mod text;
mod write;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
