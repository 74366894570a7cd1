//! Plain text: paragraphs separated by blank lines, their line breaks kept;
//! a form feed is a page break.

use fileconv_core::{Block, Context, Document, Inline, Input, Result, Run, Value};

/// # Errors
/// [`fileconv_core::Error::InvalidInput`] for empty, binary or non-UTF-8 input.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let text = super::text(&input, "txt", ctx)?;
    let mut blocks = Vec::new();
    for (page, part) in text.split('\x0c').enumerate() {
        if page > 0 {
            blocks.push(Block::PageBreak);
        }
        let mut lines: Vec<&str> = Vec::new();
        for line in part.lines().chain(std::iter::once("")) {
            if line.trim().is_empty() {
                if !lines.is_empty() {
                    blocks.push(Block::Paragraph(paragraph(&lines)));
                    lines.clear();
                }
            } else {
                lines.push(line.trim_end());
            }
        }
    }
    Ok(Value::Document(Document { blocks, ..Document::default() }))
}

fn paragraph(lines: &[&str]) -> Vec<Inline> {
    let mut inlines = Vec::with_capacity(lines.len() * 2);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            inlines.push(Inline::Break);
        }
        inlines.push(Inline::Text(Run::plain(*line)));
    }
    inlines
}
