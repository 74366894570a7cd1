//! ODT as a [`PageFlow`]: the page layout of the `Standard` master page
//! (or the first), its header and footer, and the body's paragraphs,
//! headings, lists, tables, sections and pictures, with the properties of
//! their styles (the shared ODF style chain of this module's parent):
//! alignment, indents, spacing, line height, keep with next, page breaks,
//! fonts, sizes, colours; footnotes at the foot of their pages and endnotes
//! after the text.

use super::*;
use fileconv_core::document::fixed::{FlowBlock, FlowParagraph, FlowSection, PageFlow};

/// Reads the page flow of an ODT whose `content.xml` is `content`.
///
/// # Errors
/// [`Error::InvalidInput`] for broken XML; [`Error::LimitExceeded`] past
/// the node or block limits.
pub fn read_text<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, content: &[u8], ctx: &Context<'_>) -> Result<PageFlow> {
    with_reader(zip, content, ctx, |reader, root| {
        let Some(body) = root.descendants().find(|n| n.has_tag_name((OFFICE, "text"))) else { return Ok(PageFlow::default()) };
        text_flow(reader, body)
    })
}

/// The page flow of an ODT's `office:text`.
fn text_flow<R: Read + Seek>(reader: &mut PageReader<'_, '_, '_, R>, body: Node<'_, '_>) -> Result<PageFlow> {
    let styles = reader.styles;
    let master = styles.masters.get("Standard").copied().or_else(|| styles.masters.values().next().copied());
    let mut section = reader.page_setup(master);
    let mut endnotes = Vec::new();
    let mut blocks = Vec::new();
    reader.text_blocks(body, &mut blocks, &mut endnotes, 0)?;
    section.blocks = blocks;
    Ok(PageFlow { sections: vec![section], endnotes })
}

/// Blocks one document may hold.
const MAX_BLOCKS: usize = 2_000_000;

impl<R: Read + Seek> PageReader<'_, '_, '_, R> {
    /// A master page's page size, margins, header and footer.
    fn page_setup(&mut self, master: Option<Node<'_, '_>>) -> FlowSection {
        let layout = master.and_then(|m| attr(m, STYLE, "page-layout-name"));
        let get = |name: &str| self.styles.get("page-layout", layout, true, name).and_then(length);
        let (width, height) = (get("page-width").unwrap_or(595.3), get("page-height").unwrap_or(841.9));
        let mut margins = [get("margin-left").unwrap_or(56.7), get("margin-top").unwrap_or(56.7), get("margin-right").unwrap_or(56.7), get("margin-bottom").unwrap_or(56.7)];
        let mut section = FlowSection { width, height, header_distance: margins[1], footer_distance: margins[3], ..FlowSection::default() };
        let layout_node = layout.and_then(|l| self.styles.page_layouts.get(l).copied());
        let base = TextLook::default();
        for (kind, style_kind, top) in [("header", "header-style", true), ("footer", "footer-style", false)] {
            let Some(part) = master.and_then(|m| m.children().find(|c| c.has_tag_name((STYLE, kind)))) else { continue };
            let mut paragraphs = Vec::new();
            self.paragraphs(part, true, &base, None, &mut paragraphs);
            if paragraphs.is_empty() {
                continue;
            }
            // The header's own height and its spacing push the body down (the footer's, up).
            let props = layout_node.and_then(|l| l.children().find(|c| c.has_tag_name((STYLE, style_kind)))).and_then(|h| h.children().find(|c| c.is_element()));
            let fo = |n: &str| props.and_then(|p| p.attribute(("urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0", n))).and_then(length);
            let room = fo("min-height").unwrap_or(0.0) + if top { fo("margin-bottom") } else { fo("margin-top") }.unwrap_or(0.0);
            let blocks: Vec<FlowBlock> = paragraphs.into_iter().map(|p| FlowBlock::Paragraph(FlowParagraph { text: p, ..FlowParagraph::default() })).collect();
            if top {
                section.header = blocks;
                margins[1] += room;
            } else {
                section.footer = blocks;
                margins[3] += room;
            }
        }
        section.margins = margins;
        section
    }

    fn text_blocks(&mut self, parent: Node<'_, '_>, out: &mut Vec<FlowBlock>, endnotes: &mut Vec<FlowBlock>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::limit("nesting of sections and tables", MAX_DEPTH as u64, depth as u64));
        }
        for node in parent.children().filter(Node::is_element) {
            if out.len() >= MAX_BLOCKS {
                return Err(Error::limit("paragraphs and tables", MAX_BLOCKS as u64, out.len() as u64 + 1));
            }
            match (node.tag_name().namespace(), node.tag_name().name()) {
                (Some(TEXT), "p" | "h") => self.flow_paragraph(node, None, out, endnotes)?,
                (Some(TEXT), "list") => {
                    let style = attr(node, TEXT, "style-name").and_then(|l| self.styles.list_styles.get(l).copied());
                    let mut paragraphs = Vec::new();
                    self.list(node, false, &TextLook::default(), 1, style, &mut paragraphs);
                    out.extend(paragraphs.into_iter().map(|p| FlowBlock::Paragraph(FlowParagraph { text: p, ..FlowParagraph::default() })));
                }
                (Some(TABLE), "table") => {
                    let indent = self.styles.get("table", attr(node, TABLE, "style-name"), false, "margin-left").and_then(length).unwrap_or(0.0);
                    let table = self.table(node, false);
                    out.push(FlowBlock::Table { table, indent });
                }
                (Some(TEXT), "section" | "index-body" | "table-of-content" | "alphabetical-index" | "illustration-index" | "bibliography") => self.text_blocks(node, out, endnotes, depth + 1)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// A paragraph or heading, then its pictures; its footnotes go with it, its endnotes to `endnotes`.
    fn flow_paragraph(&mut self, node: Node<'_, '_>, marker: Option<ListLevel>, out: &mut Vec<FlowBlock>, endnotes: &mut Vec<FlowBlock>) -> Result<()> {
        let style = attr(node, TEXT, "style-name");
        let get = |p: &str| self.styles.get("paragraph", style, false, p);
        let mut text = self.paragraph(node, false, &TextLook::default(), marker);
        if let Some(at_least) = get("line-height-at-least").and_then(length) {
            text.line_spacing = Spacing::AtLeast(at_least);
        }
        let (margin_right, keep_with_next, page_break_before) = (get("margin-right").and_then(length).unwrap_or(0.0), get("keep-with-next") == Some("always"), get("break-before") == Some("page"));
        let mut notes = Vec::new();
        for note in node.descendants().filter(|n| n.has_tag_name((TEXT, "note"))) {
            let citation = note.children().find(|c| c.has_tag_name((TEXT, "note-citation"))).and_then(|c| c.text()).unwrap_or("").to_string();
            let Some(body) = note.children().find(|c| c.has_tag_name((TEXT, "note-body"))) else { continue };
            let mut paragraphs = Vec::new();
            self.paragraphs(body, false, &TextLook::default(), None, &mut paragraphs);
            if let Some(first) = paragraphs.first_mut() {
                let size = first.runs.first().map_or(first.empty_size, |r| r.size);
                first.runs.insert(0, TextRun { text: format!("{citation} "), size, ..TextRun::default() });
            }
            let blocks = paragraphs.into_iter().map(|p| FlowParagraph { text: p, ..FlowParagraph::default() });
            if attr(note, TEXT, "note-class") == Some("endnote") {
                endnotes.extend(blocks.map(FlowBlock::Paragraph));
            } else {
                notes.extend(blocks);
            }
        }
        let align = text.align;
        let has_text = text.runs.iter().any(|r| !r.text.trim().is_empty());
        let mut pictures = Vec::new();
        for frame in node.descendants().filter(|n| n.has_tag_name((DRAW, "frame"))) {
            let Some(image) = frame.children().find(|c| c.has_tag_name((DRAW, "image"))) else { continue };
            let (Some(w), Some(h)) = (attr(frame, SVG, "width").and_then(length), attr(frame, SVG, "height").and_then(length)) else { continue };
            if let Some(data) = attr(image, XLINK, "href").map(|h| self.picture(h)).transpose()?.flatten() {
                pictures.push(FlowBlock::Picture { picture: Picture { data, crop: [0.0; 4] }, width: w, height: h, align });
            }
        }
        if has_text || pictures.is_empty() {
            out.push(FlowBlock::Paragraph(FlowParagraph { text, margin_right, keep_with_next, page_break_before, spacing_group: None, notes }));
        }
        out.extend(pictures);
        Ok(())
    }
}
