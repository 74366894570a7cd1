//! ODT: OpenDocument text written directly: LibreOffice's own style names
//! (Heading 1-6, Title, Author, Preformatted Text, Quotations, Source Text,
//! Table Contents and Heading) so LibreOffice and pandoc see the structure;
//! text styles for each combination of bold, italic, underline and strike;
//! one bullet and one numbered list style of ten levels; bordered tables
//! with header rows; links; pictures in `Pictures/`; title and author in
//! `meta.xml`. No whitespace between elements (it would be content).

use std::fmt::Write as _;
use std::io::Write;

use fileconv_core::{escape_markup, Block, Context, Document, Image, Inline, Numbering, Result, Run, TableBlock, Value};
use fileconv_zip::Package;

use fileconv_core::EmbeddedImage;

const MIME: &str = "application/vnd.oasis.opendocument.text";

const NAMESPACES: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0""#;

const FONTS: &str = r#"<office:font-face-decls><style:font-face style:name="Liberation Mono" svg:font-family="'Liberation Mono'" style:font-family-generic="modern" style:font-pitch="fixed"/></office:font-face-decls>"#;

fn styles() -> String {
    let mut s = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NAMESPACES} office:version="1.2">{FONTS}<office:styles><style:default-style style:family="paragraph"><style:text-properties fo:font-size="11pt"/></style:default-style><style:style style:name="Standard" style:family="paragraph" style:class="text"/><style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-top="0in" fo:margin-bottom="0.0972in"/></style:style><style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="20pt" fo:font-weight="bold"/></style:style><style:style style:name="Author" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:text-align="center"/></style:style><style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body"><style:paragraph-properties fo:margin-top="0.1665in" fo:margin-bottom="0.0835in" fo:keep-with-next="always"/><style:text-properties fo:font-weight="bold"/></style:style>"#
    );
    for (level, size) in [(1, "18pt"), (2, "15pt"), (3, "13pt"), (4, "12pt"), (5, "11pt"), (6, "11pt")] {
        let _ = write!(
            s,
            r#"<style:style style:name="Heading_20_{level}" style:display-name="Heading {level}" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="{level}" style:class="text"><style:text-properties fo:font-size="{size}"/></style:style>"#
        );
    }
    s.push_str(r##"<style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-top="0in" fo:margin-bottom="0in" fo:background-color="#f6f6f6"/><style:text-properties style:font-name="Liberation Mono" fo:font-size="10pt"/></style:style><style:style style:name="Quotations" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-left="0.3937in" fo:margin-right="0.3937in" fo:padding-left="0.1in" fo:border-left="0.03in solid #cccccc"/></style:style><style:style style:name="Horizontal_20_Line" style:display-name="Horizontal Line" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-bottom="0.1in" fo:padding="0in" fo:border-bottom="0.5pt solid #808080"/><style:text-properties fo:font-size="6pt"/></style:style><style:style style:name="Table_20_Contents" style:display-name="Table Contents" style:family="paragraph" style:parent-style-name="Standard"/><style:style style:name="Table_20_Heading" style:display-name="Table Heading" style:family="paragraph" style:parent-style-name="Table_20_Contents"><style:text-properties fo:font-weight="bold"/></style:style><style:style style:name="Source_Text" style:display-name="Source Text" style:family="text"><style:text-properties style:font-name="Liberation Mono"/></style:style><style:style style:name="Internet_20_link" style:display-name="Internet link" style:family="text"><style:text-properties fo:color="#000080" style:text-underline-style="solid"/></style:style></office:styles></office:document-styles>"##);
    s
}

/// Automatic styles: text styles for style combinations, page breaks, list
/// styles, table cell borders.
fn automatic_styles() -> String {
    let mut s = String::from("<office:automatic-styles>");
    for bits in 1u8..16 {
        let mut props = String::new();
        if bits & 1 != 0 {
            props.push_str(r#" fo:font-weight="bold""#);
        }
        if bits & 2 != 0 {
            props.push_str(r#" fo:font-style="italic""#);
        }
        if bits & 4 != 0 {
            props.push_str(r#" style:text-underline-style="solid" style:text-underline-width="auto" style:text-underline-color="font-color""#);
        }
        if bits & 8 != 0 {
            props.push_str(r#" style:text-line-through-style="solid""#);
        }
        let _ = write!(s, r#"<style:style style:name="T{bits}" style:family="text"><style:text-properties{props}/></style:style>"#);
    }
    s.push_str(r#"<style:style style:name="PageBreak" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:break-before="page"/></style:style><style:style style:name="Cell" style:family="table-cell"><style:table-cell-properties fo:padding="0.04in" fo:border="0.5pt solid #999999"/></style:style>"#);
    for numbering in Numbering::ALL {
        let name = list_style_name(numbering);
        let _ = write!(s, r#"<text:list-style style:name="{name}">"#);
        for level in 1..=10 {
            let indent = 0.25 * f64::from(level + 1);
            let position = format!(r#"<style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="{indent}in" fo:text-indent="-0.25in" fo:margin-left="{indent}in"/></style:list-level-properties>"#);
            if let Some(code) = numbering.code() {
                let _ = write!(s, r#"<text:list-level-style-number text:level="{level}" style:num-suffix="." style:num-format="{code}">{position}</text:list-level-style-number>"#);
            } else {
                let bullet = ["•", "◦", "▪"][(level as usize - 1) % 3];
                let _ = write!(s, r#"<text:list-level-style-bullet text:level="{level}" text:bullet-char="{bullet}">{position}</text:list-level-style-bullet>"#);
            }
        }
        s.push_str("</text:list-style>");
    }
    s.push_str("</office:automatic-styles>");
    s
}

/// The list style each document carries for `numbering`.
fn list_style_name(numbering: Numbering) -> &'static str {
    match numbering {
        Numbering::Bullet => "LBullet",
        Numbering::Decimal => "LNumber",
        Numbering::LowerAlpha => "LLowerAlpha",
        Numbering::UpperAlpha => "LUpperAlpha",
        Numbering::LowerRoman => "LLowerRoman",
        Numbering::UpperRoman => "LUpperRoman",
    }
}

fn meta(doc: &Document) -> String {
    let field = |tag: &str, value: &Option<String>| value.as_ref().map(|v| format!("<{tag}>{}</{tag}>", escape_markup(v))).unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NAMESPACES} office:version="1.2"><office:meta><meta:generator>fileconv</meta:generator>{}{}{}</office:meta></office:document-meta>"#,
        field("dc:title", &doc.title),
        field("meta:initial-creator", &doc.author),
        field("dc:creator", &doc.author)
    )
}

#[derive(Default)]
struct Writer {
    body: String,
    pictures: Vec<(String, &'static str, Vec<u8>)>,
    tables: usize,
}

/// # Errors
/// [`fileconv_core::Error::LimitExceeded`] past `max_output_bytes`;
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let doc = value.into_document(ctx)?;
    let mut w = Writer::default();
    // Title and author shown through fields of the metadata, as LibreOffice does.
    if let Some(title) = &doc.title {
        let _ = write!(w.body, r#"<text:p text:style-name="Title"><text:title text:fixed="true">{}</text:title></text:p>"#, text(title));
    }
    if let Some(author) = &doc.author {
        let _ = write!(w.body, r#"<text:p text:style-name="Author"><text:initial-creator text:fixed="true">{}</text:initial-creator></text:p>"#, text(author));
    }
    w.blocks(&doc.blocks, "Text_20_body");

    let mut package = Package::new(ctx.limits, "odt");
    package.stored("mimetype", MIME.as_bytes())?;
    let mut manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{MIME}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>"#
    );
    for (path, mime, _) in &w.pictures {
        let _ = write!(manifest, r#"<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{mime}"/>"#);
    }
    manifest.push_str("</manifest:manifest>");
    package.file("META-INF/manifest.xml", manifest.as_bytes())?;
    package.file("styles.xml", styles().as_bytes())?;
    package.file("meta.xml", meta(&doc).as_bytes())?;
    for (path, _, bytes) in &w.pictures {
        package.file(path, bytes)?;
    }
    let content = package.start("content.xml")?;
    write!(content, r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.2">{FONTS}{}<office:body><office:text>"#, automatic_styles())?;
    content.write_all(w.body.as_bytes())?;
    content.write_all(b"</office:text></office:body></office:document-content>")?;
    package.finish(out)
}

/// Text as ODF content: runs of spaces as `text:s`, tabs and line ends as elements.
fn text(value: &str) -> String {
    fn flush(out: &mut String, spaces: &mut usize) {
        let at_start = out.is_empty() || out.ends_with("/>");
        match *spaces {
            0 => {}
            1 if !at_start => out.push(' '),
            n if at_start => {
                let _ = write!(out, r#"<text:s text:c="{n}"/>"#);
            }
            n => {
                let _ = write!(out, r#" <text:s text:c="{}"/>"#, n - 1);
            }
        }
        *spaces = 0;
    }
    let mut out = String::with_capacity(value.len());
    let mut spaces = 0usize;
    for c in value.chars() {
        match c {
            ' ' => spaces += 1,
            '\t' => {
                flush(&mut out, &mut spaces);
                out.push_str("<text:tab/>");
            }
            '\n' => {
                flush(&mut out, &mut spaces);
                out.push_str("<text:line-break/>");
            }
            c => {
                flush(&mut out, &mut spaces);
                out.push_str(&escape_markup(c.encode_utf8(&mut [0; 4])));
            }
        }
    }
    // Trailing spaces would be collapsed by readers unless written as text:s.
    if spaces > 0 {
        let _ = write!(out, r#"<text:s text:c="{spaces}"/>"#);
    }
    out
}

fn style_bits(run: &Run) -> u8 {
    u8::from(run.bold) | u8::from(run.italic) << 1 | u8::from(run.underline) << 2 | u8::from(run.strike) << 3
}

impl Writer {
    fn inlines(&mut self, content: &[Inline]) {
        for inline in content {
            match inline {
                Inline::Text(run) => {
                    let mut piece = text(&run.text);
                    if run.code {
                        piece = format!(r#"<text:span text:style-name="Source_Text">{piece}</text:span>"#);
                    }
                    let bits = style_bits(run);
                    if bits != 0 {
                        piece = format!(r#"<text:span text:style-name="T{bits}">{piece}</text:span>"#);
                    }
                    if let Some(link) = &run.link {
                        piece = format!(r#"<text:a xlink:type="simple" xlink:href="{}" text:style-name="Internet_20_link">{piece}</text:a>"#, escape_markup(link));
                    }
                    self.body.push_str(&piece);
                }
                Inline::Break => self.body.push_str("<text:line-break/>"),
                Inline::Image(image) => self.image(image),
            }
        }
    }

    /// A picture as a character, at 96 dpi, at most 6.3 inches wide; without bytes, its alt text.
    fn image(&mut self, image: &Image) {
        let Some((data, info)) = image.data.as_ref().and_then(|d| EmbeddedImage::probe(d).map(|i| (d, i))) else {
            self.body.push_str(&text(if image.alt.is_empty() { &image.src } else { &image.alt }));
            return;
        };
        let path = format!("Pictures/image{}.{}", self.pictures.len() + 1, info.extension);
        let (mut width, mut height) = (f64::from(info.width) / 96.0, f64::from(info.height) / 96.0);
        if width > 6.3 {
            height *= 6.3 / width;
            width = 6.3;
        }
        let _ = write!(
            self.body,
            r#"<draw:frame text:anchor-type="as-char" svg:width="{width:.3}in" svg:height="{height:.3}in"><draw:image xlink:href="{path}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/><svg:title>{}</svg:title></draw:frame>"#,
            escape_markup(&image.alt)
        );
        self.pictures.push((path, info.mime, data.clone()));
    }

    fn paragraph(&mut self, style: &str, content: &[Inline]) {
        let _ = write!(self.body, r#"<text:p text:style-name="{style}">"#);
        self.inlines(content);
        self.body.push_str("</text:p>");
    }

    fn blocks(&mut self, blocks: &[Block], style: &str) {
        for block in blocks {
            match block {
                Block::Heading { level, content } => {
                    let level = (*level).clamp(1, 6);
                    let _ = write!(self.body, r#"<text:h text:style-name="Heading_20_{level}" text:outline-level="{level}">"#);
                    self.inlines(content);
                    self.body.push_str("</text:h>");
                }
                Block::Paragraph(content) => self.paragraph(style, content),
                Block::List { numbering, start, items } => {
                    let list_style = list_style_name(*numbering);
                    let _ = write!(self.body, r#"<text:list text:style-name="{list_style}">"#);
                    for (i, item) in items.iter().enumerate() {
                        if i == 0 && numbering.is_ordered() && *start != 1 {
                            let _ = write!(self.body, r#"<text:list-item text:start-value="{start}">"#);
                        } else {
                            self.body.push_str("<text:list-item>");
                        }
                        if !matches!(item.first(), Some(Block::Paragraph(_))) {
                            self.body.push_str(&format!(r#"<text:p text:style-name="{style}"/>"#));
                        }
                        self.blocks(item, style);
                        self.body.push_str("</text:list-item>");
                    }
                    self.body.push_str("</text:list>");
                }
                Block::Table(table) => self.table(table),
                Block::Image(image) => {
                    let _ = write!(self.body, r#"<text:p text:style-name="{style}">"#);
                    self.image(image);
                    self.body.push_str("</text:p>");
                }
                Block::CodeBlock { text: code, .. } => {
                    for line in code.trim_end_matches('\n').split('\n') {
                        let _ = write!(self.body, r#"<text:p text:style-name="Preformatted_20_Text">{}</text:p>"#, text(line));
                    }
                }
                Block::Quote(inner) => self.blocks(inner, "Quotations"),
                Block::Rule => self.body.push_str(r#"<text:p text:style-name="Horizontal_20_Line"/>"#),
                Block::PageBreak => self.body.push_str(r#"<text:p text:style-name="PageBreak"/>"#),
            }
        }
    }

    fn table(&mut self, table: &TableBlock) {
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        self.tables += 1;
        let _ = write!(self.body, r#"<table:table table:name="Table{}"><table:table-column table:number-columns-repeated="{columns}"/>"#, self.tables);
        for (r, row) in table.rows.iter().enumerate() {
            let header = r < table.header_rows;
            if header && r == 0 {
                self.body.push_str("<table:table-header-rows>");
            }
            self.body.push_str("<table:table-row>");
            for c in 0..columns {
                self.body.push_str(r#"<table:table-cell table:style-name="Cell" office:value-type="string">"#);
                let style = if header { "Table_20_Heading" } else { "Table_20_Contents" };
                self.paragraph(style, row.get(c).map(Vec::as_slice).unwrap_or(&[]));
                self.body.push_str("</table:table-cell>");
            }
            self.body.push_str("</table:table-row>");
            if header && r + 1 == table.header_rows.min(table.rows.len()) {
                self.body.push_str("</table:table-header-rows>");
            }
        }
        self.body.push_str("</table:table>");
    }
}
