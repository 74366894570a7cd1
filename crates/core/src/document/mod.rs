//! The [`Document`] value: a tree of blocks (headings, paragraphs of styled
//! runs, lists, tables, images, code, quotes, page breaks) and metadata.
//! Readers build it whole, or defer it ([`deferred`]: office files, which
//! also carry a page layer); its size is bounded by the input's, and its
//! depth by [`MAX_DEPTH`], which every reader enforces so writers may recurse.

pub mod deferred;
pub mod fixed;
pub mod flow;
pub mod grid;

/// Deepest nesting of lists and quotes a reader may build.
pub const MAX_DEPTH: usize = 64;

/// A document: metadata and blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub title: Option<String>,
    pub author: Option<String>,
    pub blocks: Vec<Block>,
    /// The pages as the source laid them out (slides), for writers of
    /// pages; empty for flowing sources. See [`fixed`].
    pub fixed_pages: Vec<fixed::FixedPage>,
    /// The text as a word processor sets it on pages (page setup, resolved
    /// styles), for writers of pages; `None` for sources without one. See [`fixed`].
    pub page_flow: Option<fixed::PageFlow>,
    /// A spreadsheet's sheets as they print, for writers of pages; empty
    /// for other sources. See [`grid`].
    pub sheet_grids: Vec<grid::SheetGrid>,
    /// Where the three above come from when the reader defers them
    /// ([`Document::read_pages`] fills them in).
    pub lazy_pages: Option<deferred::LazyPages>,
    /// Where the blocks, title and author come from when the reader defers
    /// them ([`Document::read_flow`] fills them in; see [`deferred`]).
    pub lazy_flow: Option<deferred::LazyFlow>,
}

/// A block of a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Level 1 to 6.
    Heading { level: u8, content: Vec<Inline> },
    Paragraph(Vec<Inline>),
    /// Each item is a list of blocks (a paragraph, then maybe a nested list).
    List { numbering: Numbering, start: u64, items: Vec<Vec<Block>> },
    Table(TableBlock),
    Image(Image),
    CodeBlock { language: Option<String>, text: String },
    Quote(Vec<Block>),
    /// A horizontal rule.
    Rule,
    PageBreak,
}

/// How a list's items are marked: bullets, or numbers in one of the
/// counting styles word processors and HTML share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Numbering {
    #[default]
    Bullet,
    Decimal,
    /// a, b, ... z, aa, ab ...
    LowerAlpha,
    UpperAlpha,
    /// i, ii, iii, iv ...
    LowerRoman,
    UpperRoman,
}

impl Numbering {
    /// Every style, bullets first.
    pub const ALL: [Numbering; 6] = [Numbering::Bullet, Numbering::Decimal, Numbering::LowerAlpha, Numbering::UpperAlpha, Numbering::LowerRoman, Numbering::UpperRoman];

    pub fn is_ordered(self) -> bool {
        self != Numbering::Bullet
    }

    /// The label of item `number` without punctuation ("3", "c", "iii"),
    /// `None` for bullets. Letters go on as a spreadsheet's columns do
    /// (z, aa, ab); Roman numerals above 3999 and 0 fall back to digits.
    pub fn label(self, number: u64) -> Option<String> {
        let letters = |upper: bool| {
            let mut n = number;
            let mut out = Vec::new();
            while n > 0 {
                n -= 1;
                out.push(if upper { b'A' } else { b'a' } + (n % 26) as u8);
                n /= 26;
            }
            out.reverse();
            String::from_utf8(out).expect("ASCII letters")
        };
        let roman = |upper: bool| {
            const PARTS: [(u64, &str); 13] =
                [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")];
            let mut n = number;
            let mut out = String::new();
            for (value, text) in PARTS {
                while n >= value {
                    out.push_str(text);
                    n -= value;
                }
            }
            if upper {
                out.make_ascii_uppercase();
            }
            out
        };
        Some(match self {
            Numbering::Bullet => return None,
            Numbering::LowerAlpha | Numbering::UpperAlpha if number == 0 => number.to_string(),
            Numbering::LowerRoman | Numbering::UpperRoman if number == 0 || number > 3999 => number.to_string(),
            Numbering::Decimal => number.to_string(),
            Numbering::LowerAlpha => letters(false),
            Numbering::UpperAlpha => letters(true),
            Numbering::LowerRoman => roman(false),
            Numbering::UpperRoman => roman(true),
        })
    }

    /// The style of a one-character counter code as HTML's `<ol type>` and
    /// ODF's `style:num-format` spell it ("1", "a", "A", "i", "I").
    pub fn from_code(code: &str) -> Option<Numbering> {
        Some(match code {
            "1" => Numbering::Decimal,
            "a" => Numbering::LowerAlpha,
            "A" => Numbering::UpperAlpha,
            "i" => Numbering::LowerRoman,
            "I" => Numbering::UpperRoman,
            _ => return None,
        })
    }

    /// The code [`Numbering::from_code`] reads; `None` for bullets.
    pub fn code(self) -> Option<&'static str> {
        Some(match self {
            Numbering::Bullet => return None,
            Numbering::Decimal => "1",
            Numbering::LowerAlpha => "a",
            Numbering::UpperAlpha => "A",
            Numbering::LowerRoman => "i",
            Numbering::UpperRoman => "I",
        })
    }
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

/// Calls `f` on every image of a block list, inline or block, however deep.
pub fn visit_images(blocks: &mut [Block], f: &mut dyn FnMut(&mut Image)) {
    fn inlines(list: &mut [Inline], f: &mut dyn FnMut(&mut Image)) {
        for inline in list {
            if let Inline::Image(image) = inline {
                f(image);
            }
        }
    }
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => inlines(content, f),
            Block::List { items, .. } => items.iter_mut().for_each(|item| visit_images(item, f)),
            Block::Quote(inner) => visit_images(inner, f),
            Block::Table(table) => table.rows.iter_mut().flatten().for_each(|cell| inlines(cell, f)),
            Block::Image(image) => f(image),
            Block::CodeBlock { .. } | Block::Rule | Block::PageBreak => {}
        }
    }
}

impl Document {
    /// The pictures whose bytes the document holds, in reading order,
    /// however deep they stand (in lists, tables, quotes).
    pub fn pictures(&self) -> Vec<&Image> {
        fn inlines<'a>(list: &'a [Inline], found: &mut Vec<&'a Image>) {
            found.extend(list.iter().filter_map(|i| match i {
                Inline::Image(image) if image.data.is_some() => Some(image),
                _ => None,
            }));
        }
        fn blocks<'a>(list: &'a [Block], found: &mut Vec<&'a Image>) {
            for block in list {
                match block {
                    Block::Heading { content, .. } | Block::Paragraph(content) => inlines(content, found),
                    Block::List { items, .. } => items.iter().for_each(|item| blocks(item, found)),
                    Block::Table(table) => table.rows.iter().flatten().for_each(|cell| inlines(cell, found)),
                    Block::Image(image) if image.data.is_some() => found.push(image),
                    Block::Quote(inner) => blocks(inner, found),
                    _ => {}
                }
            }
        }
        let mut found = Vec::new();
        blocks(&self.blocks, &mut found);
        found
    }

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
    fn list_labels_count_in_each_style() {
        let labels = |n: Numbering| [1, 4, 26, 27, 1994].map(|i| n.label(i).unwrap());
        assert_eq!(labels(Numbering::Decimal), ["1", "4", "26", "27", "1994"]);
        assert_eq!(labels(Numbering::LowerAlpha), ["a", "d", "z", "aa", "bxr"]);
        assert_eq!(labels(Numbering::UpperRoman), ["I", "IV", "XXVI", "XXVII", "MCMXCIV"]);
        assert_eq!(Numbering::LowerRoman.label(4000).as_deref(), Some("4000"));
        assert_eq!(Numbering::Bullet.label(1), None);
        for n in Numbering::ALL.into_iter().skip(1) {
            assert_eq!(n.code().and_then(Numbering::from_code), Some(n));
        }
    }

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
