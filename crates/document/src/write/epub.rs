//! EPUB 3: `mimetype` stored first, the container, a package document
//! (title, author, language, a stable identifier from the content, the
//! modification time), a navigation document listing the chapters, one
//! XHTML chapter per level-1 heading (the HTML writer's markup), a small
//! style sheet, and the images the document holds, each stored once.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use fileconv_core::{escape_markup, plain_text, Block, Context, EmbeddedImage, Image, Result, Value};
use fileconv_zip::Package;

const CONTAINER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="EPUB/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;

const CSS: &str = "body{font-family:serif;line-height:1.5;margin:0 5%}table{border-collapse:collapse}th,td{border:1px solid #999;padding:.2em .4em}pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em}blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1em}";

/// FNV-1a, 64 bits.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// # Errors
/// [`fileconv_core::Error::LimitExceeded`] past `max_output_bytes`;
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let doc = value.into_document(ctx)?;
    let title = doc.display_title().unwrap_or_else(|| "Untitled".to_string());
    // Chapters: a new one at each level-1 heading after the first block.
    let mut chapters: Vec<&[Block]> = Vec::new();
    let mut start = 0;
    for (i, block) in doc.blocks.iter().enumerate() {
        if i > start && matches!(block, Block::Heading { level: 1, .. }) {
            chapters.push(&doc.blocks[start..i]);
            start = i;
        }
    }
    chapters.push(&doc.blocks[start..]);

    let mut media: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    // Each distinct image once, found by a hash of its bytes.
    let mut stored: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut image_src = |image: &Image| -> String {
        let Some((data, info)) = image.data.as_ref().and_then(|d| EmbeddedImage::probe(d).map(|i| (d, i))) else { return image.src.clone() };
        if !matches!(info.extension, "png" | "jpeg" | "gif" | "webp") {
            return image.src.clone();
        }
        let same = stored.entry(fnv(data)).or_default();
        if let Some(&i) = same.iter().find(|&&i| media[i].2 == *data) {
            return format!("../{}", media[i].0);
        }
        let name = format!("media/image{}.{}", media.len() + 1, info.extension);
        same.push(media.len());
        media.push((name.clone(), info.mime, data.clone()));
        format!("../{name}")
    };
    let mut files = Vec::new();
    let mut toc = Vec::new();
    for (n, blocks) in chapters.iter().enumerate() {
        let name = format!("text/ch{:03}.xhtml", n + 1);
        let heading = blocks.iter().find_map(|b| match b {
            Block::Heading { content, .. } => Some(plain_text(content)),
            _ => None,
        });
        let chapter_title = heading.clone().unwrap_or_else(|| title.clone());
        let mut body = String::new();
        super::html::body(&mut body, blocks, &mut image_src);
        let xhtml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\">\n<head>\n<meta charset=\"utf-8\" />\n<title>{}</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"../styles.css\" />\n</head>\n<body>\n<section epub:type=\"chapter\">\n{body}</section>\n</body>\n</html>\n",
            escape_markup(&chapter_title)
        );
        toc.push((name.clone(), chapter_title));
        files.push((name, xhtml));
    }
    let mut nav = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\">\n<head><meta charset=\"utf-8\" /><title>Contents</title></head>\n<body>\n<nav epub:type=\"toc\" id=\"toc\"><h1>Contents</h1><ol>\n");
    for (name, chapter) in &toc {
        let _ = writeln!(nav, "<li><a href=\"{name}\">{}</a></li>", escape_markup(chapter));
    }
    nav.push_str("</ol></nav>\n</body>\n</html>\n");

    // A stable identifier: the same document gives the same EPUB.
    let hash = files.iter().fold(0u64, |h, (_, xhtml)| h.rotate_left(5) ^ fnv(xhtml.as_bytes()));
    let mut opf = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"id\">\n<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<dc:identifier id=\"id\">urn:fileconv:{hash:016x}</dc:identifier>\n<dc:title>{}</dc:title>\n<dc:language>en</dc:language>\n",
        escape_markup(&title)
    );
    if let Some(author) = &doc.author {
        let _ = writeln!(opf, "<dc:creator>{}</dc:creator>", escape_markup(author));
    }
    opf.push_str("<meta property=\"dcterms:modified\">2000-01-01T00:00:00Z</meta>\n</metadata>\n<manifest>\n<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n<item id=\"css\" href=\"styles.css\" media-type=\"text/css\"/>\n");
    for (i, (name, _)) in files.iter().enumerate() {
        let _ = writeln!(opf, "<item id=\"ch{}\" href=\"{name}\" media-type=\"application/xhtml+xml\"/>", i + 1);
    }
    for (i, (name, mime, _)) in media.iter().enumerate() {
        let _ = writeln!(opf, "<item id=\"img{}\" href=\"{name}\" media-type=\"{mime}\"/>", i + 1);
    }
    opf.push_str("</manifest>\n<spine>\n");
    for i in 0..files.len() {
        let _ = writeln!(opf, "<itemref idref=\"ch{}\"/>", i + 1);
    }
    opf.push_str("</spine>\n</package>\n");

    let mut package = Package::new(ctx.limits, "epub");
    package.stored("mimetype", b"application/epub+zip")?;
    package.file("META-INF/container.xml", CONTAINER.as_bytes())?;
    package.file("EPUB/content.opf", opf.as_bytes())?;
    package.file("EPUB/nav.xhtml", nav.as_bytes())?;
    package.file("EPUB/styles.css", CSS.as_bytes())?;
    for (name, xhtml) in &files {
        package.file(&format!("EPUB/{name}"), xhtml.as_bytes())?;
    }
    for (name, _, bytes) in &media {
        package.file(&format!("EPUB/{name}"), bytes)?;
    }
    package.finish(out)
}
