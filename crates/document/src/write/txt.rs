//! Plain text: headings, paragraphs, `-` and `1.` lists indented by level,
//! tables in space-aligned columns, code indented, quotes with `> `, a form
//! feed for a page break; the title and author first, as the other writers
//! show them. Styles are dropped (the target is lossy).

use std::io::{BufWriter, Write};

use fileconv_core::{plain_text, Block, Context, Result, Value};

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let doc = value.into_document(ctx)?;
    let mut text = String::with_capacity(64 << 10);
    for meta in [&doc.title, &doc.author].into_iter().flatten() {
        line(&mut text, "", meta);
        text.push('\n');
    }
    blocks(&mut text, &doc.blocks, "");
    let pictures = doc.pictures().len();
    if pictures > 0 {
        ctx.note(format!("{pictures} picture(s) left out: plain text holds no pictures"));
    }
    let mut out = BufWriter::new(out);
    out.write_all(text.trim_end().as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn line(text: &mut String, indent: &str, content: &str) {
    for l in content.split('\n') {
        text.push_str(indent);
        text.push_str(l);
        text.push('\n');
    }
}

fn blocks(text: &mut String, list: &[Block], indent: &str) {
    for (i, block) in list.iter().enumerate() {
        if i > 0 && !matches!(block, Block::PageBreak) {
            text.push('\n');
        }
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => line(text, indent, &plain_text(content)),
            Block::List { numbering, start, items } => {
                for (n, item) in items.iter().enumerate() {
                    let marker = numbering.label(start.saturating_add(n as u64)).map_or_else(|| "- ".to_string(), |label| format!("{label}. "));
                    let mut inner = String::new();
                    blocks(&mut inner, item, "");
                    let pad = " ".repeat(marker.len());
                    for (k, l) in inner.trim_end().split('\n').enumerate() {
                        text.push_str(indent);
                        text.push_str(if k == 0 { &marker } else { &pad });
                        text.push_str(l);
                        text.push('\n');
                    }
                }
            }
            Block::Table(table) => {
                let cells: Vec<Vec<String>> =
                    table.rows.iter().map(|row| row.iter().map(|c| plain_text(c).replace('\n', " ")).collect()).collect();
                let width = cells.iter().map(Vec::len).max().unwrap_or(0);
                let widths: Vec<usize> =
                    (0..width).map(|c| cells.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
                for row in &cells {
                    let mut l = String::new();
                    for (c, w) in widths.iter().enumerate() {
                        let cell = row.get(c).map_or("", String::as_str);
                        l.push_str(cell);
                        if c + 1 < width {
                            l.push_str(&" ".repeat(w - cell.chars().count() + 2));
                        }
                    }
                    line(text, indent, l.trim_end());
                }
            }
            Block::Image(image) => line(text, indent, &format!("[{}]", picture_label(image))),
            Block::CodeBlock { text: code, .. } => line(text, &format!("{indent}    "), code.trim_end_matches('\n')),
            Block::Quote(inner) => {
                let mut quoted = String::new();
                blocks(&mut quoted, inner, "");
                line(text, &format!("{indent}> "), quoted.trim_end());
            }
            Block::Rule => line(text, indent, "----"),
            Block::PageBreak => text.push('\x0c'),
        }
    }
}

/// What stands in a picture's place: its description, else where it points
/// (not a `data:` URI, which is the picture itself).
fn picture_label(image: &fileconv_core::Image) -> &str {
    match (image.alt.as_str(), image.src.as_str()) {
        ("", src) if src.starts_with("data:") => "picture",
        ("", src) => src,
        (alt, _) => alt,
    }
}
