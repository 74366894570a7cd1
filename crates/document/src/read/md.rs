//! Markdown through pulldown-cmark (CommonMark, GFM tables, strikethrough),
//! its events folded into the document tree with an explicit stack, so
//! nesting costs no recursion here; past [`MAX_DEPTH`] levels of lists and
//! quotes the input is refused.

use fileconv_core::document::MAX_DEPTH;
use fileconv_core::{Block, Context, Document, Error, Image, Inline, Input, Numbering, Result, Run, TableBlock, Value};
use pulldown_cmark::{CodeBlockKind, Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

/// A container being filled.
pub(super) enum Open {
    /// A list and the blocks of its current item.
    List { numbering: Numbering, start: u64, items: Vec<Vec<Block>> },
    Quote(Vec<Block>),
    /// Collects inlines: a paragraph, heading, table cell.
    Inlines(Vec<Inline>),
    Table { rows: Vec<Vec<Vec<Inline>>>, header_rows: usize },
    Code { language: Option<String>, text: String },
    Image(Image),
    /// YAML front matter (`title:`, `author:` are kept).
    Metadata(String),
}

/// # Errors
/// [`Error::InvalidInput`] for empty, binary or non-UTF-8 input;
/// [`Error::LimitExceeded`] for nesting deeper than [`MAX_DEPTH`].
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let text = super::text(&input, "md", ctx)?;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut doc = Document::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut style = Run::default();
    let mut depth = 0usize;
    for (n, event) in Parser::new_ext(&text, options).enumerate() {
        if n % 4096 == 0 {
            ctx.checkpoint()?;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell => stack.push(Open::Inlines(Vec::new())),
                Tag::List(start) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Error::limit("nesting depth", MAX_DEPTH as u64, depth as u64));
                    }
                    let numbering = if start.is_some() { Numbering::Decimal } else { Numbering::Bullet };
                    stack.push(Open::List { numbering, start: start.unwrap_or(1), items: Vec::new() });
                }
                Tag::Item => {
                    if let Some(Open::List { items, .. }) = stack.last_mut() {
                        items.push(Vec::new());
                    }
                }
                Tag::BlockQuote(_) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Error::limit("nesting depth", MAX_DEPTH as u64, depth as u64));
                    }
                    stack.push(Open::Quote(Vec::new()));
                }
                Tag::CodeBlock(kind) => {
                    let language = match kind {
                        CodeBlockKind::Fenced(lang) if !lang.is_empty() => Some(lang.split_whitespace().next().unwrap_or_default().to_string()),
                        _ => None,
                    };
                    stack.push(Open::Code { language, text: String::new() });
                }
                Tag::Table(_) => stack.push(Open::Table { rows: Vec::new(), header_rows: 0 }),
                Tag::TableHead | Tag::TableRow => {
                    if let Some(Open::Table { rows, .. }) = stack.last_mut() {
                        rows.push(Vec::new());
                    }
                }
                Tag::Emphasis => style.italic = true,
                Tag::Strong => style.bold = true,
                Tag::Strikethrough => style.strike = true,
                Tag::Link { dest_url, .. } => style.link = Some(dest_url.to_string()),
                Tag::Image { dest_url, .. } => stack.push(Open::Image(Image { src: dest_url.to_string(), ..Image::default() })),
                Tag::MetadataBlock(MetadataBlockKind::YamlStyle) => stack.push(Open::Metadata(String::new())),
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Paragraph => {
                    if let Some(Open::Inlines(inlines)) = stack.pop() {
                        // A paragraph that is one image is an image block.
                        let block = match <[Inline; 1]>::try_from(inlines) {
                            Ok([Inline::Image(image)]) => Block::Image(image),
                            Ok(one) => Block::Paragraph(one.into()),
                            Err(inlines) => Block::Paragraph(inlines),
                        };
                        push_block(&mut stack, &mut doc, block);
                    }
                }
                TagEnd::Heading(level) => {
                    if let Some(Open::Inlines(content)) = stack.pop() {
                        push_block(&mut stack, &mut doc, Block::Heading { level: level as u8, content });
                    }
                }
                TagEnd::TableCell => {
                    if let Some(Open::Inlines(cell)) = stack.pop() {
                        if let Some(Open::Table { rows, .. }) = stack.last_mut() {
                            if let Some(row) = rows.last_mut() {
                                row.push(cell);
                            }
                        }
                    }
                }
                TagEnd::TableHead => {
                    if let Some(Open::Table { header_rows, .. }) = stack.last_mut() {
                        *header_rows = 1;
                    }
                }
                TagEnd::Table => {
                    if let Some(Open::Table { rows, header_rows }) = stack.pop() {
                        push_block(&mut stack, &mut doc, Block::Table(TableBlock { header_rows, rows }));
                    }
                }
                TagEnd::List(_) => {
                    depth -= 1;
                    if let Some(Open::List { numbering, start, items }) = stack.pop() {
                        push_block(&mut stack, &mut doc, Block::List { numbering, start, items });
                    }
                }
                TagEnd::BlockQuote(_) => {
                    depth -= 1;
                    if let Some(Open::Quote(blocks)) = stack.pop() {
                        push_block(&mut stack, &mut doc, Block::Quote(blocks));
                    }
                }
                TagEnd::CodeBlock => {
                    if let Some(Open::Code { language, text }) = stack.pop() {
                        push_block(&mut stack, &mut doc, Block::CodeBlock { language, text });
                    }
                }
                TagEnd::Emphasis => style.italic = false,
                TagEnd::Strong => style.bold = false,
                TagEnd::Strikethrough => style.strike = false,
                TagEnd::Link => style.link = None,
                TagEnd::MetadataBlock(_) => {
                    if let Some(Open::Metadata(yaml)) = stack.pop() {
                        for line in yaml.lines() {
                            if let Some((key, value)) = line.split_once(':') {
                                let value = value.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
                                match key.trim() {
                                    "title" if !value.is_empty() => doc.title = Some(value),
                                    "author" if !value.is_empty() => doc.author = Some(value),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                TagEnd::Image => {
                    if let Some(Open::Image(image)) = stack.pop() {
                        push_inline(&mut stack, &mut doc, Inline::Image(image));
                    }
                }
                _ => {}
            },
            Event::Text(text) => match stack.last_mut() {
                Some(Open::Code { text: code, .. }) | Some(Open::Metadata(code)) => code.push_str(&text),
                Some(Open::Image(image)) => image.alt.push_str(&text),
                _ => push_inline(&mut stack, &mut doc, Inline::Text(style.with_text(text.to_string()))),
            },
            Event::Code(text) => push_inline(&mut stack, &mut doc, Inline::Text(Run { code: true, ..style.with_text(text.to_string()) })),
            Event::SoftBreak => push_inline(&mut stack, &mut doc, Inline::Text(style.with_text(" "))),
            Event::HardBreak => push_inline(&mut stack, &mut doc, Inline::Break),
            Event::Rule => push_block(&mut stack, &mut doc, Block::Rule),
            Event::Html(html) | Event::InlineHtml(html) => {
                if html.contains("page-break") {
                    push_block(&mut stack, &mut doc, Block::PageBreak);
                }
            }
            _ => {}
        }
    }
    Ok(Value::Document(doc))
}

/// Adds a finished block to the innermost container that holds blocks.
pub(super) fn push_block(stack: &mut [Open], doc: &mut Document, block: Block) {
    match stack.last_mut() {
        Some(Open::List { items, .. }) => match items.last_mut() {
            Some(item) => item.push(block),
            None => items.push(vec![block]),
        },
        Some(Open::Quote(blocks)) => blocks.push(block),
        _ => doc.blocks.push(block),
    }
}

/// Adds an inline to the innermost inline container; text directly in a
/// list item (a tight list) becomes the item's paragraph.
pub(super) fn push_inline(stack: &mut [Open], doc: &mut Document, inline: Inline) {
    match stack.last_mut() {
        Some(Open::Inlines(inlines)) => inlines.push(inline),
        Some(Open::List { items, .. }) => {
            let item = match items.last_mut() {
                Some(item) => item,
                None => {
                    items.push(Vec::new());
                    items.last_mut().expect("just pushed")
                }
            };
            match item.last_mut() {
                Some(Block::Paragraph(inlines)) => inlines.push(inline),
                _ => item.push(Block::Paragraph(vec![inline])),
            }
        }
        _ => push_block(stack, doc, Block::Paragraph(vec![inline])),
    }
}
