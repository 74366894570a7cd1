//! HTML through html5ever's tokenizer (the WHATWG tokenizer: entities,
//! attributes, raw text), folded into the document tree by our own builder
//! with an explicit stack. No DOM is built, so deeply nested markup costs no
//! recursion; lists and quotes nested past [`MAX_DEPTH`] are refused. Inline
//! content directly in a block container (`<div>text</div>`) becomes a
//! paragraph; whitespace collapses outside `<pre>`.

use std::cell::RefCell;

use fileconv_core::document::MAX_DEPTH;
use fileconv_core::{Block, Context, Document, Error, Image, Inline, Input, Numbering, Result, Run, TableBlock, Value};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

use super::md::{push_block, push_inline, Open};

/// # Errors
/// [`Error::InvalidInput`] for empty, binary or non-UTF-8 input;
/// [`Error::LimitExceeded`] for lists or quotes nested past [`MAX_DEPTH`].
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    parse(&super::text(&input, "html", ctx)?, ctx).map(Value::Document)
}

/// HTML text to a document (also each chapter of an EPUB).
///
/// # Errors
/// [`Error::LimitExceeded`] for lists or quotes nested past [`MAX_DEPTH`].
pub fn parse(text: &str, ctx: &Context<'_>) -> Result<Document> {
    let sink = Sink(RefCell::new(Builder::default()));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    // Fed in pieces so cancellation is seen on a large page.
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(64 << 10);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        queue.push_back(StrTendril::from_slice(&rest[..cut]));
        let _ = tokenizer.feed(&queue);
        rest = &rest[cut..];
        ctx.checkpoint()?;
        if let Some(e) = tokenizer.sink.0.borrow_mut().error.take() {
            return Err(e);
        }
    }
    tokenizer.end();
    let mut builder = tokenizer.sink.0.into_inner();
    if let Some(e) = builder.error.take() {
        return Err(e);
    }
    builder.close_implicit();
    while !builder.stack.is_empty() {
        builder.close_top();
    }
    Ok(builder.doc)
}

struct Sink(RefCell<Builder>);

#[derive(Default)]
struct Builder {
    doc: Document,
    stack: Vec<Open>,
    /// The HTML element that opened each stack entry, and whether the entry
    /// is an implicit paragraph.
    tags: Vec<(String, bool)>,
    style: Run,
    /// Open counts of each style, so `<b><b>x</b>y</b>` stays bold for y.
    bold: usize,
    italic: usize,
    underline: usize,
    strike: usize,
    code: usize,
    links: Vec<Option<String>>,
    pre: usize,
    depth: usize,
    /// Inside `<title>`, `<script>`, `<style>`, `<head>`.
    title: Option<String>,
    skipping: usize,
    row_is_header: bool,
    error: Option<Error>,
}

const BLOCKS: &[&str] = &[
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr", "td", "th", "pre", "blockquote", "hr", "div", "section", "article",
    "header", "footer", "main", "nav", "aside", "figure", "figcaption", "dl", "dt", "dd", "body", "thead", "tbody", "tfoot", "caption",
];

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut b = self.0.borrow_mut();
        if b.error.is_some() {
            return TokenSinkResult::Continue;
        }
        match token {
            Token::TagToken(tag) => return b.tag(tag),
            Token::CharacterTokens(text) => b.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl Builder {
    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let attr = |key: &str| tag.attrs.iter().find(|a| &*a.name.local == key).map(|a| a.value.to_string());
        let start = tag.kind == TagKind::StartTag;
        // `noscript` is read as ordinary markup: no script runs here, so its
        // fallback content is what the page shows.
        match (name, start) {
            ("script" | "style" | "template", true) => {
                self.skipping += 1;
                return TokenSinkResult::RawData(if name == "script" { RawKind::ScriptData } else { RawKind::Rawtext });
            }
            ("script" | "style" | "template", false) => self.skipping = self.skipping.saturating_sub(1),
            ("title", true) => {
                self.title = Some(String::new());
                return TokenSinkResult::RawData(RawKind::Rcdata);
            }
            ("title", false) => {
                if let Some(t) = self.title.take() {
                    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !t.is_empty() {
                        self.doc.title = Some(t);
                    }
                }
            }
            ("meta", true) if attr("name").as_deref() == Some("author") => self.doc.author = attr("content"),
            ("b" | "strong", _) => self.bold = count(self.bold, start),
            ("i" | "em" | "cite" | "var", _) => self.italic = count(self.italic, start),
            ("u" | "ins", _) => self.underline = count(self.underline, start),
            ("s" | "strike" | "del", _) => self.strike = count(self.strike, start),
            ("code" | "kbd" | "samp" | "tt", _) if self.pre == 0 => self.code = count(self.code, start),
            ("a", true) => self.links.push(attr("href")),
            ("a", false) => {
                self.links.pop();
            }
            ("br", true) => self.inline(Inline::Break),
            ("img", true) => {
                let src = attr("src").unwrap_or_default();
                // A `data:` URI holds the image itself.
                let data = src.strip_prefix("data:").and_then(|d| d.split_once(";base64,")).and_then(|(_, b64)| fileconv_core::io::base64_decode(b64));
                self.inline(Inline::Image(Image { src, alt: attr("alt").unwrap_or_default(), data }));
            }
            ("hr", true) => {
                self.close_implicit();
                self.block(Block::Rule);
            }
            _ if BLOCKS.contains(&name) => {
                self.close_implicit();
                if start {
                    self.open(name, &attr);
                } else {
                    self.close(name);
                }
            }
            _ => {}
        }
        self.restyle();
        TokenSinkResult::Continue
    }

    fn restyle(&mut self) {
        self.style = Run {
            text: String::new(),
            bold: self.bold > 0,
            italic: self.italic > 0,
            underline: self.underline > 0,
            strike: self.strike > 0,
            code: self.code > 0,
            link: self.links.iter().rev().flatten().next().cloned(),
        };
    }

    fn open(&mut self, name: &str, attr: &dyn Fn(&str) -> Option<String>) {
        let open = match name {
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "td" | "th" | "dt" | "caption" | "figcaption" => {
                if name == "td" {
                    self.row_is_header = false;
                }
                Open::Inlines(Vec::new())
            }
            "ul" | "ol" => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.error = Some(Error::limit("nesting depth", MAX_DEPTH as u64, self.depth as u64));
                    return;
                }
                let start = attr("start").and_then(|s| s.trim().parse().ok()).unwrap_or(1);
                let numbering = match name {
                    "ol" => attr("type").and_then(|t| Numbering::from_code(t.trim())).unwrap_or(Numbering::Decimal),
                    _ => Numbering::Bullet,
                };
                Open::List { numbering, start, items: Vec::new() }
            }
            "li" => {
                // An unclosed <li> ends at the next one.
                if self.tags.last().is_some_and(|(t, _)| t == "li") {
                    self.close("li");
                }
                if let Some(Open::List { items, .. }) = self.stack.last_mut() {
                    items.push(Vec::new());
                }
                self.tags.push(("li".to_string(), false));
                self.stack.push(Open::Quote(Vec::new()));
                return;
            }
            "blockquote" => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.error = Some(Error::limit("nesting depth", MAX_DEPTH as u64, self.depth as u64));
                    return;
                }
                Open::Quote(Vec::new())
            }
            "pre" => {
                self.pre += 1;
                Open::Code { language: None, text: String::new() }
            }
            "table" => Open::Table { rows: Vec::new(), header_rows: 0 },
            "tr" => {
                self.close_row_header();
                if let Some(Open::Table { rows, .. }) = self.stack.last_mut() {
                    rows.push(Vec::new());
                }
                self.row_is_header = true;
                return;
            }
            // Transparent containers.
            _ => return,
        };
        if self.stack.len() >= 4 * MAX_DEPTH {
            self.error = Some(Error::limit("nesting depth", (4 * MAX_DEPTH) as u64, self.stack.len() as u64));
            return;
        }
        self.tags.push((name.to_string(), false));
        self.stack.push(open);
    }

    /// Counts the row just finished as a header row when all its cells were `th`
    /// and only header rows came before it.
    fn close_row_header(&mut self) {
        if let Some(Open::Table { rows, header_rows }) = self.stack.last_mut() {
            if self.row_is_header && rows.len() == *header_rows + 1 && rows.last().is_some_and(|r| !r.is_empty()) {
                *header_rows += 1;
            }
        }
        self.row_is_header = false;
    }

    /// Closes the elements up to and including the last `name`; an end tag
    /// with no open element of its name is ignored.
    fn close(&mut self, name: &str) {
        if name == "table" {
            self.close_row_header();
        }
        if !self.tags.iter().any(|(t, _)| t == name) {
            return;
        }
        while let Some((tag, _)) = self.tags.last().cloned() {
            self.close_top();
            if tag == name {
                break;
            }
        }
    }

    fn close_implicit(&mut self) {
        if self.tags.last().is_some_and(|(_, implicit)| *implicit) {
            self.close_top();
        }
    }

    fn close_top(&mut self) {
        let Some((tag, _)) = self.tags.pop() else { return };
        let Some(open) = self.stack.pop() else { return };
        let stack = &mut self.stack;
        let doc = &mut self.doc;
        match open {
            Open::Inlines(mut inlines) => {
                trim(&mut inlines);
                let level = tag.strip_prefix('h').and_then(|l| l.parse::<u8>().ok());
                match (tag.as_str(), level) {
                    ("td" | "th", _) => {
                        if let Some(Open::Table { rows, .. }) = stack.last_mut() {
                            if let Some(row) = rows.last_mut() {
                                row.push(inlines);
                            }
                        }
                    }
                    (_, Some(level)) if (1..=6).contains(&level) => push_block(stack, doc, Block::Heading { level, content: inlines }),
                    _ if inlines.is_empty() => {}
                    _ => push_block(stack, doc, Block::Paragraph(inlines)),
                }
            }
            Open::List { numbering, start, items } => {
                self.depth -= 1;
                push_block(stack, doc, Block::List { numbering, start, items });
            }
            Open::Quote(blocks) if tag == "li" => match stack.last_mut() {
                Some(Open::List { items, .. }) => match items.last_mut() {
                    Some(item) => item.extend(blocks),
                    None => items.push(blocks),
                },
                // An item outside any list, which browsers still show: a list of its own.
                _ => push_block(stack, doc, Block::List { numbering: Numbering::Bullet, start: 1, items: vec![blocks] }),
            },
            Open::Quote(blocks) => {
                self.depth -= 1;
                push_block(stack, doc, Block::Quote(blocks));
            }
            Open::Code { text, .. } => {
                self.pre -= 1;
                let text = text.strip_prefix('\n').unwrap_or(&text).trim_end().to_string();
                push_block(stack, doc, Block::CodeBlock { language: None, text });
            }
            Open::Table { rows, header_rows } => {
                let rows: Vec<_> = rows.into_iter().filter(|r| !r.is_empty()).collect();
                push_block(stack, doc, Block::Table(TableBlock { header_rows: header_rows.min(rows.len()), rows }));
            }
            Open::Image(_) | Open::Metadata(_) => {}
        }
    }

    fn block(&mut self, block: Block) {
        push_block(&mut self.stack, &mut self.doc, block);
    }

    /// Adds inline content, opening an implicit paragraph when the current
    /// container holds blocks.
    fn inline(&mut self, inline: Inline) {
        if !matches!(self.stack.last(), Some(Open::Inlines(_)) | Some(Open::List { .. })) {
            self.tags.push(("p".to_string(), true));
            self.stack.push(Open::Inlines(Vec::new()));
        }
        push_inline(&mut self.stack, &mut self.doc, inline);
    }

    fn text(&mut self, text: &str) {
        if self.skipping > 0 {
            return;
        }
        if let Some(title) = &mut self.title {
            title.push_str(text);
            return;
        }
        if let Some(Open::Code { text: code, .. }) = self.stack.last_mut() {
            code.push_str(text);
            return;
        }
        let collapsed = collapse(text);
        if collapsed.trim().is_empty() && !matches!(self.stack.last(), Some(Open::Inlines(_))) {
            return;
        }
        self.inline(Inline::Text(self.style.with_text(collapsed)));
    }
}

fn count(n: usize, start: bool) -> usize {
    if start { n + 1 } else { n.saturating_sub(1) }
}

/// Runs of whitespace as one space.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// Drops the whitespace at the start and end of a block's inlines, and the
/// space a line break leaves at the start of the next line.
fn trim(inlines: &mut Vec<Inline>) {
    if let Some(Inline::Text(run)) = inlines.first_mut() {
        run.text = run.text.trim_start().to_string();
    }
    if let Some(Inline::Text(run)) = inlines.last_mut() {
        run.text = run.text.trim_end().to_string();
    }
    for i in 1..inlines.len() {
        if matches!(inlines[i - 1], Inline::Break) {
            if let Inline::Text(run) = &mut inlines[i] {
                run.text = run.text.trim_start().to_string();
            }
        }
    }
    inlines.retain(|i| !matches!(i, Inline::Text(run) if run.text.is_empty()));
}
