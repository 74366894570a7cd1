//! HTML written straight from tables (one table per sheet); the format is
//! registered by the document crate.

use fileconv_core::{Encoder, ValueKind};

use super::{MANY_SHEETS_TEXT, WRITE};

inventory::submit! { Encoder { format: "html", name: "html-table", input: ValueKind::Table, cost: WRITE, lossy: false, options: MANY_SHEETS_TEXT, encode: crate::write::html::encode } }
