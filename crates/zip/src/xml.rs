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
