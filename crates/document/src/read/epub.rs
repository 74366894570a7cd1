//! EPUB (2 and 3): the zip is checked by fileconv-zip, `container.xml`
//! names the package document, whose metadata gives title and author and
//! whose spine gives the chapters in reading order; each chapter is read by
//! the HTML reader and its images are filled in from the package. Title and
//! cover pages (`epub:type="titlepage"` or `"cover"`) are left out: their
//! content is the metadata. Navigation documents are not in the spine's
//! reading order and are left out too.

use std::collections::HashMap;
use std::io::Cursor;

use fileconv_core::{Block, Context, Document, Error, Input, Result, Value};
use fileconv_zip::quick_xml::events::Event;
use fileconv_zip::quick_xml::XmlVersion;
use fileconv_zip::resolve;
use fileconv_zip::xml::{attr, push_reference, Events};

const FORMAT: &str = "epub";

fn xml_error(part: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid_input(FORMAT, format!("{part}: {e}"))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

struct Package {
    title: Option<String>,
    author: Option<String>,
    /// Chapter paths in reading order.
    spine: Vec<String>,
}

/// # Errors
/// [`Error::InvalidInput`] for a broken zip, container or package document;
/// [`Error::LimitExceeded`] for zip bombs and nesting past the limit.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut zip = fileconv_zip::open(Cursor::new(input.bytes), ctx.limits, FORMAT)?;
    let container = fileconv_zip::read_entry(&mut zip, "META-INF/container.xml", FORMAT)?;
    let opf_path = rootfile(&container)?;
    let opf = fileconv_zip::read_entry(&mut zip, &opf_path, FORMAT)?;
    let package = read_package(&opf, dir_of(&opf_path))?;
    let mut doc = Document { title: package.title, author: package.author, blocks: Vec::new(), ..Document::default() };
    for chapter in &package.spine {
        ctx.checkpoint()?;
        let Some(bytes) = fileconv_zip::read_optional(&mut zip, chapter, FORMAT)? else { continue };
        if contains(&bytes, b"epub:type=\"titlepage\"") || contains(&bytes, b"epub:type=\"cover\"") {
            continue;
        }
        let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).into_owned();
        let mut part = super::html::parse(&text, ctx)?;
        let base = dir_of(chapter).to_string();
        let mut missing: HashMap<String, Option<Vec<u8>>> = HashMap::new();
        let mut load = |src: &str| -> Option<Vec<u8>> {
            let path = resolve(&base, src);
            missing.entry(path.clone()).or_insert_with(|| fileconv_zip::read_optional(&mut zip, &path, FORMAT).ok().flatten()).clone()
        };
        fill_images(&mut part.blocks, &mut load);
        if doc.title.is_none() {
            doc.title = part.title.take();
        }
        doc.blocks.append(&mut part.blocks);
    }
    Ok(Value::Document(doc))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Gives images that point into the package their bytes.
fn fill_images(blocks: &mut [Block], load: &mut dyn FnMut(&str) -> Option<Vec<u8>>) {
    super::visit_images(blocks, &mut |image| {
        if image.data.is_none() && !image.src.contains(':') {
            image.data = load(&image.src);
        }
    });
}

fn rootfile(container: &[u8]) -> Result<String> {
    let mut reader = Events::new(container, FORMAT, "container.xml");
    loop {
        match reader.read()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "rootfile" => {
                if let Some(path) = attr(&e, "full-path").map_err(|m| xml_error("container.xml", m))? {
                    return Ok(resolve("", &path));
                }
            }
            Event::Eof => return Err(xml_error("container.xml", "no rootfile")),
            _ => {}
        }
    }
}

fn read_package(opf: &[u8], base: &str) -> Result<Package> {
    const PART: &str = "package document";
    let mut reader = Events::new(opf, FORMAT, PART);
    let (mut title, mut author) = (None, None);
    let mut manifest: HashMap<String, (String, bool)> = HashMap::new();
    let mut spine_ids = Vec::new();
    let mut field: Option<bool> = None;
    let mut text = String::new();
    loop {
        match reader.read()? {
            Event::Start(e) | Event::Empty(e) => {
                let get = |k: &str| attr(&e, k).map_err(|m| xml_error(PART, m));
                match e.local_name().as_ref() {
                    "title" if title.is_none() => field = Some(true),
                    "creator" if author.is_none() => field = Some(false),
                    "item" => {
                        if let (Some(id), Some(href)) = (get("id")?, get("href")?) {
                            let nav = get("properties")?.is_some_and(|p| p.split_whitespace().any(|w| w == "nav"));
                            manifest.insert(id, (resolve(base, &href), nav));
                        }
                    }
                    "itemref" => {
                        if get("linear")?.as_deref() != Some("no") {
                            if let Some(id) = get("idref")? {
                                spine_ids.push(id);
                            }
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Text(t) if field.is_some() => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) if field.is_some() => push_reference(&r, &mut text).map_err(|m| xml_error(PART, m))?,
            Event::End(_) => {
                let value = Some(text.trim().to_string()).filter(|t| !t.is_empty());
                match field.take() {
                    Some(true) => title = value,
                    Some(false) => author = value,
                    None => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let spine = spine_ids.into_iter().filter_map(|id| manifest.get(&id)).filter(|(_, nav)| !nav).map(|(path, _)| path.clone()).take(100_000).collect();
    Ok(Package { title, author, spine })
}
