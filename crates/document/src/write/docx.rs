//! DOCX: WordprocessingML written directly: styles with Word's built-in
//! names (so Word, LibreOffice and pandoc recognise headings, code, quotes
//! and the title), one numbering instance per list (ordered lists restart
//! and keep their start), tables with a bordered grid style and repeated
//! header rows, hyperlinks as external relationships, embedded images in
//! `word/media/`, title and author in `docProps/core.xml`.

use std::io::Write;

use fileconv_core::{escape_markup, Block, Context, Document, Image, Inline, Numbering, Result, Run, TableBlock, Value};
use fileconv_zip::Package;

use fileconv_core::EmbeddedImage;

const CONTENT_TYPES_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const MONO: &str = r#"<w:rFonts w:ascii="Courier New" w:hAnsi="Courier New" w:cs="Courier New"/>"#;

fn styles() -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/><w:sz w:val="22"/><w:lang w:val="en-US"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:jc w:val="center"/><w:spacing w:before="240" w:after="240"/></w:pPr><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Author"><w:name w:val="Author"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:jc w:val="center"/></w:pPr></w:style>"#,
    );
    for (level, size) in [(1, 36), (2, 30), (3, 26), (4, 24), (5, 22), (6, 22)] {
        s.push_str(&format!(
            r#"<w:style w:type="paragraph" w:styleId="Heading{level}"><w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="80"/><w:outlineLvl w:val="{}"/></w:pPr><w:rPr><w:b/><w:sz w:val="{size}"/></w:rPr></w:style>"#,
            level - 1
        ));
    }
    s.push_str(&format!(
        r#"<w:style w:type="paragraph" w:styleId="SourceCode"><w:name w:val="Source Code"/><w:basedOn w:val="Normal"/><w:pPr><w:shd w:val="clear" w:color="auto" w:fill="F6F6F6"/><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr>{MONO}<w:sz w:val="20"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="BlockText"><w:name w:val="Block Text"/><w:basedOn w:val="Normal"/><w:pPr><w:pBdr><w:left w:val="single" w:sz="12" w:space="8" w:color="CCCCCC"/></w:pBdr><w:ind w:left="480"/></w:pPr></w:style><w:style w:type="character" w:styleId="VerbatimChar"><w:name w:val="Verbatim Char"/><w:rPr>{MONO}<w:sz w:val="20"/></w:rPr></w:style><w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:left w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:right w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="999999"/></w:tblBorders><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblStylePr w:type="firstRow"><w:rPr><w:b/></w:rPr></w:tblStylePr></w:style></w:styles>"#
    ));
    s
}

/// Word's `numFmt` for a counting style.
fn word_format(numbering: Numbering) -> &'static str {
    match numbering {
        Numbering::Bullet => "bullet",
        Numbering::Decimal => "decimal",
        Numbering::LowerAlpha => "lowerLetter",
        Numbering::UpperAlpha => "upperLetter",
        Numbering::LowerRoman => "lowerRoman",
        Numbering::UpperRoman => "upperRoman",
    }
}

/// Word's numbering: one abstract definition per counting style (in the
/// order of [`Numbering::ALL`]), nine levels each;
/// one `w:num` per list so each list counts from its own start.
fn numbering(lists: &[(Numbering, u64)]) -> String {
    let mut s = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#);
    for (id, style) in Numbering::ALL.into_iter().enumerate() {
        let format = word_format(style);
        s.push_str(&format!(r#"<w:abstractNum w:abstractNumId="{id}"><w:multiLevelType w:val="hybridMultilevel"/>"#));
        for level in 0..9 {
            let indent = 720 * (level + 1);
            let text = if style.is_ordered() { format!("%{}.", level + 1) } else { ["•", "◦", "▪"][level % 3].to_string() };
            s.push_str(&format!(r#"<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{format}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{indent}" w:hanging="360"/></w:pPr></w:lvl>"#));
        }
        s.push_str("</w:abstractNum>");
    }
    for (i, (numbering, start)) in lists.iter().enumerate() {
        let abstract_id = Numbering::ALL.iter().position(|style| style == numbering).unwrap_or(0);
        s.push_str(&format!(r#"<w:num w:numId="{}"><w:abstractNumId w:val="{abstract_id}"/>"#, i + 1));
        for level in 0..9 {
            s.push_str(&format!(r#"<w:lvlOverride w:ilvl="{level}"><w:startOverride w:val="{start}"/></w:lvlOverride>"#));
        }
        s.push_str("</w:num>");
    }
    s.push_str("</w:numbering>");
    s
}

/// Where a paragraph sits: its list numbering or indentation, its style.
#[derive(Clone, Copy, Default)]
struct Place<'a> {
    style: Option<&'a str>,
    /// (numbering instance, level) for the first paragraph of a list item.
    number: Option<(usize, usize)>,
    /// Left indent in twentieths of a point (list continuation, nested content).
    indent: u32,
}

#[derive(Default)]
struct Writer {
    body: String,
    /// (id, type, target, external)
    rels: Vec<(String, &'static str, String, bool)>,
    media: Vec<(String, Vec<u8>)>,
    extensions: Vec<(&'static str, &'static str)>,
    lists: Vec<(Numbering, u64)>,
    drawings: usize,
}

const REL_HYPERLINK: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";
const REL_IMAGE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";

/// # Errors
/// [`fileconv_core::Error::LimitExceeded`] past `max_output_bytes`;
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let doc = value.into_document(ctx)?;
    let mut w = Writer::default();
    w.rels.push(("rIdStyles".into(), "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles", "styles.xml".into(), false));
    w.rels.push(("rIdNumbering".into(), "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering", "numbering.xml".into(), false));
    if let Some(title) = &doc.title {
        w.body.push_str(&format!(r#"<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr>{}</w:p>"#, text_run(title, "")));
    }
    if let Some(author) = &doc.author {
        w.body.push_str(&format!(r#"<w:p><w:pPr><w:pStyle w:val="Author"/></w:pPr>{}</w:p>"#, text_run(author, "")));
    }
    w.blocks(&doc.blocks, Place::default());

    let mut package = Package::new(ctx.limits, "docx");
    let mut types = String::from(CONTENT_TYPES_HEAD);
    for (extension, mime) in &w.extensions {
        types.push_str(&format!(r#"<Default Extension="{extension}" ContentType="{mime}"/>"#));
    }
    types.push_str("</Types>");
    package.file("[Content_Types].xml", types.as_bytes())?;
    package.file("_rels/.rels", PACKAGE_RELS.as_bytes())?;
    package.file("docProps/core.xml", core_properties(&doc).as_bytes())?;
    package.file("word/styles.xml", styles().as_bytes())?;
    package.file("word/numbering.xml", numbering(&w.lists).as_bytes())?;
    let mut rels = String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
    for (id, kind, target, external) in &w.rels {
        let mode = if *external { r#" TargetMode="External""# } else { "" };
        rels.push_str(&format!(r#"<Relationship Id="{id}" Type="{kind}" Target="{}"{mode}/>"#, escape_markup(target)));
    }
    rels.push_str("</Relationships>");
    package.file("word/_rels/document.xml.rels", rels.as_bytes())?;
    for (path, bytes) in &w.media {
        package.file(path, bytes)?;
    }
    let main = package.start("word/document.xml")?;
    main.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>"#)?;
    main.write_all(w.body.as_bytes())?;
    main.write_all(br#"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#)?;
    package.finish(out)
}

fn core_properties(doc: &Document) -> String {
    let field = |tag: &str, value: &Option<String>| value.as_ref().map(|v| format!("<{tag}>{}</{tag}>", escape_markup(v))).unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">{}{}</cp:coreProperties>"#,
        field("dc:title", &doc.title),
        field("dc:creator", &doc.author)
    )
}

/// A plain run of text (tabs and line breaks as Word's elements), with run properties `props`.
fn text_run(text: &str, props: &str) -> String {
    let mut s = String::new();
    let rpr = if props.is_empty() { String::new() } else { format!("<w:rPr>{props}</w:rPr>") };
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            s.push_str(&format!("<w:r>{rpr}<w:br/></w:r>"));
        }
        for (j, piece) in line.split('\t').enumerate() {
            if j > 0 {
                s.push_str(&format!("<w:r>{rpr}<w:tab/></w:r>"));
            }
            if !piece.is_empty() {
                s.push_str(&format!(r#"<w:r>{rpr}<w:t xml:space="preserve">{}</w:t></w:r>"#, escape_markup(piece)));
            }
        }
    }
    s
}

fn run_properties(run: &Run) -> String {
    let mut p = String::new();
    if run.code {
        p.push_str(r#"<w:rStyle w:val="VerbatimChar"/>"#);
    } else if run.link.is_some() {
        p.push_str(r#"<w:rStyle w:val="Hyperlink"/>"#);
    }
    if run.bold {
        p.push_str("<w:b/>");
    }
    if run.italic {
        p.push_str("<w:i/>");
    }
    if run.underline {
        p.push_str(r#"<w:u w:val="single"/>"#);
    }
    if run.strike {
        p.push_str("<w:strike/>");
    }
    p
}

impl Writer {
    fn relationship(&mut self, kind: &'static str, target: String, external: bool) -> String {
        let id = format!("rId{}", self.rels.len() + 1);
        self.rels.push((id.clone(), kind, target, external));
        id
    }

    fn paragraph(&mut self, place: Place<'_>, content: &[Inline]) {
        self.body.push_str("<w:p>");
        self.paragraph_properties(place);
        self.inlines(content);
        self.body.push_str("</w:p>");
    }

    fn paragraph_properties(&mut self, place: Place<'_>) {
        let mut p = String::new();
        if let Some(style) = place.style {
            p.push_str(&format!(r#"<w:pStyle w:val="{style}"/>"#));
        }
        if let Some((num, level)) = place.number {
            p.push_str(&format!(r#"<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>"#));
        } else if place.indent > 0 {
            p.push_str(&format!(r#"<w:ind w:left="{}"/>"#, place.indent));
        }
        if !p.is_empty() {
            self.body.push_str(&format!("<w:pPr>{p}</w:pPr>"));
        }
    }

    fn inlines(&mut self, content: &[Inline]) {
        let mut i = 0;
        while i < content.len() {
            match &content[i] {
                Inline::Text(run) if run.link.is_some() => {
                    // Consecutive runs with one target share one hyperlink.
                    let link = run.link.clone().unwrap_or_default();
                    let id = if let Some(anchor) = link.strip_prefix('#') {
                        format!(r#"w:anchor="{}""#, escape_markup(anchor))
                    } else {
                        format!(r#"r:id="{}""#, self.relationship(REL_HYPERLINK, link.clone(), true))
                    };
                    self.body.push_str(&format!("<w:hyperlink {id}>"));
                    while let Some(Inline::Text(r)) = content.get(i).filter(|x| matches!(x, Inline::Text(r) if r.link.as_ref() == Some(&link))) {
                        self.body.push_str(&text_run(&r.text, &run_properties(r)));
                        i += 1;
                    }
                    self.body.push_str("</w:hyperlink>");
                    continue;
                }
                Inline::Text(run) => self.body.push_str(&text_run(&run.text, &run_properties(run))),
                Inline::Break => self.body.push_str("<w:r><w:br/></w:r>"),
                Inline::Image(image) => self.image(image),
            }
            i += 1;
        }
    }

    /// An inline picture, at 96 dpi, at most 6 inches wide; without bytes, its alt text.
    fn image(&mut self, image: &Image) {
        let Some((data, info)) = image.data.as_ref().and_then(|d| EmbeddedImage::probe(d).map(|i| (d, i))) else {
            let text = if image.alt.is_empty() { &image.src } else { &image.alt };
            self.body.push_str(&text_run(text, ""));
            return;
        };
        self.drawings += 1;
        let n = self.drawings;
        let name = format!("image{n}.{}", info.extension);
        if !self.extensions.iter().any(|(e, _)| *e == info.extension) {
            self.extensions.push((info.extension, info.mime));
        }
        self.media.push((format!("word/media/{name}"), data.clone()));
        let id = self.relationship(REL_IMAGE, format!("media/{name}"), false);
        const EMU_PER_PIXEL: u64 = 9525;
        const MAX_WIDTH: u64 = 6 * 914_400;
        let (mut cx, mut cy) = (u64::from(info.width) * EMU_PER_PIXEL, u64::from(info.height) * EMU_PER_PIXEL);
        if cx > MAX_WIDTH {
            cy = cy * MAX_WIDTH / cx;
            cx = MAX_WIDTH;
        }
        let alt = escape_markup(&image.alt);
        self.body.push_str(&format!(
            r#"<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{n}" name="Picture {n}" descr="{alt}"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="{n}" name="{name}"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="{id}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#
        ));
    }

    fn blocks(&mut self, blocks: &[Block], place: Place<'_>) {
        for block in blocks {
            self.block(block, place);
        }
    }

    fn block(&mut self, block: &Block, place: Place<'_>) {
        match block {
            Block::Heading { level, content } => {
                let style = format!("Heading{}", (*level).clamp(1, 6));
                self.paragraph(Place { style: Some(&style), number: None, indent: 0 }, content);
            }
            Block::Paragraph(content) => self.paragraph(place, content),
            Block::List { numbering, start, items } => {
                self.lists.push((*numbering, *start));
                let num = self.lists.len();
                let level = match place.number {
                    Some((_, level)) => level + 1,
                    None => (place.indent / 720) as usize,
                }
                .min(8);
                for item in items {
                    for (i, child) in item.iter().enumerate() {
                        let child_place = if i == 0 && matches!(child, Block::Paragraph(_)) {
                            Place { style: place.style, number: Some((num, level)), indent: 0 }
                        } else {
                            Place { style: place.style, number: None, indent: 720 * (level as u32 + 1) }
                        };
                        match child {
                            Block::List { .. } => self.block(child, Place { number: Some((num, level)), ..child_place }),
                            _ => self.block(child, child_place),
                        }
                    }
                }
            }
            Block::Table(table) => self.table(table),
            Block::Image(image) => {
                self.body.push_str("<w:p>");
                self.paragraph_properties(place);
                self.image(image);
                self.body.push_str("</w:p>");
            }
            Block::CodeBlock { text, .. } => {
                self.body.push_str("<w:p>");
                self.paragraph_properties(Place { style: Some("SourceCode"), ..place });
                self.body.push_str(&text_run(text.trim_end_matches('\n'), ""));
                self.body.push_str("</w:p>");
            }
            Block::Quote(inner) => self.blocks(inner, Place { style: Some("BlockText"), ..place }),
            Block::Rule => self.body.push_str(r#"<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr></w:pPr></w:p>"#),
            Block::PageBreak => self.body.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#),
        }
    }

    fn table(&mut self, table: &TableBlock) {
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        let width = 9026 / columns;
        self.body.push_str(r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>"#);
        for _ in 0..columns {
            self.body.push_str(&format!(r#"<w:gridCol w:w="{width}"/>"#));
        }
        self.body.push_str("</w:tblGrid>");
        for (r, row) in table.rows.iter().enumerate() {
            let header = r < table.header_rows;
            self.body.push_str("<w:tr>");
            if header {
                self.body.push_str("<w:trPr><w:tblHeader/></w:trPr>");
            }
            for c in 0..columns {
                self.body.push_str(&format!(r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p>"#));
                if let Some(cell) = row.get(c) {
                    self.inlines(cell);
                }
                self.body.push_str("</w:p></w:tc>");
            }
            self.body.push_str("</w:tr>");
        }
        self.body.push_str("</w:tbl>");
    }
}
