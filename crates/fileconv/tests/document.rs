//! Documents: every readable fixture (made by pandoc) to every writable
//! format, read back by pandoc and compared with pandoc's own reading of the
//! fixture: the same words in the same order, and (for structured targets)
//! the same headings, lists, tables, code blocks and quotes.

mod common;

use std::process::Command;

use fileconv::{Error, Options};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::testdata().join("document").join(name)).unwrap()
}

/// Runs pandoc on `bytes` of pandoc's format `from`, to `to`.
fn pandoc(bytes: &[u8], from: &str, to: &str) -> String {
    let path = std::env::temp_dir().join(format!("fileconv-doc-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pandoc").args(["-f", from, "-t", to, "--wrap=none"]).arg(&path).output().expect("pandoc runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pandoc -f {from}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The words of a text, markup-only tokens (list markers, table rules) left out.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| "|*_~`#>-=+:".contains(c)).to_string())
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
/// its format ("" for plain text, compared by words only), or "libreoffice"
/// (LibreOffice opens it and saves HTML, which pandoc reads: pandoc's own
/// odt reader reads neither code blocks nor quotes nor table headers).
const TARGETS: &[(&str, &str)] = &[("md", "gfm"), ("html", "html"), ("txt", ""), ("docx", "docx"), ("odt", "libreoffice")];

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
        // Word processors show the title and author at the top, as text.
        if matches!(target, "docx" | "odt") && got != expected_words && got.starts_with(&metadata) {
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
}
