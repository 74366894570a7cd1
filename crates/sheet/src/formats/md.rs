//! Markdown written straight from tables (GFM pipe tables); the format is
//! registered by the document crate.

use fileconv_core::{Encoder, ValueKind};

use super::{MANY_SHEETS_TEXT, WRITE};

inventory::submit! { Encoder { format: "md", name: "md-table", input: ValueKind::Table, cost: WRITE, lossy: false, options: MANY_SHEETS_TEXT, encode: crate::write::md::encode } }
