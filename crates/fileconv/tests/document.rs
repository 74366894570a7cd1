//! Documents: every readable fixture (made by pandoc) to every writable
//! format, read back by pandoc and compared with pandoc's own reading of the
//! fixture: the same words in the same order, and (for structured targets)
//! the same headings, lists, tables, code blocks and quotes.

mod common;

use std::process::Command;

use fileconv::{Error, Limits, Options};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::testdata().join("document").join(name)).unwrap()
}

/// Runs pandoc on `bytes` of pandoc's format `from`, to `to`.
/// The document `engine().decode` reads (its flowing tree read).
fn decoded(bytes: &[u8], format: &str) -> fileconv::Document {
    match fileconv::engine().decode(fileconv::Source::Bytes(bytes), format, &Options::new()).unwrap() {
        fileconv::Value::Document(document) => document,
        other => panic!("{format} read as {:?}, not a document", other.kind()),
    }
}

fn pandoc(bytes: &[u8], from: &str, to: &str) -> String {
    let path = std::env::temp_dir().join(format!("fileconv-doc-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pandoc").args(["-f", from, "-t", to, "--wrap=none", "--columns=100000"]).arg(&path).output().expect("pandoc runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pandoc -f {from}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The words of a text, markup-only tokens (list markers, table rules) left out.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| "|*_~`#>-=+:•–—◦▪●○■".contains(c)).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Block counts in pandoc's JSON AST: headers by level, lists, tables, code, quotes.
fn structure(json: &str) -> Vec<(String, usize)> {
    fn walk(v: &serde_json::Value, counts: &mut std::collections::BTreeMap<String, usize>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(t)) = map.get("t") {
                    let key = match (t.as_str(), map.get("c")) {
                        ("Header", Some(c)) => format!("Header{}", c[0]),
                        (t @ ("BulletList" | "OrderedList" | "Table" | "CodeBlock" | "BlockQuote" | "Link" | "Strong" | "Emph" | "Strikeout" | "Code"), _) => t.to_string(),
                        _ => String::new(),
                    };
                    if !key.is_empty() {
                        *counts.entry(key).or_default() += 1;
                    }
                }
                map.values().for_each(|x| walk(x, counts));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|x| walk(x, counts)),
            _ => {}
        }
    }
    let ast: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    walk(&ast["blocks"], &mut counts);
    counts.into_iter().collect()
}

fn convert(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    fileconv::engine().convert_with(bytes, from, to, &Options::new()).unwrap_or_else(|e| panic!("{from} to {to}: {e}"))
}

/// Every writable document format and how it is read back: by pandoc in
/// its format ("" for plain text, compared by words only), "libreoffice"
/// (LibreOffice opens it and saves HTML, which pandoc reads: pandoc's own
/// odt reader reads neither code blocks nor quotes nor table headers), or
/// "pdftotext" (poppler; words only).
const TARGETS: &[(&str, &str)] = &[("md", "gfm"), ("html", "html"), ("txt", ""), ("docx", "docx"), ("odt", "libreoffice"), ("epub", "epub"), ("pdf", "pdftotext")];

/// `bytes` (a file of `extension`) opened by LibreOffice and saved as HTML.
fn libreoffice_html(bytes: &[u8], extension: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("fileconv-lo-{}-{:?}", std::process::id(), std::thread::current().id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("doc.{extension}"));
    std::fs::write(&input, bytes).unwrap();
    // A profile of its own, so tests may run LibreOffice side by side.
    let profile = format!("-env:UserInstallation=file://{}", dir.join("profile").display());
    let out = Command::new("soffice")
        .args([profile.as_str(), "--headless", "--norestore", "--convert-to", "html", "--outdir"])
        .arg(&dir)
        .arg(&input)
        .output()
        .expect("soffice runs");
    let html = std::fs::read(dir.join("doc.html")).unwrap_or_else(|_| panic!("LibreOffice could not open the {extension}: {}", String::from_utf8_lossy(&out.stderr)));
    let _ = std::fs::remove_dir_all(&dir);
    html
}

/// What the reader `back` makes of `out`: its words, its structure.
fn read_back(out: &[u8], back: &str, target: &str) -> (Vec<String>, Option<Vec<(String, usize)>>, String) {
    match back {
        "" => {
            let text = String::from_utf8_lossy(out).into_owned();
            (words(&text), None, text)
        }
        "libreoffice" => read_back(&libreoffice_html(out, target), "html", target),
        "pdftotext" => {
            // A page's last line that is only a number is its page number (a footer's), not text.
            let text: String = common::pdftotext(out)
                .split('\x0c')
                .map(|page| {
                    let trimmed = page.trim_end();
                    match trimmed.rsplit_once('\n') {
                        Some((rest, last)) if !last.trim().is_empty() && last.trim().chars().all(|c| c.is_ascii_digit()) => format!("{rest}\n"),
                        None if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit()) => String::new(),
                        _ => page.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join("\x0c");
            (words(&text), None, text)
        }
        reader => (words(&pandoc(out, reader, "plain")), Some(structure(&pandoc(out, reader, "json"))), pandoc(out, reader, "markdown")),
    }
}

/// Title and author words of a document as pandoc reads it.
fn metadata_words(original: &[u8], reader: &str) -> Vec<String> {
    let ast: serde_json::Value = serde_json::from_str(&pandoc(original, reader, "json")).unwrap();
    let mut text = String::new();
    for key in ["title", "author"] {
        fn collect(v: &serde_json::Value, text: &mut String) {
            match v {
                serde_json::Value::Object(map) => {
                    if map.get("t").and_then(|t| t.as_str()) == Some("Str") {
                        text.push_str(map["c"].as_str().unwrap_or_default());
                        text.push(' ');
                    }
                    map.values().for_each(|x| collect(x, text));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|x| collect(x, text)),
                _ => {}
            }
        }
        collect(&ast["meta"][key], &mut text);
    }
    words(&text)
}

/// Converts `source` (of `from`, which pandoc reads as `reader`) to every
/// target, and checks each against pandoc's reading of the source: the same
/// words, and for structured targets the same structure. Returns what was expected.
fn converts_to_every_target(source: &[u8], from: &str, reader: &str) -> (Vec<String>, Vec<(String, usize)>) {
    converts_like(source, from, source, reader)
}

/// As [`converts_to_every_target`], the expectation taken from `original`
/// (of pandoc's format `reader`): for files another tool made from it, which
/// pandoc itself reads less well than the original (LibreOffice's code
/// blocks and nested lists, pandoc's own odt).
fn converts_like(source: &[u8], from: &str, original: &[u8], reader: &str) -> (Vec<String>, Vec<(String, usize)>) {
    let expected_words = words(&pandoc(original, reader, "plain"));
    let expected_structure = structure(&pandoc(original, reader, "json"));
    let metadata = metadata_words(original, reader);
    for &(target, back) in TARGETS {
        let out = convert(source, from, target);
        let (mut got, got_structure, shown) = read_back(&out, back, target);
        // Word processors and plain text show the title and author at the top, as text.
        if matches!(target, "docx" | "odt" | "pdf" | "txt") && got != expected_words && got.starts_with(&metadata) {
            got.drain(..metadata.len());
        }
        assert_eq!(got, expected_words, "{from} to {target}:\n{shown}");
        if let Some(got_structure) = got_structure {
            assert_eq!(got_structure, expected_structure, "{from} to {target}:\n{shown}");
        }
    }
    (expected_words, expected_structure)
}

#[test]
fn markdown_converts_to_every_target_keeping_text_and_structure() {
    let source = fixture("sample.md");
    let (expected_words, expected_structure) = converts_to_every_target(&source, "md", "gfm");
    assert!(expected_structure.iter().any(|(k, n)| k == "Table" && *n == 1), "{expected_structure:?}");
    assert!(expected_words.contains(&"日本語,".to_string()), "{expected_words:?}");
    let html = String::from_utf8(convert(&source, "md", "html")).unwrap();
    assert!(html.contains("<title>Sample Document</title>"), "the front matter's title");
    assert!(html.contains("<a href=\"https://example.com/path?q=1&amp;r=2\">"), "{html}");
    assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    assert!(html.contains("&lt;world&gt; &amp; friends"), "{html}");
}

#[test]
fn html_converts_to_every_target_keeping_text_and_structure() {
    let source = fixture("sample.html");
    let (_, expected_structure) = converts_to_every_target(&source, "html", "html");
    assert!(expected_structure.iter().any(|(k, n)| k == "BulletList" && *n == 2), "{expected_structure:?}");
    let md = String::from_utf8(convert(&source, "html", "md")).unwrap();
    assert!(md.starts_with("---\ntitle: \"Sample Document\""), "the <title> and author meta: {md}");
    // Deep nesting of plain containers costs nothing; of lists, an error.
    let divs = format!("{}text{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
    assert!(String::from_utf8(convert(divs.as_bytes(), "html", "txt")).unwrap().contains("text"));
    let lists = "<ul><li>".repeat(1000);
    assert!(matches!(fileconv::engine().convert(lists.as_bytes(), "html", "md"), Err(Error::LimitExceeded { what: "nesting depth", .. })));
    // List items outside any list (browsers show them) are kept, in order.
    let stray = String::from_utf8(convert(b"<p>before</p><li>one</li><li>two</li><p>after</p>", "html", "txt")).unwrap();
    let at = |needle: &str| stray.find(needle).unwrap_or_else(|| panic!("missing {needle}: {stray}"));
    assert!(at("before") < at("one") && at("one") < at("two") && at("two") < at("after"), "{stray}");
}

#[test]
fn docx_converts_to_every_target_keeping_text_and_structure() {
    let source = fixture("sample.docx");
    let (_, expected_structure) = converts_to_every_target(&source, "docx", "docx");
    assert!(expected_structure.iter().any(|(k, n)| k == "Table" && *n == 1), "{expected_structure:?}");
    let md = String::from_utf8(convert(&source, "docx", "md")).unwrap();
    assert!(md.contains("title: \"Sample Document\""), "{md}");
    // LibreOffice's docx of the same text (its own style names).
    converts_like(&fixture("libreoffice.docx"), "docx", &fixture("sample.md"), "gfm");
}

#[test]
fn odt_converts_to_every_target_keeping_text_and_structure() {
    // pandoc's odt reader loses the metadata, code blocks, quotes and table
    // headers that fileconv reads: both odt fixtures are held to the
    // Markdown they were made from.
    let source = fixture("sample.odt");
    converts_like(&source, "odt", &fixture("sample.md"), "gfm");
    let md = String::from_utf8(convert(&source, "odt", "md")).unwrap();
    assert!(md.contains("author: \"Ada Lovelace\""), "{md}");
    assert!(md.contains("    println!(\"Hello, <world> & friends\");"), "code keeps its indent: {md}");
    converts_like(&fixture("libreoffice.odt"), "odt", &fixture("sample.md"), "gfm");
}

#[test]
fn kindle_books_keep_their_text_in_order_their_metadata_and_pictures() {
    let expected = words(&pandoc(&fixture("sample.md"), "gfm", "plain"));
    for (file, format) in [("sample.mobi", "mobi"), ("sample.azw3", "azw3")] {
        let source = fixture(file);
        assert_eq!(fileconv::engine().detect(&source).map(|f| f.id), Some(format), "{file}");
        for &(target, back) in TARGETS {
            let out = convert(&source, format, target);
            let (got, _, shown) = read_back(&out, back, target);
            // calibre's book has the EPUB's title page before the text and its own contents after it.
            assert!(got.windows(expected.len()).any(|w| w == expected), "{file} to {target}: the text is not all there, in order:\n{shown}");
        }
    }
    // KF8 keeps the book's HTML: headings, lists, the table, the code block.
    let structure_of = |file: &str, format: &str| structure(&pandoc(&convert(&fixture(file), format, "html"), "html", "json"));
    let kf8 = structure_of("sample.azw3", "azw3");
    let original = structure(&pandoc(&fixture("sample.md"), "gfm", "json"));
    for kind in ["Table", "CodeBlock", "BlockQuote", "OrderedList"] {
        let count = |s: &[(String, usize)]| s.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
        assert!(count(&kf8) >= count(&original) && count(&original) > 0, "{kind}: {kf8:?} against {original:?}");
    }
    // Metadata from EXTH, non-ASCII text, the picture from its record.
    for (file, format) in [("ebook.mobi", "mobi"), ("ebook.azw3", "azw3"), ("joint.mobi", "mobi")] {
        let html = String::from_utf8(convert(&fixture(file), format, "html")).unwrap();
        assert!(html.contains("<title>A Small Book</title>") && html.contains("naïve café, 日本語"), "{file}: {html}");
        let md = String::from_utf8(convert(&fixture(file), format, "md")).unwrap();
        assert!(md.contains("author: \"Ada Lovelace\""), "{file}: {md}");
        let data = html.split("src=\"data:").nth(1).and_then(|rest| rest.split_once(";base64,")).map(|(_, b64)| b64.split('"').next().unwrap().to_string());
        let bytes = fileconv::io::base64_decode(&data.unwrap_or_else(|| panic!("{file}: no picture: {html}"))).unwrap();
        let picture = fileconv::image::load_from_memory(&bytes).unwrap();
        assert_eq!((picture.width(), picture.height()), (70, 46), "{file}: the rose");
    }
}

#[test]
fn kf8_chapters_are_put_together_from_their_skeletons_and_fragments() {
    // calibre keeps a long list's <ul> in the chapter's skeleton and its
    // items in fragments that go inside it: read in stored order, the items
    // fell after the skeleton's closing tags and were lost.
    let html = convert(&fixture("long-list.azw3"), "azw3", "html");
    let blocks = serde_json::from_str::<serde_json::Value>(&pandoc(&html, "html", "json")).unwrap()["blocks"].as_array().unwrap().clone();
    let lists: Vec<&serde_json::Value> = blocks.iter().filter(|b| b["t"] == "BulletList").collect();
    assert_eq!(lists.len(), 1, "one list: {lists:?}");
    let items = lists[0]["c"].as_array().unwrap();
    assert_eq!(items.len(), 400);
    let text = pandoc(&html, "html", "plain");
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("missing {needle}: {text}"));
    assert!(at("Before the list.") < at("Item 1: the quick") && at("Item 1: the quick") < at("Item 400: the quick") && at("Item 400: the quick") < at("After the list"));
    for n in 1..=400 {
        assert!(text.contains(&format!("Item {n}: the quick brown fox")), "item {n} is missing");
    }
    // With its fragment index damaged, the book is read in stored order and
    // says so: the items land after the list's skeleton, and are still kept
    // (an HTML <li> outside any list is read as a list of its own, as browsers show it).
    let damaged = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/decode_document/long-list.azw3.index")).unwrap();
    let mut out = Vec::new();
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&damaged[1..]), "azw3", "txt", &mut out, &Options::new(), &fileconv::Control::default()).unwrap();
    assert!(report.notes.iter().any(|n| n.contains("chapter index cannot be followed")), "{:?}", report.notes);
    let text = String::from_utf8(out).unwrap();
    assert!((1..=400).all(|n| text.contains(&format!("Item {n}: the quick brown fox"))), "{text}");
}

#[test]
fn huff_cdic_books_are_unpacked() {
    // libmobi's sample in Amazon's HUFF/CDIC compression (kindlegen's): its
    // text is its uncompressed edition's (sample-unicode-uncompressed.mobi,
    // 30,374 bytes as text) but for the title, 12 bytes shorter. A line from
    // each part of the book shows every text record unpacked in order.
    let text = String::from_utf8(convert(&fixture("huffdic.mobi"), "mobi", "txt")).unwrap();
    assert_eq!(text.len(), 30_374 - " test sample".len());
    let lines = [
        "This is a sample for testing libmobi project.",
        "EXTH_REVIEW = 107, /**< <review> */",
        "uint8_t attributes; /**< Record attributes */",
        "uint32_t *drm_offset; /**< 168: offset to DRM key info in DRMed files.",
        "uint32_t *fdst_section_starts; /**< Array of section start offsets */",
        "MOBI_EXPORT MOBI_RET mobi_get_embedded_source(unsigned char **data, si",
        "MOBI_EXPORT char * mobi_meta_get_isbn(const MOBIData *m);",
        "/** @} */ // end of mobi_export group",
    ];
    let at: Vec<usize> = lines.iter().map(|l| text.find(l).unwrap_or_else(|| panic!("missing: {l}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "out of order: {at:?}");
    // A phrase table that points at itself, or at nothing, is an error, not a hang.
    let book = fixture("huffdic.mobi");
    let record = |i: usize| u32::from_be_bytes(book[78 + 8 * i..82 + 8 * i].try_into().unwrap()) as usize;
    let mut broken = book.clone();
    let first_text = record(1);
    broken[first_text..first_text + 64].fill(0xff);
    let error = fileconv::engine().convert(&broken, "mobi", "txt");
    assert!(error.as_ref().map_or_else(|e| e.kind() == fileconv::ErrorKind::InvalidInput, |_| true), "{error:?}");
}

#[test]
fn kindle_books_that_cannot_be_read_say_why() {
    let book = fixture("sample.mobi");
    let record0 = u32::from_be_bytes(book[78..82].try_into().unwrap()) as usize;
    let with = |at: usize, value: &[u8]| {
        let mut changed = book.clone();
        changed[record0 + at..record0 + at + value.len()].copy_from_slice(value);
        changed
    };
    let refused = |bytes: &[u8]| fileconv::engine().convert(bytes, "mobi", "txt").unwrap_err();
    let drm = refused(&with(12, &2u16.to_be_bytes()));
    assert!(drm.kind() == fileconv::ErrorKind::InvalidInput && drm.to_string().contains("encrypted (DRM)"), "{drm}");
    assert!(refused(&with(0, &17480u16.to_be_bytes())).to_string().contains("HUFF/CDIC"));
    assert!(matches!(refused(&with(4, &u32::MAX.to_be_bytes())), Error::LimitExceeded { .. }));
    let cut = refused(&book[..book.len() / 2]);
    assert!(cut.to_string().contains("outside the file"), "{cut}");
    // A copy reaching before its record's start (the first text record's first bytes).
    let text_start = u32::from_be_bytes(book[86..90].try_into().unwrap()) as usize;
    let mut broken = book.clone();
    broken[text_start..text_start + 2].copy_from_slice(&[0x80, 0x40]);
    assert!(refused(&broken).to_string().contains("reaches before the record"));
}

#[test]
fn epub_converts_to_every_target_keeping_text_and_structure() {
    // pandoc's EPUB: a title page (left out: it is the metadata), then the chapter.
    let source = fixture("sample.epub");
    converts_like(&source, "epub", &fixture("sample.md"), "gfm");
    let md = String::from_utf8(convert(&source, "epub", "md")).unwrap();
    assert!(md.starts_with("---\ntitle: \"Sample Document\"\nauthor: \"Ada Lovelace\""), "{md}");
    // Chapters at level-1 headings; images stored once and read back with their bytes.
    let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    let uri = format!("data:image/png;base64,{}", fileconv::io::base64(&png));
    let html = format!("<title>Book</title><h1>One</h1><p><img src=\"{uri}\" alt=\"A rose\"></p><h1>Two</h1><p><img src=\"{uri}\" alt=\"Again\"></p>");
    let epub = convert(html.as_bytes(), "html", "epub");
    let mut zip = fileconv_zip::zip::ZipArchive::new(std::io::Cursor::new(&epub)).unwrap();
    let names: Vec<String> = (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().to_string()).collect();
    assert!(names.contains(&"EPUB/text/ch002.xhtml".to_string()) && names.iter().filter(|n| n.starts_with("EPUB/media/")).count() == 1, "{names:?}");
    assert_eq!(names[0], "mimetype");
    let back = decoded(&epub, "epub");
    let images: Vec<_> = back.blocks.iter().flat_map(|b| match b {
        fileconv::Block::Paragraph(inlines) => inlines.iter().filter_map(|i| match i { fileconv::Inline::Image(img) => img.data.clone(), _ => None }).collect(),
        fileconv::Block::Image(img) => img.data.clone().into_iter().collect(),
        _ => Vec::new(),
    }).collect();
    assert_eq!(images, vec![png.clone(), png]);
}

#[test]
fn presentations_read_slide_by_slide() {
    // pandoc's pptx of the sample, and LibreOffice's odp of that pptx:
    // every word in order to every target; slide titles become headings,
    // the title slide the metadata; lists, tables and code are kept.
    let original = words(&pandoc(&fixture("sample.md"), "gfm", "plain"));
    for (name, format) in [("sample.pptx", "pptx"), ("sample.odp", "odp")] {
        let source = fixture(name);
        for &(target, back) in TARGETS {
            let (got, _, shown) = read_back(&convert(&source, format, target), back, target);
            let metadata = metadata_words(&fixture("sample.md"), "gfm");
            let got = if got != original && got.starts_with(&metadata) { got[metadata.len()..].to_vec() } else { got };
            assert_eq!(got, original, "{name} to {target}: {shown}");
        }
        let md = convert(&source, format, "md");
        let found = structure(&pandoc(&md, "gfm", "json"));
        let count = |key: &str| found.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
        assert_eq!(count("Table"), 1, "{name}: {found:?}");
        assert_eq!(count("CodeBlock"), 1, "{name}: {found:?}");
        assert_eq!(count("OrderedList"), 1, "{name}: {found:?}");
        assert!(count("Header1") >= 1, "{name}: {found:?}");
        let md = String::from_utf8(md).unwrap();
        assert!(md.starts_with("---\ntitle: \"Sample Document\"\nauthor: \"Ada Lovelace\""), "{name}: {md}");
        assert!(md.contains("    println!(\"Hello, <world> & friends\");"), "{name}: {md}");
    }
    // LibreOffice's PowerPoint 97-2003 file of the pptx: every word in order
    // to every target (list numbers included), the title slide as the metadata.
    let ppt = fixture("sample.ppt");
    for &(target, back) in TARGETS {
        let (got, _, shown) = read_back(&convert(&ppt, "ppt", target), back, target);
        let metadata = metadata_words(&fixture("sample.md"), "gfm");
        let got = if got != original && got.starts_with(&metadata) { got[metadata.len()..].to_vec() } else { got };
        assert_eq!(got, original, "sample.ppt to {target}: {shown}");
    }
    let found = structure(&pandoc(&convert(&ppt, "ppt", "md"), "gfm", "json"));
    assert!(found.contains(&("OrderedList".to_string(), 1)), "{found:?}");
    let md = String::from_utf8(convert(&ppt, "ppt", "md")).unwrap();
    // (LibreOffice wrote the later slides' titles as plain text boxes: they stay paragraphs.)
    assert!(md.starts_with("---\ntitle: \"Sample Document\"\nauthor: \"Ada Lovelace\""), "{md}");
    // pptx keeps its bullet lists and their levels (LibreOffice's odp of it does not say them).
    let found = structure(&pandoc(&convert(&fixture("sample.pptx"), "pptx", "md"), "gfm", "json"));
    assert!(found.contains(&("BulletList".to_string(), 2)), "{found:?}");
}

#[test]
fn ppt_lists_keep_their_bullets_levels_and_numbers_and_pictures() {
    // LibreOffice's PPT of a hand-typed presentation: bullets from the
    // paragraph style runs (two levels), numbers from the PowerPoint 2000
    // extension, a paragraph after the list left plain, then a slide with
    // a picture (rose.png, from the Pictures stream). Read back by pandoc.
    let md = convert(&fixture("slides.ppt"), "ppt", "md");
    let shown = String::from_utf8_lossy(&md).into_owned();
    let json: serde_json::Value = serde_json::from_str(&pandoc(&md, "gfm", "json")).unwrap();
    let blocks = json["blocks"].as_array().unwrap();
    let kinds: Vec<&str> = blocks.iter().map(|b| b["t"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Header", "BulletList", "Para", "OrderedList", "Para", "Para", "Para"], "{shown}");
    assert_eq!(blocks[6]["c"][0]["t"], "Image", "{shown}");
    let document = decoded(&fixture("slides.ppt"), "ppt");
    let pictures: Vec<Vec<u8>> = document.blocks.iter().filter_map(|b| match b {
        fileconv::Block::Image(image) => image.data.clone(),
        fileconv::Block::Paragraph(inlines) => inlines.iter().find_map(|i| match i { fileconv::Inline::Image(image) => image.data.clone(), _ => None }),
        _ => None,
    }).collect();
    assert!(pictures == [std::fs::read(common::testdata().join("image").join("rose.png")).unwrap()], "{} pictures", pictures.len());
    let items = |block: &serde_json::Value| block["c"].as_array().map(Vec::len);
    assert_eq!(items(&blocks[1]), Some(2), "two top-level bullets: {shown}");
    let nested = &blocks[1]["c"][0];
    assert!(nested.as_array().unwrap().iter().any(|b| b["t"] == "BulletList" && items(b) == Some(2)), "two nested bullets under the first: {shown}");
    assert_eq!(blocks[3]["c"][0][0], 1, "numbered from 1: {shown}");
    assert_eq!(blocks[3]["c"][1].as_array().map(Vec::len), Some(3), "three numbered items: {shown}");
    for text in ["Fruit we sell", "Green apples", "Check the result", "A closing remark without a bullet."] {
        assert!(shown.contains(text), "{text}: {shown}");
    }
}

#[test]
fn doc_pictures_come_out_as_the_files_put_in() {
    // LibreOffice's DOC of a hand-typed document holding rose.png and
    // rose.jpg in its text: both read from the Data stream, byte for byte,
    // where they stood in the text, and carried into DOCX and HTML.
    let doc = fixture("pictures.doc");
    let document = decoded(&doc, "doc");
    let images: Vec<Vec<u8>> = document.blocks.iter().flat_map(|b| match b {
        fileconv::Block::Paragraph(inlines) => inlines.iter().filter_map(|i| match i { fileconv::Inline::Image(img) => img.data.clone(), _ => None }).collect(),
        _ => Vec::new(),
    }).collect();
    let rose = |name: &str| std::fs::read(common::testdata().join("image").join(name)).unwrap();
    assert!(images == [rose("rose.png"), rose("rose.jpg")], "{} images, sizes {:?}", images.len(), images.iter().map(Vec::len).collect::<Vec<_>>());
    let md = String::from_utf8(convert(&doc, "doc", "md")).unwrap();
    assert!(md.contains("A rose in PNG: ![](image1.png) and the text goes on."), "{md}");
    // Markdown and plain text cannot hold them, and say so.
    for (target, said) in [
        ("md", "2 picture(s) are referred to by name (image1.png, image2.jpg) but not written: Markdown holds no pictures (HTML, DOCX, ODT, EPUB and PDF keep them)"),
        ("txt", "2 picture(s) left out: plain text holds no pictures"),
    ] {
        let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&doc), "doc", target, &mut Vec::new(), &Options::new(), &fileconv::Control::default()).unwrap();
        assert!(report.notes.iter().any(|n| n == said), "{target}: {:?}", report.notes);
    }
    // A picture given as a data: URI is written whole into Markdown: nothing to say.
    let page = format!("<p>A <img alt=\"rose\" src=\"data:image/png;base64,{}\"> here</p>", fileconv::io::base64(&rose("rose.png")));
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(page.as_bytes()), "html", "md", &mut Vec::new(), &Options::new(), &fileconv::Control::default()).unwrap();
    assert!(!report.notes.iter().any(|n| n.contains("picture")), "{:?}", report.notes);
    let html = String::from_utf8(convert(&doc, "doc", "html")).unwrap();
    assert!(html.contains("<img src=\"data:image/png;base64,") && html.contains("<img src=\"data:image/jpeg;base64,"), "{html}");
    let docx = convert(&doc, "doc", "docx");
    let back = decoded(&docx, "docx");
    let count = back.blocks.iter().map(|b| match b {
        fileconv::Block::Paragraph(inlines) => inlines.iter().filter(|i| matches!(i, fileconv::Inline::Image(img) if img.data.is_some())).count(),
        _ => 0,
    }).sum::<usize>();
    assert_eq!(count, 2, "pictures in the DOCX made of it");
}

#[test]
fn doc_converts_to_every_target_keeping_text_and_structure() {
    // LibreOffice's Word 97-2003 file of the sample, held to the Markdown
    // it was made from: headings, lists (bullets and numbers from the list
    // tables), the table and its heading row, code, the quote, bold,
    // italic, strike, inline code, the link, title and author.
    converts_like(&fixture("libreoffice.doc"), "doc", &fixture("sample.md"), "gfm");
    let mut out = Vec::new();
    let report = fileconv::engine()
        .convert_stream(fileconv::Source::Bytes(&fixture("libreoffice.doc")), "doc", "md", &mut out, &Options::new(), &fileconv::Control::default())
        .unwrap();
    assert!(report.notes.iter().any(|n| n.contains("1 picture(s) (metafiles, or not found in the Data stream) and 1 drawn object(s)")), "the rule, a drawing with its picture: {:?}", report.notes);
    let md = String::from_utf8(out).unwrap();
    assert!(md.contains("emoji 😀") && md.contains("| Name | Amount | Note |\n| --- |"), "{md}");
    // An encrypted document says so.
    let mut encrypted = fixture("libreoffice.doc");
    // The FIB starts the WordDocument stream, at a sector boundary.
    let fib = (0..encrypted.len()).step_by(512).find(|at| encrypted[*at..].starts_with(&[0xEC, 0xA5])).expect("a Word 97 FIB");
    encrypted[fib + 0x0B] |= 0x01; // fEncrypted, bit 8 of the flags at 0x0A
    let error = fileconv::engine().convert(&encrypted, "doc", "txt").unwrap_err();
    assert!(error.to_string().contains("encrypted"), "{error}");
}

/// Every conversion of a notes.fodt fixture to text: the text, and what the reader said it left out.
fn notes_fixture_as_text(name: &str, format: &str) -> (String, String) {
    let mut out = Vec::new();
    let report = fileconv::engine()
        .convert_stream(fileconv::Source::Bytes(&fixture(name)), format, "txt", &mut out, &Options::new(), &fileconv::Control::default())
        .unwrap();
    (String::from_utf8(out).unwrap(), report.notes.join("\n"))
}

#[test]
fn notes_and_text_boxes_are_read_and_what_is_not_is_named() {
    // LibreOffice's DOC, DOCX, ODT and RTF of scripts/fixtures/notes.fodt:
    // two footnotes and an endnote as [n] marks and numbered paragraphs;
    // the text box anchored in "The committee meets in March." as its own
    // paragraph, the anchoring paragraph kept whole, each once (DOCX's VML
    // fallback copy is not read); the header, footer and comment left out
    // of flowing text, and named by every reader.
    let expected = [
        "The beans came early this year[1] and the squash late[2].",
        "Rain was scarce[3], so the well was used daily.",
        "[1] Sown in the second week of April.",
        "[2] After the frost in May.",
        "[3] Eleven dry weeks in all.",
        "Plot twelve is free next season.",
        "The committee meets in March.",
    ];
    let named: [(&str, &str, &[&str]); 4] = [
        ("notes.doc", "doc", &["headers and footers", "comments"]),
        ("notes.docx", "docx", &["headers and footers", "comments"]),
        ("notes.odt", "odt", &["headers and footers", "comments"]),
        // RTF's text box is a drawn shape, named rather than read.
        ("notes.rtf", "rtf", &["comments", "headers and footers", "text boxes and drawn shapes"]),
    ];
    for (name, format, left_out) in named {
        let (text, said) = notes_fixture_as_text(name, format);
        // (DOCX keeps the tab LibreOffice puts after a note's number.)
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for line in expected {
            let count = usize::from(!(format == "rtf" && line.starts_with("Plot")));
            assert_eq!(words.matches(line).count(), count, "{name}: {line:?} in:\n{text}");
        }
        for kind in left_out {
            assert!(said.contains(kind), "{name}: {kind}: {said}");
        }
        assert!(!said.contains("drawn object"), "{name}: the text box is read: {said}");
        assert!(said.contains("they were left out"), "{name}: {said}");
        assert!(!text.contains("Quarterly garden report") && !text.contains("Check the rainfall"), "{name}: {text}");
    }
    // LibreOffice itself reads the same notes from the DOC.
    let reference = pandoc(&libreoffice_html(&fixture("notes.doc"), "doc"), "html", "plain");
    for note in ["Sown in the second week of April.", "After the frost in May.", "Eleven dry weeks in all."] {
        assert!(reference.contains(note), "{reference}");
    }
}

#[test]
fn rtf_converts_to_every_target_keeping_text_and_structure() {
    // pandoc's own RTF reader misreads `\uN` escapes and lists: both RTF
    // fixtures are held to the Markdown they were made from.
    let md = String::from_utf8(convert(&fixture("sample.rtf"), "rtf", "md")).unwrap();
    assert!(md.contains("naïve café, Ελληνικά, 日本語, emoji 😀"), "\\uN escapes and surrogate pairs: {md}");
    converts_like(&fixture("sample.rtf"), "rtf", &fixture("sample.md"), "gfm");
    converts_like(&fixture("libreoffice.rtf"), "rtf", &fixture("sample.md"), "gfm");
    // Code pages: a Cyrillic font's \'hh bytes, a Shift-JIS font's byte pairs.
    let rtf = br"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}{\f1\fcharset204 Arial Cyr;}{\f2\fcharset128 MS Mincho;}}\f1 \'cf\'f0\'e8\'e2\'e5\'f2 \f2 \'93\'fa\'96\'7b\f0  caf\'e9\par}";
    let txt = String::from_utf8(convert(rtf, "rtf", "txt")).unwrap();
    assert_eq!(txt.trim(), "Привет 日本 café");
    // A backslash before a line break ends the paragraph; the text before
    // it and before a control symbol stays in place (rtfparserkit's
    // testSpecialChars.rtf, as LibreOffice reads it).
    let rtf = b"{\\rtf1\\ansi CR A\\\rB\\par LF A\\\nB\\par x\\~y\\tab z\\par}";
    let txt = String::from_utf8(convert(rtf, "rtf", "txt")).unwrap();
    assert_eq!(txt.trim(), "CR A\n\nB\n\nLF A\n\nB\n\nx\u{a0}y\tz");
}

#[test]
fn pdf_reads_back_as_text_headings_lists_and_code() {
    // LibreOffice's PDF of the sample: every word in order; headings from
    // font sizes, lists from markers, code from its fixed-pitch font.
    let source = fixture("libreoffice.pdf");
    let expected = words(&pandoc(&fixture("sample.md"), "gfm", "plain"));
    let md = convert(&source, "pdf", "md");
    assert_eq!(words(&pandoc(&md, "gfm", "plain")), expected, "{}", String::from_utf8_lossy(&md));
    let kept = |s: Vec<(String, usize)>| s.into_iter().filter(|(k, _)| k.starts_with("Header") || k.ends_with("List") || k == "CodeBlock").collect::<Vec<_>>();
    let got = kept(structure(&pandoc(&md, "gfm", "json")));
    let want = kept(structure(&pandoc(&fixture("sample.md"), "gfm", "json")));
    // LibreOffice sets the last (third-level) heading barely above the body size: read as text.
    let want: Vec<_> = want.into_iter().filter(|(k, _)| k != "Header3").collect();
    assert_eq!(got, want, "{}", String::from_utf8_lossy(&md));
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("title: \"Sample Document\"") && md.contains("    println!(\"Hello, <world> & friends\");"), "{md}");
    // Every target from the PDF: the same words.
    for &(target, back) in TARGETS {
        let (got, _, shown) = read_back(&convert(&source, "pdf", target), back, target);
        let metadata = metadata_words(&fixture("sample.md"), "gfm");
        let got = if got.starts_with(&metadata) && got != expected { got[metadata.len()..].to_vec() } else { got };
        assert_eq!(got, expected, "pdf to {target}: {shown}");
    }
}

#[test]
fn pdf_output_is_laid_out_with_embedded_fonts_and_page_options() {
    let source = fixture("sample.md");
    let pdf = convert(&source, "md", "pdf");
    let dir = std::env::temp_dir().join(format!("fileconv-pdfinfo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    // Every font embedded (emb), subset (sub) and mapped to Unicode (uni).
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 4, "{fonts}");
    assert!(rows.iter().all(|r| r.contains("yes yes yes")), "{fonts}");
    let info = |pdf: &[u8]| {
        std::fs::write(&path, pdf).unwrap();
        String::from_utf8(Command::new("pdfinfo").arg(&path).output().unwrap().stdout).unwrap()
    };
    let a4 = info(&pdf);
    assert!(a4.contains("595.28 x 841.89 pts (A4)") && a4.contains("Title:           Sample Document") && a4.contains("Author:          Ada Lovelace"), "{a4}");
    let options = Options::new().with("pageSize", "letter").with("orientation", "landscape").with("margin", "1in");
    let letter = fileconv::engine().convert_with(&source, "md", "pdf", &options).unwrap();
    assert!(info(&letter).contains("792 x 612 pts (letter)"), "{}", info(&letter));
    let bad = Options::new().with("margin", "5 furlongs");
    assert!(matches!(fileconv::engine().convert_with(&source, "md", "pdf", &bad), Err(Error::InvalidOption { .. })));
    let huge = Options::new().with("margin", "200mm");
    assert!(matches!(fileconv::engine().convert_with(&source, "md", "pdf", &huge), Err(Error::InvalidOption { .. })));
    // A long table continues across pages with its header row repeated.
    let mut md = String::from("| Key | Value |\n|---|---|\n");
    for i in 0..300 {
        md.push_str(&format!("| row{i} | value {i} |\n"));
    }
    let long = convert(md.as_bytes(), "md", "pdf");
    let text = common::pdftotext(&long);
    let pages = text.split('\u{c}').filter(|p| !p.trim().is_empty()).count();
    assert!(pages >= 5, "{pages} pages");
    assert_eq!(text.matches("Key").count(), pages, "the header on every page");
    assert!(text.contains("row0") && text.contains("row299"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spreadsheets_and_images_become_pdf_pages() {
    let xlsx = std::fs::read(common::testdata().join("sheet/book.xlsx")).unwrap();
    let text = common::pdftotext(&convert(&xlsx, "xlsx", "pdf"));
    // The sheet prints as it shows: a number too wide for its column as ###.
    assert!(text.contains("Zweite Ü") && text.contains("big #"), "{text}");
    let csv = convert(&xlsx, "xlsx", "csv");
    for cell in String::from_utf8(csv).unwrap().lines().next().unwrap().split(',') {
        assert!(text.contains(cell.trim_matches('"')), "{cell} in {text}");
    }
    // Images: a page per frame, each the image's size at 96 dpi, or fitted to a paper size.
    let poppler = |tool: &str, pdf: &[u8]| {
        let path = std::env::temp_dir().join(format!("fileconv-img-{}-{:?}.pdf", std::process::id(), std::thread::current().id()));
        std::fs::write(&path, pdf).unwrap();
        let out = Command::new(tool).args(if tool == "pdfimages" { &["-list"][..] } else { &[][..] }).arg(&path).output().unwrap();
        let _ = std::fs::remove_file(&path);
        String::from_utf8(out.stdout).unwrap()
    };
    let gif = convert(&std::fs::read(common::testdata().join("image/anim.gif")).unwrap(), "gif", "pdf");
    assert!(poppler("pdfinfo", &gif).contains("Pages:           3"), "{}", poppler("pdfinfo", &gif));
    assert!(poppler("pdfinfo", &gif).contains("Page size:       52.5 x 34.5 pts"));
    let images = poppler("pdfimages", &gif);
    assert_eq!(images.lines().filter(|l| l.contains(" image      70    46  rgb ")).count(), 3, "{images}");
    let tiff = convert(&std::fs::read(common::testdata().join("image/pages.tiff")).unwrap(), "tiff", "pdf");
    assert!(poppler("pdfinfo", &tiff).contains("Pages:           3"), "a page per TIFF page: {}", poppler("pdfinfo", &tiff));
    let jpg = std::fs::read(common::testdata().join("image/rose.jpg")).unwrap();
    let a4 = fileconv::engine().convert_with(&jpg, "jpg", "pdf", &Options::new().with("pageSize", "a4")).unwrap();
    assert!(poppler("pdfinfo", &a4).contains("(A4)"), "{}", poppler("pdfinfo", &a4));
    assert!(poppler("pdfimages", &a4).contains(" image      70    46  rgb "));
}

#[test]
fn pdf_pages_become_images_like_poppler_draws_them() {
    let pdf = fixture("libreoffice.pdf");
    let dir = std::env::temp_dir().join(format!("fileconv-ppm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.pdf"), &pdf).unwrap();
    let status = Command::new("pdftoppm").args(["-r", "100", "-png", "-singlefile"]).arg(dir.join("a.pdf")).arg(dir.join("poppler")).status().unwrap();
    assert!(status.success());
    let poppler = common::decode_raster(&std::fs::read(dir.join("poppler.png")).unwrap(), "png").into_first().to_rgb8();
    let _ = std::fs::remove_dir_all(&dir);
    for target in ["png", "jpg"] {
        let out = fileconv::engine().convert_with(&pdf, "pdf", target, &Options::new().with("dpi", "100")).unwrap();
        let ours = common::decode_raster(&out, target).into_first().to_rgb8();
        // The same size (hayro rounds a fractional pixel down, poppler up).
        let ((w, h), (pw, ph)) = (ours.dimensions(), poppler.dimensions());
        assert!(w.abs_diff(pw) <= 1 && h.abs_diff(ph) <= 1, "{target}: {w}x{h} vs poppler's {pw}x{ph}");
        let (w, h) = (w.min(pw), h.min(ph));
        let mut diff = 0u64;
        for y in 0..h {
            for x in 0..w {
                let (a, b) = (ours.get_pixel(x, y), poppler.get_pixel(x, y));
                diff += (0..3).map(|c| u64::from(a[c].abs_diff(b[c]))).sum::<u64>();
            }
        }
        let mean = diff as f64 / (u64::from(w) * u64::from(h) * 3) as f64;
        assert!(mean < 4.0, "{target}: mean difference {mean:.2} from poppler's rendering");
    }
    // Every image format: the page at 36 dpi (612 x 792 pt: 306 x 396 pixels).
    for target in common::writable(fileconv::Category::Image) {
        let out = fileconv::engine().convert_with(&pdf, "pdf", target, &Options::new().with("dpi", "36")).unwrap_or_else(|e| panic!("pdf to {target}: {e}"));
        let page = common::decode_raster(&out, target);
        let (w, h) = (page.width(), page.height());
        if target == "ico" {
            // Icons hold at most 256 x 256: the page is scaled into that, its shape kept.
            assert!(h == 256 && w.abs_diff(198) <= 1, "pdf to ico: {w}x{h}");
        } else {
            assert!(w.abs_diff(306) <= 1 && h.abs_diff(396) <= 1, "pdf to {target}: {w}x{h}");
        }
    }
    // Every page as a frame; a page past the end is refused with the count.
    let two = convert(&fixture("sample.md"), "md", "pdf");
    let long = {
        let mut md = String::new();
        for i in 0..120 {
            md.push_str(&format!("Paragraph {i} with enough words to take a line.\n\n"));
        }
        convert(md.as_bytes(), "md", "pdf")
    };
    let gif = fileconv::engine().convert_with(&long, "pdf", "gif", &Options::new().with("page", "all").with("dpi", "36")).unwrap();
    let frames = common::decode_raster(&gif, "gif").frames.len();
    assert!(frames >= 3, "{frames} frames");
    // Without the option, the first page, and a note naming the rest.
    let mut png = Vec::new();
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&long), "pdf", "png", &mut png, &Options::new().with("dpi", "36"), &fileconv::Control::default()).unwrap();
    assert_eq!(common::decode_raster(&png, "png").frames.len(), 1);
    assert!(report.notes.iter().any(|n| n == &format!("page 1 of {frames} was converted; the page option picks another (page=2), or every page as a frame (page=all)")), "{:?}", report.notes);
    assert!(matches!(fileconv::engine().convert_with(&two, "pdf", "png", &Options::new().with("page", "99")), Err(Error::InvalidOption { .. })));
    let tiny = Limits { max_pixels: 1000, ..Limits::default() };
    let limited = fileconv::Engine::from_inventory().with_limits(tiny);
    assert!(matches!(limited.convert(&two, "pdf", "png"), Err(Error::LimitExceeded { .. })));
}

/// pdfinfo's page count and first page size (points), and pdfimages' image sizes.
fn pdf_pages_and_images(pdf: &[u8]) -> (usize, (f64, f64), Vec<(u32, u32)>) {
    let path = std::env::temp_dir().join(format!("fileconv-pdfpages-{}-{:?}.pdf", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, pdf).unwrap();
    let info = String::from_utf8(Command::new("pdfinfo").arg(&path).output().unwrap().stdout).unwrap();
    let images = String::from_utf8(Command::new("pdfimages").arg("-list").arg(&path).output().unwrap().stdout).unwrap();
    let _ = std::fs::remove_file(&path);
    let field = |name: &str| info.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_string()).unwrap_or_default();
    let pages = field("Pages:").parse().unwrap();
    let size: Vec<f64> = field("Page size:").split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let sizes = images.lines().skip(2).filter_map(|l| {
        let cols: Vec<&str> = l.split_whitespace().collect();
        // An image's soft mask (alpha) is listed as its own row.
        (cols.get(2) == Some(&"image")).then(|| (cols[3].parse().unwrap(), cols[4].parse().unwrap()))
    });
    (pages, (size[0], size[1]), sizes.collect())
}

#[test]
fn every_image_fixture_becomes_pdf_pages() {
    for (file, format, bytes) in common::image_fixtures() {
        let raster = common::decode_raster(&bytes, &format);
        let pdf = convert(&bytes, &format, "pdf");
        let (pages, size, images) = pdf_pages_and_images(&pdf);
        assert_eq!(pages, raster.frames.len(), "{file}: a page per frame");
        let (w, h) = (raster.width(), raster.height());
        assert!((size.0 - f64::from(w) * 0.75).abs() < 0.1 && (size.1 - f64::from(h) * 0.75).abs() < 0.1, "{file}: page {size:?} for {w}x{h}");
        assert_eq!(images, vec![(w, h); pages], "{file}");
    }
}

#[test]
fn every_spreadsheet_fixture_becomes_every_document_format() {
    let targets = ["txt", "md", "html", "docx", "odt", "epub", "pdf"];
    for (file, format, bytes) in common::sheet_fixtures() {
        // The first sheet's cells as CSV says them: each must appear in every document.
        let csv = String::from_utf8(convert(&bytes, &format, "csv")).unwrap();
        let cells: Vec<String> = csv.lines().flat_map(|l| l.split(',')).map(|c| c.trim_matches('"').trim().to_string()).filter(|c| !c.is_empty() && !c.contains(['"', '\n'])).collect();
        assert!(!cells.is_empty(), "{file}");
        for target in targets {
            let out = convert(&bytes, &format, target);
            let text = match target {
                "docx" | "epub" => pandoc(&out, target, "plain"),
                "odt" => pandoc(&libreoffice_html(&out, "odt"), "html", "plain"),
                "pdf" => common::pdftotext(&out),
                "html" => pandoc(&out, "html", "plain"),
                "md" => pandoc(&out, "gfm", "plain"),
                _ => String::from_utf8(out).unwrap(),
            };
            let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for cell in &cells {
                let cell = cell.split_whitespace().collect::<Vec<_>>().join(" ");
                // A PDF prints the sheet as it shows: numbers and date-times in their formats (### where a column is too narrow).
                let shown_otherwise = target == "pdf" && (cell.contains('T') && cell.starts_with(|c: char| c.is_ascii_digit()) || cell.parse::<f64>().is_ok());
                assert!(shown_otherwise || squeezed.contains(&cell), "{file} to {target}: '{cell}' missing in:\n{squeezed}");
            }
        }
    }
}

#[test]
fn text_converts_to_every_target_keeping_its_words() {
    let source = fixture("sample.txt");
    let expected = words(&String::from_utf8(source.clone()).unwrap());
    for &(target, back) in TARGETS {
        let out = convert(&source, "txt", target);
        let (got, _, shown) = read_back(&out, back, target);
        assert_eq!(got, expected, "txt to {target}:\n{shown}");
    }
    // Markup characters in text stay text in Markdown.
    let md = convert(b"5 * 3 = 15, a_b_c, <tag> & [x](y)\n\n# not a heading\n", "txt", "md");
    assert_eq!(pandoc(&md, "gfm", "plain").trim(), "5 * 3 = 15, a_b_c, <tag> & [x](y)\n\n# not a heading");
}

#[test]
fn spreadsheets_become_documents() {
    let csv = b"Name,Amount\nApple,1.5\nBanana,20\n";
    let txt = String::from_utf8(convert(csv, "csv", "txt")).unwrap();
    assert_eq!(txt, "Name    Amount\nApple   1.5\nBanana  20\n");
    let xlsx = std::fs::read(common::testdata().join("sheet/book.xlsx")).unwrap();
    let text = String::from_utf8(convert(&xlsx, "xlsx", "txt")).unwrap();
    assert!(text.starts_with("Data\n\nName"), "{text}");
    assert!(text.contains("Zweite Ü") && text.contains("123456789012"), "{text}");
    assert!(fileconv::engine().path("xlsx", "txt").unwrap().to_string().contains("table-document"));
}

#[test]
fn bad_documents_give_clear_errors() {
    let engine = fileconv::engine();
    for format in ["html", "md", "txt"] {
        assert!(matches!(engine.convert(b"", format, "html"), Err(Error::InvalidInput { .. })), "{format}: empty");
        assert!(matches!(engine.convert(b"\xff\xfe\x00binary", format, "html"), Err(Error::InvalidInput { .. })), "{format}: binary");
    }
    let deep = [">".repeat(5000).as_bytes(), b" x\n"].concat();
    assert!(matches!(engine.convert(&deep, "md", "html"), Err(Error::LimitExceeded { what: "nesting depth", .. })));
    let lists: Vec<u8> = (0..300).flat_map(|i| format!("{}- x\n", "  ".repeat(i)).into_bytes()).collect();
    assert!(matches!(engine.convert(&lists, "md", "html"), Err(Error::LimitExceeded { what: "nesting depth", .. })));

    // Packages: not a zip, a zip without the main part, a zip bomb.
    let zip = |entries: &[(&str, Vec<u8>)]| {
        use std::io::Write;
        let mut w = fileconv_zip::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, fileconv_zip::zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    for format in ["docx", "odt", "epub", "pptx", "odp"] {
        assert!(matches!(engine.convert(b"PK\x03\x04 not really", format, "html"), Err(Error::InvalidInput { .. })), "{format}");
        let empty = zip(&[("other.xml", b"<a/>".to_vec())]);
        assert!(matches!(engine.convert(&empty, format, "html"), Err(Error::InvalidInput { .. })), "{format}: no main part");
    }
    let mut body = b"<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>".to_vec();
    body.resize(body.len() + (60 << 20), b' ');
    let bomb = zip(&[("[Content_Types].xml", b"<Types/>".to_vec()), ("word/document.xml", body)]);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    assert!(matches!(engine.convert(&bomb, "docx", "html"), Err(Error::LimitExceeded { what: "zip expansion ratio", .. })));
    // Tables nested in table cells, past the depth limit.
    let nested = format!("<w:document xmlns:w=\"w\"><w:body>{}</w:body></w:document>", "<w:tbl><w:tr><w:tc>".repeat(200));
    let nested = zip(&[("word/document.xml", nested.into_bytes())]);
    assert!(matches!(engine.convert(&nested, "docx", "html"), Err(Error::LimitExceeded { what: "nesting depth", .. })));
    // Slides whose layout cannot be read (groups nested past the limit): the
    // text still converts, flowing onto pages, and a note says why.
    let groups = "<p:grpSp><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"10\" cy=\"10\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"10\" cy=\"10\"/></a:xfrm></p:grpSpPr>";
    let slide = format!(
        "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><p:cSld><p:spTree>{}<p:sp><p:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"9\" cy=\"9\"/></a:xfrm></p:spPr><p:txBody><a:p><a:r><a:t>deep words</a:t></a:r></a:p></p:txBody></p:sp>{}</p:spTree></p:cSld></p:sld>",
        groups.repeat(60),
        "</p:grpSp>".repeat(60)
    );
    let deck = zip(&[
        ("ppt/presentation.xml", b"<p:presentation xmlns:p=\"p\" xmlns:r=\"r\"><p:sldIdLst><p:sldId r:id=\"s1\"/></p:sldIdLst></p:presentation>".to_vec()),
        ("ppt/_rels/presentation.xml.rels", b"<Relationships><Relationship Id=\"s1\" Target=\"slides/slide1.xml\"/></Relationships>".to_vec()),
        ("ppt/slides/slide1.xml", slide.into_bytes()),
    ]);
    let mut pdf = Vec::new();
    let report = engine.convert_stream(fileconv::Source::Bytes(&deck), "pptx", "pdf", &mut pdf, &Options::new(), &fileconv::Control::default()).unwrap();
    assert!(common::pdftotext(&pdf).contains("deep words"), "the text flows");
    assert!(report.notes.iter().any(|n| n.contains("page layout could not be read") && n.contains("group")), "{:?}", report.notes);
    // RTF: groups nested past the limit; not RTF at all.
    let deep = [b"{\\rtf1".to_vec(), vec![b'{'; 5000]].concat();
    assert!(matches!(engine.convert(&deep, "rtf", "html"), Err(Error::LimitExceeded { what: "nesting depth", .. })));
    assert!(matches!(engine.convert(b"plain words", "rtf", "html"), Err(Error::InvalidInput { .. })));
    // PDF: garbage, a cut file, and a stream that inflates past the limit.
    assert!(matches!(engine.convert(b"%PDF-1.7 garbage", "pdf", "txt"), Err(Error::InvalidInput { .. })));
    let pdf = fixture("libreoffice.pdf");
    assert!(engine.convert(&pdf[..pdf.len() / 2], "pdf", "txt").is_err_and(|e| e.kind() != fileconv::ErrorKind::Internal));
    let bomb = flate_bomb_pdf(8 << 20);
    let tight = fileconv::Engine::from_inventory().with_limits(Limits { max_unzipped_bytes: 1 << 20, ..Limits::default() });
    let err = tight.convert(&bomb, "pdf", "txt").unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
    assert!(engine.convert(&bomb, "pdf", "txt").is_ok(), "within the default limit it reads");
}

/// A one-page PDF whose content stream is `size` bytes of spaces, deflated.
fn flate_bomb_pdf(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; size]).unwrap();
    let stream = encoder.finish().unwrap();
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        [format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", stream.len()).into_bytes(), stream, b"\nendstream".to_vec()].concat(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    pdf
}

/// A PDF's page sizes and words (page, text, box centre), as poppler's
/// `pdftotext -bbox` gives them.
fn placed_words(pdf: &[u8]) -> (Vec<(f64, f64)>, Vec<(usize, String, f64, f64)>) {
    let path = std::env::temp_dir().join(format!("fileconv-bbox-{}-{:?}.pdf", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext").arg("-bbox").arg(&path).arg("-").output().expect("pdftotext runs");
    let _ = std::fs::remove_file(&path);
    let html = String::from_utf8(out.stdout).unwrap();
    let number = |tag: &str, key: &str| -> f64 {
        let start = tag.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        tag[start..].split('"').next().unwrap().parse().unwrap()
    };
    let (mut pages, mut words) = (Vec::new(), Vec::new());
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            pages.push((number(line, "width"), number(line, "height")));
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let text = rest.split('>').nth(1).unwrap().trim_end_matches("</word").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
            let x = (number(line, "xMin") + number(line, "xMax")) / 2.0;
            let y = (number(line, "yMin") + number(line, "yMax")) / 2.0;
            words.push((pages.len() - 1, text, x, y));
        }
    }
    (pages, words)
}

/// How many of `reference`'s words `ours` has (matched by text to the
/// nearest unmatched word on the same page), and how many of those sit
/// within 4% of the page's width and height of where the reference has them
/// (what `scripts/fidelity/compare.py` measures, without its in-order pass).
fn placement(ours: &[(usize, String, f64, f64)], reference: &[(usize, String, f64, f64)], pages: &[(f64, f64)]) -> (usize, usize) {
    let mut used = vec![false; ours.len()];
    let (mut matched, mut placed) = (0, 0);
    for (page, text, x, y) in reference {
        let distance = |o: &(usize, String, f64, f64)| (o.2 - x).powi(2) + (o.3 - y).powi(2);
        let nearest = ours.iter().enumerate().filter(|(i, (p, t, _, _))| !used[*i] && p == page && t == text).min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)));
        if let Some((i, (_, _, ox, oy))) = nearest {
            used[i] = true;
            matched += 1;
            let (w, h) = pages[*page];
            if (ox - x).abs() <= 0.04 * w && (oy - y).abs() <= 0.04 * h {
                placed += 1;
            }
        }
    }
    (matched, placed)
}

/// Converts the fixture `name` to PDF and holds it to LibreOffice's PDF of
/// it (`NAME.libreoffice.pdf`): as many pages, each of its size (to the
/// point), at least `found` of LibreOffice's words found and `placed` of
/// those within 4% of the page of where LibreOffice puts them. Returns our PDF.
fn pages_like_libreoffice(name: &str, format: &str, found: f64, placed: f64) -> Vec<u8> {
    pages_like(&convert(&fixture(name), format, "pdf"), &fixture(&format!("{name}.libreoffice.pdf")), name, found, placed)
}

/// As [`pages_like_libreoffice`], for a source and reference given as bytes.
fn pages_like(ours: &[u8], reference: &[u8], name: &str, found: f64, placed: f64) -> Vec<u8> {
    let (our_pages, our_words) = placed_words(&ours);
    let (pages, words) = placed_words(reference);
    assert_eq!(our_pages.len(), pages.len(), "{name}: pages");
    for (ours, theirs) in our_pages.iter().zip(&pages) {
        assert!((ours.0 - theirs.0).abs() <= 1.0 && (ours.1 - theirs.1).abs() <= 1.0, "{name}: page size {ours:?}, LibreOffice's {theirs:?}");
    }
    let (matched, close) = placement(&our_words, &words, &pages);
    assert!(matched as f64 >= words.len() as f64 * found, "{name}: {matched} of LibreOffice's {} words found", words.len());
    assert!(close as f64 >= matched as f64 * placed, "{name}: {close} of {matched} words placed as LibreOffice places them (at least {placed})");
    ours.to_vec()
}

#[test]
fn sheets_print_where_libreoffice_prints_them() {
    // A workbook set up for printing (column widths, a merged title, number,
    // percentage and date formats, header and footer, two sheets, a picture) as xlsx,
    // xls and ods, against LibreOffice's PDF of each: its 5 pages (2 x 2 for
    // the ledger, down then across, and the summary), each A4, 95% of
    // LibreOffice's words found and 95% of those where it puts them.
    let sheet = |name: &str| std::fs::read(common::testdata().join("sheet").join(name)).unwrap();
    for format in ["xlsx", "xls", "ods"] {
        let name = format!("print.{format}");
        let ours = pages_like(&convert(&sheet(&name), format, "pdf"), &sheet(&format!("{name}.libreoffice.pdf")), &name, 0.85, 0.95);
        let (pages, _) = placed_words(&ours);
        assert_eq!(pages.len(), 5, "{name}");
        let text = common::pdftotext(&ours);
        // Numbers as their formats show them; the ods header names the sheet.
        for shown in ["1,234.01", "45.7%", "2026-02-02", "123,456.79", "Quarterly ledger"] {
            assert!(text.contains(shown), "{name}: {shown} missing from {text}");
        }
        if format == "ods" {
            assert!(text.contains("Ledger report") && text.contains("Page 5"), "{name}: {text}");
        }
        // The picture on the summary sheet: drawn where LibreOffice draws it
        // (the rose's red within 2 pixels at 30 dpi, poppler drawing both
        // PDFs); XLS keeps pictures in records not read yet, and says so.
        let report = fileconv::engine()
            .convert_stream(fileconv::Source::Bytes(&sheet(&name)), format, "pdf", &mut Vec::new(), &Options::new(), &fileconv::Control::default())
            .unwrap();
        let left_out = report.notes.iter().any(|n| n.contains("1 chart(s), shape(s) or picture(s)"));
        if format == "xls" {
            assert!(left_out, "{name}: {:?}", report.notes);
            continue;
        }
        assert!(!left_out, "{name}: {:?}", report.notes);
        let red = |pdf: &[u8]| red_box(pdf, 5, 30).unwrap_or_else(|| panic!("{name}: no picture on page 5"));
        let (ours, theirs) = (red(&ours), red(&sheet(&format!("{name}.libreoffice.pdf"))));
        assert!(ours.iter().zip(&theirs).all(|(a, b)| a.abs_diff(*b) <= 2), "{name}: picture at {ours:?}, LibreOffice's at {theirs:?}");
    }
    // A paper size asked for: the cells flow as a table onto pages of that size.
    let options = Options::new().with("pageSize", "a5");
    let flowing = fileconv::engine().convert_with(&sheet("print.xlsx"), "xlsx", "pdf", &options).unwrap();
    let (pages, _) = placed_words(&flowing);
    assert!(pages.iter().all(|(w, h)| (w - 419.5).abs() < 1.0 && (h - 595.3).abs() < 1.0), "{pages:?}");
}

#[test]
fn slides_become_pages_where_libreoffice_puts_them() {
    // Each deck against LibreOffice's PDF of it: as many pages, each the
    // slide's size (to the point); at least 80% of LibreOffice's words found
    // (pdftotext cuts turned text into pieces that differ between the two
    // PDFs), and 95% of those within 4% of the page of where LibreOffice puts them.
    for (deck, format) in [("sample.pptx", "pptx"), ("shapes.pptx", "pptx"), ("shapes.odp", "odp")] {
        let ours = pages_like_libreoffice(deck, format, 0.8, 0.95);
        // The hidden slide is left out; the text of a placed page is text.
        let text = common::pdftotext(&ours);
        assert!(!text.contains("Secret"), "{deck}: {text}");
    }
    // Metric-compatible fonts stand in for the ones named: pandoc's deck asks
    // for Calibri (its theme's minor font), drawn in Carlito.
    let fonts = {
        let path = std::env::temp_dir().join(format!("fileconv-fonts-{}.pdf", std::process::id()));
        std::fs::write(&path, convert(&fixture("sample.pptx"), "pptx", "pdf")).unwrap();
        let out = Command::new("pdffonts").arg(&path).output().expect("pdffonts runs");
        let _ = std::fs::remove_file(&path);
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(fonts.contains("Carlito"), "{fonts}");
    // A paper size asked for: the slides' text flows onto pages of that size.
    let options = Options::new().with("pageSize", "a4");
    let flowing = fileconv::engine().convert_with(&fixture("shapes.pptx"), "pptx", "pdf", &options).unwrap();
    let (pages, words) = placed_words(&flowing);
    assert!(pages.iter().all(|(w, h)| (w - 595.28).abs() < 1.0 && (h - 841.89).abs() < 1.0), "{pages:?}");
    assert!(words.iter().any(|(_, t, _, _)| t == "Cherry"), "{words:?}");
}

/// The box (left, top, right, bottom, in pixels) of the strongly red pixels
/// of a PDF's page drawn by poppler at `dpi`.
fn red_box(pdf: &[u8], page: u32, dpi: u32) -> Option<[u32; 4]> {
    let dir = std::env::temp_dir().join(format!("fileconv-red-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.pdf"), pdf).unwrap();
    let (page, dpi) = (page.to_string(), dpi.to_string());
    let status = Command::new("pdftoppm").args(["-r", &dpi, "-png", "-f", &page, "-l", &page, "-singlefile"]).arg(dir.join("a.pdf")).arg(dir.join("page")).status().unwrap();
    assert!(status.success());
    let image = common::decode_raster(&std::fs::read(dir.join("page.png")).unwrap(), "png").into_first().to_rgb8();
    let _ = std::fs::remove_dir_all(&dir);
    let red: Vec<(u32, u32)> = image.enumerate_pixels().filter(|(_, _, p)| p[0] > 120 && p[1] < 90 && p[2] < 90).map(|(x, y, _)| (x, y)).collect();
    let (xs, ys) = (red.iter().map(|p| p.0), red.iter().map(|p| p.1));
    Some([xs.clone().min()?, ys.clone().min()?, xs.max()?, ys.max()?])
}

#[test]
fn gradients_fill_shapes_as_the_deck_says() {
    // The table slide's rectangle runs from red on the left to blue on the
    // right (an ODF gradient at 90 degrees; LibreOffice's PPTX of it, 0
    // degrees): our PDF drawn by poppler at 36 dpi is red at the left end,
    // blue at the right, a mix of both between, as in LibreOffice's PDF.
    let dir = std::env::temp_dir().join(format!("fileconv-gradient-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (deck, format) in [("shapes.pptx", "pptx"), ("shapes.odp", "odp")] {
        let pdf = dir.join(format!("{format}.pdf"));
        std::fs::write(&pdf, convert(&fixture(deck), format, "pdf")).unwrap();
        let status = Command::new("pdftoppm").args(["-r", "36", "-png", "-f", "2", "-l", "2", "-singlefile"]).arg(&pdf).arg(dir.join(format)).status().unwrap();
        assert!(status.success());
        let page = common::decode_raster(&std::fs::read(dir.join(format!("{format}.png"))).unwrap(), "png").into_first().to_rgb8();
        let at = |x: u32| page.get_pixel(x, 142).0;
        let (left, middle, right) = (at(35), at(112), at(190));
        assert!(left[0] > 200 && left[2] < 60, "{deck}: left end {left:?}");
        assert!(right[2] > 200 && right[0] < 60, "{deck}: right end {right:?}");
        assert!(middle[0] > 90 && middle[2] > 90, "{deck}: middle {middle:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn notes_pages_follow_the_slides_as_libreoffice_prints_them() {
    // notes=true against LibreOffice's PDF with notes pages: the two slides
    // shown, then a portrait notes page for each (the hidden slide has
    // none): the slide drawn small at the top, its speaker notes below.
    let options = Options::new().with("notes", "true");
    for (deck, format) in [("shapes.pptx", "pptx"), ("shapes.odp", "odp")] {
        let ours = fileconv::engine().convert_with(&fixture(deck), format, "pdf", &options).unwrap();
        let reference = fixture(&format!("{deck}.notes.libreoffice.pdf"));
        pages_like(&ours, &reference, deck, 0.8, 0.95);
        let (pages, words) = placed_words(&ours);
        assert_eq!(pages.len(), 4, "{deck}: {pages:?}");
        assert!(pages[2].0 < pages[2].1 && pages[3].0 < pages[3].1, "{deck}: notes pages are portrait: {pages:?}");
        let on = |page: usize, word: &str| words.iter().any(|(p, t, _, _)| *p == page && t == word);
        // The notes under the slide they belong to, the slide's own words drawn too.
        assert!(on(2, "Speaker") && on(2, "ellipse.") && on(2, "Shapes") && !on(2, "Cherries"), "{deck}: {words:?}");
        assert!(on(3, "Cherries") && on(3, "Prices") && !on(3, "Speaker"), "{deck}: {words:?}");
        assert!(!common::pdftotext(&ours).contains("Secret"), "{deck}");
    }
    // Without the option: the slides alone.
    assert_eq!(placed_words(&convert(&fixture("shapes.pptx"), "pptx", "pdf")).0.len(), 2);
    // Flowing text holds no speaker notes, and says so.
    let read = |deck: &str, format: &str| {
        fileconv::engine().convert_stream(fileconv::Source::Bytes(&fixture(deck)), format, "txt", &mut Vec::new(), &Options::new(), &fileconv::Control::default()).unwrap()
    };
    for (deck, format, from) in [("shapes.pptx", "pptx", "PowerPoint"), ("shapes.odp", "odp", "OpenDocument"), ("shapes.ppt", "ppt", "PowerPoint 97-2003")] {
        let said = format!("the document's speaker notes are not read from {from} files into flowing text; they were left out");
        assert!(read(deck, format).notes.contains(&said), "{deck}: {:?}", read(deck, format).notes);
    }
    // Notes slides without words (LibreOffice writes one for every slide) are not counted.
    for (deck, format) in [("sample.ppt", "ppt"), ("slides.ppt", "ppt"), ("sample.pptx", "pptx")] {
        assert!(!read(deck, format).notes.iter().any(|n| n.contains("speaker notes")), "{deck}");
    }
    // As page images too: the third page is the first slide's notes page.
    let png = fileconv::engine().convert_with(&fixture("shapes.pptx"), "pptx", "png", &options.clone().with("page", "3").with("dpi", "36")).unwrap();
    let image = &common::decode_raster(&png, "png").frames[0].image;
    assert!(image.height() > image.width(), "{}x{}", image.width(), image.height());
}

#[test]
fn every_document_becomes_page_images() {
    // Every conversion through the `pages` adapter (a document drawn as PDF
    // pages, rendered): a fixture of each source to each image and video
    // target at 36 dpi, read back independently (image decoders, ffprobe): the
    // first page's size at 36 dpi, with ink on it.
    let engine = fileconv::engine();
    let mut fixtures = common::document_fixtures();
    fixtures.extend(common::sheet_fixtures());
    // The pandoc and LibreOffice samples first: one file per format.
    fixtures.sort_by_key(|(name, _, _)| (!name.starts_with("sample"), name.clone()));
    let pairs: Vec<(&str, &str)> = engine.conversions().iter().filter(|c| c.path.to_string().contains("--pages-->")).map(|c| (c.from, c.to)).collect();
    assert!(pairs.len() >= 300, "{} conversions through pages", pairs.len());
    let options = Options::new().with("dpi", "36");
    let source = |from: &str| fixtures.iter().find(|(_, format, _)| format == from).unwrap_or_else(|| panic!("no {from} fixture"));
    // The first page's size at 36 dpi, from the source's PDF.
    let sizes: std::collections::HashMap<&str, (u32, u32)> = pairs
        .iter()
        .map(|(from, _)| *from)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|from| {
            let (_, _, bytes) = source(from);
            let (pages, _) = placed_words(&convert(bytes, from, "pdf"));
            (from, ((pages[0].0 / 2.0).ceil() as u32, (pages[0].1 / 2.0).ceil() as u32))
        })
        .collect();
    let video = common::writable(fileconv::Category::Video);
    let check = |(from, to): (&str, &str)| {
        let (name, _, bytes) = source(from);
        let (w, h) = sizes[from];
        let out = engine.convert_with(bytes, from, to, &options).unwrap_or_else(|e| panic!("{name} to {to}: {e}"));
        if video.contains(&to) {
            let probe = common::probe_media(&out, to);
            let (_, vw, vh, _) = probe.video.unwrap_or_else(|| panic!("{name} to {to}: no video stream"));
            // Video encoders round sizes to even numbers (and some to 16).
            assert!(vw.abs_diff(w) <= 16 && vh.abs_diff(h) <= 16, "{name} to {to}: {vw}x{vh}, page {w}x{h}");
        } else {
            let raster = common::decode_raster(&out, to);
            let image = &raster.frames[0].image;
            // Icons are at most 256 pixels a side: the page is scaled to fit.
            let (w, h) = if to == "ico" && w.max(h) > 256 { ((w * 256).div_ceil(w.max(h)), (h * 256).div_ceil(w.max(h))) } else { (w, h) };
            assert!(image.width().abs_diff(w) <= 1 && image.height().abs_diff(h) <= 1, "{name} to {to}: {}x{}, page {w}x{h}", image.width(), image.height());
            let ink = common::luma(image).pixels().filter(|p| p.0[0] < 128).count();
            assert!(ink > 0, "{name} to {to}: a blank page");
        }
    };
    // Two at a time: 600 conversions, video encoders among them.
    std::thread::scope(|scope| {
        let (odd, even): (Vec<_>, Vec<_>) = pairs.iter().enumerate().partition(|(i, _)| i % 2 == 1);
        let workers: Vec<_> = [odd, even].into_iter().map(|half| scope.spawn(move || half.into_iter().for_each(|(_, pair)| check(*pair)))).collect();
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

#[test]
fn word_processor_files_keep_their_pages() {
    // DOCX, ODT and RTF to PDF on their own page setup, against LibreOffice's
    // PDF of each: as many pages of the same size, and at least this share of
    // LibreOffice's words (as found in ours) within 4% of the page of where
    // LibreOffice puts them. Where ours still differs: LibreOffice's ODT
    // tables have shorter rows and its lists keep their contextual spacing;
    // its RTF text is in Nimbus Sans (fontconfig's Helvetica here), whose
    // lines are taller than Liberation Sans's.
    for (document, format, least) in [
        ("sample.docx", "docx", 0.9),
        ("libreoffice.docx", "docx", 0.9),
        ("notes.docx", "docx", 0.8),
        ("notes.odt", "odt", 0.8),
        ("libreoffice.odt", "odt", 0.5),
        ("sample.odt", "odt", 0.45),
        ("libreoffice.rtf", "rtf", 0.6),
    ] {
        pages_like_libreoffice(document, format, 0.9, least);
    }
    // Footnotes at the foot of the page that cites them, endnotes after the text.
    let (_, words) = placed_words(&convert(&fixture("notes.docx"), "docx", "pdf"));
    let find = |text: &str| words.iter().find(|(_, t, _, _)| t == text).unwrap_or_else(|| panic!("{text}: {words:?}"));
    let (cited, note) = (find("early"), find("Sown"));
    assert!(note.0 == cited.0 && note.3 > 600.0 && cited.3 < 300.0, "{cited:?} {note:?}");
    assert!(find("Eleven").0 > note.0, "the endnote follows the text");
    // A paper size asked for: the text flows onto pages of that size instead.
    let options = Options::new().with("pageSize", "a5");
    let (pages, _) = placed_words(&fileconv::engine().convert_with(&fixture("sample.docx"), "docx", "pdf", &options).unwrap());
    assert!(pages.iter().all(|(w, h)| (w - 419.53).abs() < 1.0 && (h - 595.28).abs() < 1.0), "{pages:?}");
}
