//! Markdown: CommonMark with GFM tables, escaped so that every character of
//! the text reads back as text. Underline has no Markdown form and becomes
//! `<u>`; page breaks a `<div>` Markdown readers pass through. Title and
//! author go in YAML front matter, as pandoc writes them.

use std::io::{BufWriter, Write};

use fileconv_core::{Block, Context, Inline, Result, Value};

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let doc = value.into_document(ctx)?;
    let mut md = String::with_capacity(64 << 10);
    if doc.title.is_some() || doc.author.is_some() {
        md.push_str("---\n");
        for (key, value) in [("title", &doc.title), ("author", &doc.author)] {
            if let Some(value) = value {
                md.push_str(&format!("{key}: \"{}\"\n", value.replace('\\', "\\\\").replace('"', "\\\"")));
            }
        }
        md.push_str("---\n\n");
    }
    blocks(&mut md, &doc.blocks, "");
    // A picture given as a `data:` URI is written in full; the others by name only.
    let pictures: Vec<_> = doc.pictures().into_iter().filter(|p| !p.src.starts_with("data:")).collect();
    if !pictures.is_empty() {
        let names: Vec<&str> = pictures.iter().map(|p| p.src.as_str()).take(5).collect();
        ctx.note(format!(
            "{} picture(s) are referred to by name ({}{}) but not written: Markdown holds no pictures (HTML, DOCX, ODT, EPUB and PDF keep them)",
            pictures.len(),
            names.join(", "),
            if pictures.len() > names.len() { ", ..." } else { "" }
        ));
    }
    let mut out = BufWriter::new(out);
    out.write_all(md.trim_end().as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Writes `list`, each line after the first of a block prefixed by `indent`
/// (list item continuation, `> ` for quotes).
fn blocks(md: &mut String, list: &[Block], indent: &str) {
    for (i, block) in list.iter().enumerate() {
        if i > 0 {
            md.push_str(indent.trim_end());
            md.push('\n');
            md.push_str(indent);
        }
        match block {
            Block::Heading { level, content } => {
                md.push_str(&"#".repeat(usize::from((*level).clamp(1, 6))));
                md.push(' ');
                md.push_str(&inlines(content).replace('\n', " "));
                md.push('\n');
            }
            Block::Paragraph(content) => {
                // Leading spaces mean nothing in a paragraph, and four would make it code.
                let text = inlines(content);
                let lines: Vec<String> = text.split('\n').map(|l| line_start(l.trim_start())).collect();
                md.push_str(&lines.join(&format!("\\\n{indent}")));
                md.push('\n');
            }
            Block::List { numbering, start, items } => {
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        md.push_str(indent);
                    }
                    // CommonMark numbers lists only with digits.
                    let marker = if numbering.is_ordered() { format!("{}. ", start.saturating_add(n as u64)) } else { "- ".to_string() };
                    md.push_str(&marker);
                    let inner = format!("{indent}{}", " ".repeat(marker.len()));
                    if item.is_empty() {
                        md.push('\n');
                    }
                    blocks(md, item, &inner);
                }
            }
            Block::Table(table) => {
                let width = table.rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
                let cell = |c: Option<&Vec<Inline>>| c.map(|c| table_cell(&inlines(c))).unwrap_or_default();
                let mut rows = table.rows.iter();
                let header: Vec<String> = match (table.header_rows > 0).then(|| rows.next()).flatten() {
                    Some(row) => (0..width).map(|c| cell(row.get(c))).collect(),
                    None => vec![String::new(); width],
                };
                md.push_str(&format!("| {} |\n", header.join(" | ")));
                md.push_str(indent);
                md.push_str(&format!("|{}\n", " --- |".repeat(width)));
                for row in rows {
                    md.push_str(indent);
                    md.push_str(&format!("| {} |\n", (0..width).map(|c| cell(row.get(c))).collect::<Vec<_>>().join(" | ")));
                }
            }
            Block::Image(image) => {
                md.push_str(&format!("![{}]({})\n", escape(&image.alt), destination(&image.src)));
            }
            Block::CodeBlock { language, text } => {
                let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                md.push_str(&format!("{fence}{}\n", language.as_deref().unwrap_or("")));
                for line in text.trim_end_matches('\n').split('\n') {
                    md.push_str(indent);
                    md.push_str(line);
                    md.push('\n');
                }
                md.push_str(indent);
                md.push_str(&fence);
                md.push('\n');
            }
            Block::Quote(inner) => {
                let inner_indent = format!("{indent}> ");
                md.push_str("> ");
                blocks(md, inner, &inner_indent);
            }
            Block::Rule => md.push_str("---\n"),
            Block::PageBreak => md.push_str("<div style=\"page-break-after: always\"></div>\n"),
        }
    }
}

/// A cell's Markdown for a pipe table: pipes not yet escaped (in code
/// spans) escaped, line breaks as `<br>`.
fn table_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = ' ';
    for c in text.chars() {
        match c {
            '|' if previous != '\\' => out.push_str("\\|"),
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
        previous = c;
    }
    out
}

fn destination(url: &str) -> String {
    if url.contains([' ', '(', ')', '<', '>']) { format!("<{}>", url.replace(['<', '>'], "")) } else { url.to_string() }
}

/// Whether two runs are written with the same markup.
fn same_markup(a: &fileconv_core::Run, b: &fileconv_core::Run) -> bool {
    (a.code, a.bold, a.italic, a.strike, a.underline, &a.link) == (b.code, b.bold, b.italic, b.strike, b.underline, &b.link)
}

/// Adjacent code runs of the same emphasis and link as one (written apart
/// they would touch, `` `a``b` ``, which CommonMark reads as other
/// markup), and no line break at either end (a stray backslash). The
/// list itself when it has neither, as nearly every block does.
fn merge_code_runs(list: &[Inline]) -> std::borrow::Cow<'_, [Inline]> {
    let start = list.iter().take_while(|i| matches!(i, Inline::Break)).count();
    let end = list.len() - list[start..].iter().rev().take_while(|i| matches!(i, Inline::Break)).count();
    let list = &list[start..end];
    let touching = list.windows(2).any(|pair| matches!(pair, [Inline::Text(a), Inline::Text(b)] if b.code && same_markup(a, b)));
    if !touching {
        return std::borrow::Cow::Borrowed(list);
    }
    let mut merged: Vec<Inline> = Vec::with_capacity(list.len());
    for inline in list {
        if let (Some(Inline::Text(last)), Inline::Text(run)) = (merged.last_mut(), inline) {
            if run.code && same_markup(last, run) {
                last.text.push_str(&run.text);
                continue;
            }
        }
        merged.push(inline.clone());
    }
    std::borrow::Cow::Owned(merged)
}

fn inlines(list: &[Inline]) -> String {
    let mut out = String::new();
    for inline in merge_code_runs(list).iter() {
        match inline {
            Inline::Text(run) if run.text.is_empty() => {}
            Inline::Text(run) => {
                let mut text = if run.code {
                    let ticks = "`".repeat(run.text.split(|c| c != '`').map(str::len).max().unwrap_or(0) + 1);
                    let pad = if run.text.starts_with('`') || run.text.ends_with('`') { " " } else { "" };
                    format!("{ticks}{pad}{}{pad}{ticks}", run.text)
                } else {
                    escape(&run.text)
                };
                // Emphasis markers must touch non-space text: keep edge spaces outside.
                let (lead, body, trail) = split_spaces(&text);
                if run.bold || run.italic || run.strike || run.underline {
                    let mut wrapped = body.to_string();
                    if run.underline {
                        wrapped = format!("<u>{wrapped}</u>");
                    }
                    if run.strike {
                        wrapped = format!("~~{wrapped}~~");
                    }
                    if run.italic {
                        wrapped = format!("*{wrapped}*");
                    }
                    if run.bold {
                        wrapped = format!("**{wrapped}**");
                    }
                    text = if body.is_empty() { format!("{lead}{trail}") } else { format!("{lead}{wrapped}{trail}") };
                }
                match &run.link {
                    Some(url) => out.push_str(&format!("[{text}]({})", destination(url))),
                    None => out.push_str(&text),
                }
            }
            Inline::Break => out.push('\n'),
            Inline::Image(image) => out.push_str(&format!("![{}]({})", escape(&image.alt), destination(&image.src))),
        }
    }
    out
}

fn split_spaces(text: &str) -> (&str, &str, &str) {
    let body_start = text.len() - text.trim_start().len();
    let body_end = text.trim_end().len().max(body_start);
    (&text[..body_start], &text[body_start..body_end], &text[body_end..])
}

/// Escapes what CommonMark would read as markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes what would start a heading, list or setext underline at the
/// start of a paragraph line.
fn line_start(line: &str) -> String {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    match line.as_bytes().first() {
        Some(b'#' | b'+' | b'-' | b'=') => format!("\\{line}"),
        Some(_) if digits > 0 && matches!(line.as_bytes().get(digits), Some(b'.' | b')')) => {
            format!("{}\\{}", &line[..digits], &line[digits..])
        }
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(escape("a *b* [c] <d> | e_f"), "a \\*b\\* \\[c\\] \\<d\\> \\| e\\_f");
        assert_eq!(line_start("# not a heading"), "\\# not a heading");
        assert_eq!(line_start("1. not a list"), "1\\. not a list");
        assert_eq!(line_start("- not an item"), "\\- not an item");
        assert_eq!(line_start("12 apples"), "12 apples");
        assert_eq!(escape("AT&T"), "AT&amp;T");
    }
}
