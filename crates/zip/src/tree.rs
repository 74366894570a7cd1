//! What the readers of page layouts share about their read-only XML trees
//! (roxmltree): parsing under a node limit with DTDs refused, and finding
//! elements and attributes by local name (transitional and strict OOXML
//! spell namespaces differently).

use fileconv_core::document::fixed::Color;
use fileconv_core::{Error, Result, Rgba};
use roxmltree::{Document, Node};

/// At most this many XML nodes per part (about 100 bytes each in memory).
pub const MAX_NODES: u32 = 2_000_000;

/// A part's text.
///
/// # Errors
/// [`Error::InvalidInput`] naming `format` and `part` when it is not UTF-8.
pub fn utf8(bytes: Vec<u8>, part: &str, format: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::invalid_input(format, format!("{part}: not UTF-8")))
}

/// # Errors
/// [`Error::InvalidInput`] for broken XML or a DTD; [`Error::LimitExceeded`]
/// past [`MAX_NODES`].
pub fn parse<'a>(text: &'a str, part: &str, format: &str) -> Result<Document<'a>> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES };
    Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => Error::limit("XML nodes in one part", u64::from(MAX_NODES), u64::from(MAX_NODES) + 1),
        e => Error::invalid_input(format, format!("{part}: {e}")),
    })
}

/// Whether a node is an element with this local name.
pub fn is_named(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

/// The first child element with this local name.
pub fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is_named(*c, name))
}

/// Every child element with this local name.
pub fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is_named(*c, name))
}

/// A relationship attribute (`r:id`, `r:embed`) by local name, in either
/// spelling of the relationships namespace.
pub fn related_id<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes().find(|a| a.namespace().is_some_and(|n| n.contains("relationships")) && a.name() == name).map(|a| a.value())
}

/// A colour attribute's value (`FF8000`, `#ff8000`), by the project's own
/// colour parser; `None` for a transparent or unreadable one.
pub fn rgb(text: &str) -> Option<Color> {
    let Rgba([r, g, b, a]) = Rgba::parse(text)?;
    (a > 0).then_some((r, g, b))
}
