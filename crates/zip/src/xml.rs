//! quick-xml helpers every reader of XML parts (xlsx, ods, docx, odt, epub) shares.

use quick_xml::events::{BytesRef, BytesStart};
use quick_xml::XmlVersion;

/// An attribute's value, entities resolved; `None` when absent.
///
/// # Errors
/// The parser's message for a malformed attribute.
pub fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
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
pub fn push_reference(r: &BytesRef<'_>, text: &mut String) -> Result<(), String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        text.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r.xml_content(XmlVersion::Implicit1_0)) {
        text.push_str(s);
    }
    Ok(())
}
