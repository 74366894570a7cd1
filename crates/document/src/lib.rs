//! fileconv's document formats. A document is a [`fileconv_core::Document`]
//! tree, read whole (its depth bounded by [`fileconv_core::document::MAX_DEPTH`]).
//! Dependencies: pulldown-cmark (Markdown), html5ever (its WHATWG tokenizer only).
//!
//! | format | read | write |
//! |---|---|---|
//! | txt | paragraphs by blank lines, form feeds as page breaks | plain text, tables in aligned columns |
//! | md | pulldown-cmark: CommonMark with GFM tables and strikethrough | CommonMark with GFM tables |
//! | html | html5ever's tokenizer, our own tree builder (no DOM, bounded nesting) | standalone HTML5 |
//!
//! The `table-document` adapter turns a spreadsheet into a document (a
//! heading and a table per sheet).

mod formats;
mod from_table;
mod read;
mod write;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
