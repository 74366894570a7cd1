//! fileconv's document and presentation formats. A document is a
//! [`fileconv_core::Document`] tree, read whole (its depth bounded by
//! [`fileconv_core::document::MAX_DEPTH`]). Word-processor and slide readers
//! build it through [`fileconv_core::document::flow::Flow`]. Zip formats
//! open through fileconv-zip. PDF lives in its own crate (fileconv-pdf).
//!
//! | format | read | write |
//! |---|---|---|
//! | txt | paragraphs by blank lines, form feeds as page breaks | plain text, tables in aligned columns |
//! | md | pulldown-cmark: CommonMark, GFM tables and strikethrough, YAML front matter | CommonMark with GFM tables |
//! | html | html5ever's tokenizer, our own tree builder (no DOM, bounded nesting) | standalone HTML5 (also valid XHTML) |
//! | docx | WordprocessingML: styles, numbering, relationships | Word's built-in styles, numbering, tables, images |
//! | doc | Word 97-2003 (MS-DOC): piece table, styles, lists, tables, bold/italic/strike, hyperlinks, title and author | - |
//! | odt | content.xml: styles, list styles, ODF whitespace | LibreOffice's styles, list styles, tables, pictures |
//! | rtf | own tokenizer: `\uN`, code pages, stylesheet, lists, tables | - |
//! | epub | package and spine, chapters through the HTML reader | EPUB 3, a chapter per level-1 heading |
//! | ppt | PowerPoint 97-2003 (MS-PPT): slide text in presentation order, titles, the title slide as metadata; no bullets or numbers | - |
//! | pptx, odp | a section per slide: title, text, lists, tables, pictures | - |
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
