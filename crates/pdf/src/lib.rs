//! fileconv's PDF formats.
//!
//! - Write: a [`fileconv_core::Document`] laid out on pages (fonts
//!   measured and embedded as subsets by krilla, lines broken, pages
//!   filled, tables continued with their headers, links, outline), and
//!   images as pages (one per frame).
//! - Read: text in reading order with lopdf, page by page (see [`read`]);
//!   pages as images with hayro (see [`render`]).
//!
//! - Documents as page images: the `pages` adapter (see [`pages`]) draws
//!   them as PDF pages and renders those.
//!
//! Spreadsheets reach PDF through the document crate's table-to-document adapter.

mod fonts;
mod formats;
mod pages;
pub mod read;
pub mod render;
pub mod write;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
