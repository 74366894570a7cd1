//! The `pages` adapter: a document drawn on pages by the PDF writer (its
//! flowing layout, or slides at their own size) and rendered as images by
//! hayro, so every document becomes page images (`page`, `dpi`): a slide
//! deck's thumbnails, a report's first page.

use fileconv_core::{Adapter, Context, Input, OptionSpec, Result, Value, ValueKind};

use crate::render::{DPI, PAGE};
use crate::write::{MARGIN, ORIENTATION, PAGE_SIZE};

const PAGE_OPTIONS: &[OptionSpec] = &[PAGE, DPI, PAGE_SIZE, ORIENTATION, MARGIN, fileconv_core::document::fixed::NOTES];

inventory::submit! {
    // Dearer than reading a PDF's pages directly (hayro), so PDFs keep that path.
    Adapter { name: "pages", from: ValueKind::Document, to: ValueKind::Raster, cost: 60, lossy: true, options: PAGE_OPTIONS, adapt }
}

/// # Errors
/// As [`crate::write::encode_document`] and [`crate::render::decode`]: bad
/// page options, a page past the end, the drawing and pixel limits.
fn adapt(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let mut pdf = Vec::new();
    crate::write::encode_document(value, &mut pdf, ctx)?;
    crate::render::decode(Input::from_bytes(&pdf), ctx)
}
