//! HTML: a standalone, clean page: semantic tags only, one small style sheet.

use std::io::{BufWriter, Write};

use fileconv_core::{escape_markup, Block, Context, Image, Inline, Result, Run, Value};

const STYLE: &str = "body{max-width:48em;margin:2em auto;padding:0 1em;font-family:sans-serif;line-height:1.5}table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.2em .5em}pre{background:#f6f6f6;padding:.5em;overflow:auto}blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1em}";

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let doc = value.into_document(ctx)?;
    let mut html = String::with_capacity(64 << 10);
    html.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&format!("<title>{}</title>\n", escape_markup(&doc.display_title().unwrap_or_default())));
    if let Some(author) = &doc.author {
        html.push_str(&format!("<meta name=\"author\" content=\"{}\">\n", escape_markup(author)));
    }
    html.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    body(&mut html, &doc.blocks, &mut data_uri);
    html.push_str("</body>\n</html>\n");
    let mut out = BufWriter::new(out);
    out.write_all(html.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// An image's `src`: its bytes inline as a `data:` URI when the document
/// holds them (a standalone page needs no side files), else where it points.
fn data_uri(image: &Image) -> String {
    match image.data.as_deref().and_then(|d| fileconv_core::EmbeddedImage::probe(d).map(|i| (d, i))) {
        Some((data, info)) => format!("data:{};base64,{}", info.mime, fileconv_core::io::base64(data)),
        None => image.src.clone(),
    }
}

/// Blocks as HTML that is also well-formed XHTML (void elements closed with
/// ` />`), for pages and EPUB chapters alike; `image_src` says what an
/// image's `src` is.
pub fn body(html: &mut String, list: &[Block], image_src: &mut dyn FnMut(&Image) -> String) {
    for block in list {
        match block {
            Block::Heading { level, content } => {
                let level = (*level).clamp(1, 6);
                html.push_str(&format!("<h{level}>"));
                inlines(html, content, image_src);
                html.push_str(&format!("</h{level}>\n"));
            }
            Block::Paragraph(content) => {
                html.push_str("<p>");
                inlines(html, content, image_src);
                html.push_str("</p>\n");
            }
            Block::List { numbering, start, items } => {
                match numbering.code() {
                    None => html.push_str("<ul>\n"),
                    Some(code) => {
                        html.push_str("<ol");
                        if code != "1" {
                            html.push_str(&format!(" type=\"{code}\""));
                        }
                        if *start != 1 {
                            html.push_str(&format!(" start=\"{start}\""));
                        }
                        html.push_str(">\n");
                    }
                }
                for item in items {
                    html.push_str("<li>");
                    // A lone paragraph reads better without its <p>.
                    match item.as_slice() {
                        [Block::Paragraph(content)] => inlines(html, content, image_src),
                        _ => body(html, item, image_src),
                    }
                    html.push_str("</li>\n");
                }
                html.push_str(if numbering.is_ordered() { "</ol>\n" } else { "</ul>\n" });
            }
            Block::Table(table) => {
                html.push_str("<table>\n");
                for (i, row) in table.rows.iter().enumerate() {
                    let header = i < table.header_rows;
                    if i == 0 && header {
                        html.push_str("<thead>\n");
                    }
                    if i == table.header_rows {
                        html.push_str("<tbody>\n");
                    }
                    html.push_str("<tr>");
                    let tag = if header { "th" } else { "td" };
                    for cell in row {
                        html.push_str(&format!("<{tag}>"));
                        inlines(html, cell, image_src);
                        html.push_str(&format!("</{tag}>"));
                    }
                    html.push_str("</tr>\n");
                    if header && i + 1 == table.header_rows {
                        html.push_str("</thead>\n");
                    }
                }
                if table.rows.len() > table.header_rows {
                    html.push_str("</tbody>\n");
                }
                html.push_str("</table>\n");
            }
            Block::Image(image) => {
                html.push_str("<p>");
                img(html, image, image_src);
                html.push_str("</p>\n");
            }
            Block::CodeBlock { language, text } => {
                match language {
                    Some(lang) => html.push_str(&format!("<pre><code class=\"language-{}\">", escape_markup(lang))),
                    None => html.push_str("<pre><code>"),
                }
                html.push_str(&escape_markup(text));
                html.push_str("</code></pre>\n");
            }
            Block::Quote(inner) => {
                html.push_str("<blockquote>\n");
                body(html, inner, image_src);
                html.push_str("</blockquote>\n");
            }
            Block::Rule => html.push_str("<hr />\n"),
            Block::PageBreak => html.push_str("<div style=\"page-break-after: always\"></div>\n"),
        }
    }
}

fn img(html: &mut String, image: &Image, image_src: &mut dyn FnMut(&Image) -> String) {
    html.push_str(&format!("<img src=\"{}\" alt=\"{}\" />", escape_markup(&image_src(image)), escape_markup(&image.alt)));
}

fn inlines(html: &mut String, list: &[Inline], image_src: &mut dyn FnMut(&Image) -> String) {
    for inline in list {
        match inline {
            Inline::Text(run) => run_html(html, run),
            Inline::Break => html.push_str("<br />\n"),
            Inline::Image(image) => img(html, image, image_src),
        }
    }
}

fn run_html(html: &mut String, run: &Run) {
    let tags: Vec<&str> =
        [(run.bold, "strong"), (run.italic, "em"), (run.underline, "u"), (run.strike, "s"), (run.code, "code")].into_iter().filter(|(on, _)| *on).map(|(_, t)| t).collect();
    if let Some(link) = &run.link {
        html.push_str(&format!("<a href=\"{}\">", escape_markup(link)));
    }
    for t in &tags {
        html.push_str(&format!("<{t}>"));
    }
    html.push_str(&escape_markup(&run.text));
    for t in tags.iter().rev() {
        html.push_str(&format!("</{t}>"));
    }
    if run.link.is_some() {
        html.push_str("</a>");
    }
}
