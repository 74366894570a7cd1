//! The [`Document`] value: a tree of blocks (headings, paragraphs of styled
//! runs, lists, tables, images, code, quotes, page breaks) and metadata.
//! Readers build it whole; its size is bounded by the input's, and its depth
//! by [`MAX_DEPTH`], which every reader enforces so writers may recurse.

pub mod flow;

/// Deepest nesting of lists and quotes a reader may build.
pub const MAX_DEPTH: usize = 64;

/// A document: metadata and blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub title: Option<String>,
    pub author: Option<String>,
    pub blocks: Vec<Block>,
}

/// A block of a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Level 1 to 6.
    Heading { level: u8, content: Vec<Inline> },
    Paragraph(Vec<Inline>),
    /// Each item is a list of blocks (a paragraph, then maybe a nested list).
    List { ordered: bool, start: u64, items: Vec<Vec<Block>> },
    Table(TableBlock),
    Image(Image),
    CodeBlock { language: Option<String>, text: String },
    Quote(Vec<Block>),
    /// A horizontal rule.
    Rule,
    PageBreak,
}

/// A table: rows of cells, each cell a run of inlines; the first
/// `header_rows` rows are headers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableBlock {
    pub header_rows: usize,
    pub rows: Vec<Vec<Vec<Inline>>>,
}

/// An image: where it points, and its bytes when the source holds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Image {
    pub src: String,
    pub alt: String,
    /// The image file itself (from a docx, an epub, a data: URI).
    pub data: Option<Vec<u8>>,
}

/// Inline content of a paragraph, heading or table cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(Run),
    /// A hard line break.
    Break,
    Image(Image),
}

/// Text with one style throughout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub code: bool,
    pub link: Option<String>,
}

impl Run {
    pub fn plain(text: impl Into<String>) -> Self {
        Run { text: text.into(), ..Run::default() }
    }

    /// The same style with other text.
    pub fn with_text(&self, text: impl Into<String>) -> Self {
        Run { text: text.into(), ..self.clone() }
    }
}

/// The text of inlines, styles dropped, breaks as `\n`.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(run) => out.push_str(&run.text),
            Inline::Break => out.push('\n'),
            Inline::Image(image) => out.push_str(&image.alt),
        }
    }
    out
}

/// Text with the characters special to HTML and XML escaped (`&`, `<`,
/// `>`, `"`, `'`), for element content and attribute values alike; control
/// characters XML 1.0 forbids (all below U+0020 but tab, line feed and
/// carriage return; U+FFFE, U+FFFF) are dropped.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            _ => out.push(c),
        }
    }
    out
}

/// What a writer that embeds an image needs to know about its bytes.
pub struct EmbeddedImage {
    pub extension: &'static str,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
}

impl EmbeddedImage {
    /// The type and size of an image file, `None` when it is not a PNG,
    /// JPEG, GIF, BMP, TIFF or WebP (such images are written as their alt text).
    pub fn probe(bytes: &[u8]) -> Option<Self> {
        use imagesize::ImageType;
        let (extension, mime) = match imagesize::image_type(bytes).ok()? {
            ImageType::Png => ("png", "image/png"),
            ImageType::Jpeg => ("jpeg", "image/jpeg"),
            ImageType::Gif => ("gif", "image/gif"),
            ImageType::Bmp => ("bmp", "image/bmp"),
            ImageType::Tiff => ("tiff", "image/tiff"),
            ImageType::Webp => ("webp", "image/webp"),
            _ => return None,
        };
        let size = imagesize::blob_size(bytes).ok()?;
        let (width, height) = (u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?);
        (width > 0 && height > 0).then_some(EmbeddedImage { extension, mime, width, height })
    }
}

impl Document {
    /// The title, else the text of the first heading.
    pub fn display_title(&self) -> Option<String> {
        self.title.clone().or_else(|| {
            self.blocks.iter().find_map(|b| match b {
                Block::Heading { content, .. } => Some(plain_text(content)),
                _ => None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_text() {
        let doc = Document {
            blocks: vec![Block::Heading { level: 1, content: vec![Inline::Text(Run::plain("Hello")), Inline::Break, Inline::Text(Run::plain("there"))] }],
            ..Document::default()
        };
        assert_eq!(doc.display_title().as_deref(), Some("Hello\nthere"));
        let titled = Document { title: Some("T".into()), ..doc };
        assert_eq!(titled.display_title().as_deref(), Some("T"));
        assert_eq!(escape_markup("a<b>&\"'\t\u{1}\u{FFFF}z"), "a&lt;b&gt;&amp;&quot;&#39;\tz");
    }
}
