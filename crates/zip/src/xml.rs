//! quick-xml helpers every reader of XML parts (xlsx, ods, docx, odt, epub) shares.

use fileconv_core::{Context, Error, Result};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// Events of an XML part held in memory, empty elements reported as a
/// start and an end, cancellation checked every 65,536 events, errors
/// reported as [`Error::InvalidInput`] naming the format and the part.
pub struct Events<'a> {
    reader: Reader<&'a [u8]>,
    format: &'static str,
    part: &'a str,
    count: u64,
}

impl<'a> Events<'a> {
    pub fn new(bytes: &'a [u8], format: &'static str, part: &'a str) -> Self {
        let mut reader = Reader::from_reader(bytes);
        reader.config_mut().expand_empty_elements = true;
        Events { reader, format, part, count: 0 }
    }

    /// The next event, checking for cancellation now and then (for large parts).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for malformed XML; cancellation from `ctx`.
    pub fn next(&mut self, ctx: &Context<'_>) -> Result<Event<'a>> {
        self.count += 1;
        if self.count.is_multiple_of(65_536) {
            ctx.checkpoint()?;
        }
        self.read()
    }

    /// The next event (for small parts: styles, relationships, metadata).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for malformed XML.
    pub fn read(&mut self) -> Result<Event<'a>> {
        self.reader.read_event().map_err(|e| self.error(e))
    }

    /// An error about this part.
    pub fn error(&self, reason: impl std::fmt::Display) -> Error {
        Error::invalid_input(self.format, format!("{}: {reason}", self.part))
    }
}

/// An attribute's value, entities resolved; `None` when absent.
///
/// # Errors
/// The parser's message for a malformed attribute.
pub fn attr(e: &BytesStart<'_>, key: &str) -> std::result::Result<Option<String>, String> {
    match e.try_get_attribute(key).map_err(|e| e.to_string())? {
        Some(a) => Ok(Some(a.normalized_value(XmlVersion::Implicit1_0).map_err(|e| e.to_string())?.into_owned())),
        None => Ok(None),
    }
}

/// Appends what an entity or character reference in text stands for
/// (quick-xml reports them apart from the text); unknown entities are dropped,
/// as no DTD is ever read.
///
/// # Errors
/// The parser's message for a malformed character reference.
pub fn push_reference(r: &BytesRef<'_>, text: &mut String) -> std::result::Result<(), String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        text.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r.xml_content(XmlVersion::Implicit1_0)) {
        text.push_str(s);
    }
    Ok(())
}

/// Letters (alphabetic characters: digits such as page numbers are not
/// counted) in the text of a part that stands inside an element whose local
/// name is in `inside` (anywhere, when it is empty) and not inside one in
/// `skip`: whether a part a reader leaves out holds any words. Malformed
/// XML ends the count where it starts.
pub fn letters(bytes: &[u8], inside: &[&str], skip: &[&str]) -> usize {
    let mut reader = Events::new(bytes, "xml", "part");
    let (mut within, mut skipped, mut count) = (0usize, 0usize, 0usize);
    loop {
        match reader.read() {
            Ok(Event::Start(e)) => {
                let name = e.local_name();
                let name: &str = name.as_ref();
                within += usize::from(inside.contains(&name));
                skipped += usize::from(skip.contains(&name));
            }
            Ok(Event::End(e)) => {
                let name = e.local_name();
                let name: &str = name.as_ref();
                within = within.saturating_sub(usize::from(inside.contains(&name)));
                skipped = skipped.saturating_sub(usize::from(skip.contains(&name)));
            }
            Ok(Event::Text(t)) if (inside.is_empty() || within > 0) && skipped == 0 => {
                count += t.xml_content(XmlVersion::Implicit1_0).chars().filter(|c| c.is_alphabetic()).count();
            }
            Ok(Event::Eof) | Err(_) => return count,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod letters_tests {
    #[test]
    fn counts_letters_where_asked() {
        let xml = b"<doc><hdr><p>Page <n>12</n> of the report</p></hdr><body>Body text</body><note><who>Ada</who><p>Check</p></note></doc>";
        assert_eq!(super::letters(xml, &["hdr"], &[]), "Pageofthereport".len());
        assert_eq!(super::letters(xml, &["note"], &["who"]), "Check".len());
        assert_eq!(super::letters(xml, &[], &[]), "PageofthereportBodytextAdaCheck".len());
        assert_eq!(super::letters(b"<hdr><p>12</p></hdr>", &["hdr"], &[]), 0, "a page number alone");
        assert_eq!(super::letters(b"<hdr>Cut <p", &["hdr"], &[]), 3, "malformed: what came before");
    }
}
