//! What an SVG will cost, found before usvg and resvg see it. Both recurse
//! once per nesting level and per reference they follow (`use`, masks,
//! clip paths, patterns, filters, markers), and resvg allocates a layer per
//! isolated group and a buffer per filter primitive without any bound. So a
//! few KB of SVG can overflow any stack or ask for tens of GB. Here:
//!
//! - [`prescan`] parses the XML once (roxmltree, iterative), refuses entity
//!   declarations that could amplify, and walks elements and references
//!   iteratively: the deepest chain of nesting and references, the number
//!   of elements once every reference is expanded, and reference cycles;
//! - [`render_cost`] walks the parsed tree (its depth bounded by the
//!   pre-scan) and adds up the memory resvg will hold at once (layers,
//!   masks, clips, filter results, pattern tiles, embedded images) and the
//!   pixel work of filters, so a render that would pass the memory budget
//!   or the time left is refused before it starts.

use std::collections::HashMap;
use std::io::Cursor;

use fileconv_core::image::ImageReader;
use fileconv_core::{Error, Result};
use resvg::usvg::{self, roxmltree, tiny_skia_path::Transform};

/// Deepest chain of element nesting and followed references.
pub const MAX_DEPTH: u32 = 256;
/// Elements once every `use` and paint-server reference is expanded.
pub const MAX_EXPANDED_ELEMENTS: u64 = 1_000_000;
/// Nodes (elements, text, attributes) roxmltree may build.
const MAX_XML_NODES: u32 = 2_000_000;
/// Bytes that entity references may expand to, together.
const MAX_ENTITY_EXPANSION: u64 = 1 << 20;
/// Pixel operations per second one core is assumed to do in resvg's
/// filters and compositing: deliberately low, so an estimate errs on the
/// side of refusing.
pub const PIXEL_WORK_PER_SECOND: f64 = 100e6;
/// Pixel work allowed when a conversion has no time limit (10 minutes' worth).
const UNBOUNDED_WORK: f64 = 600.0 * PIXEL_WORK_PER_SECOND;

const ID: &str = "svg";

/// Checks an SVG document's structure before usvg parses it.
///
/// # Errors
/// [`Error::LimitExceeded`] past [`MAX_DEPTH`], [`MAX_EXPANDED_ELEMENTS`]
/// or the entity-expansion bound; [`Error::InvalidInput`] for XML that does
/// not parse, entities holding markup or other entities, and reference cycles.
pub fn prescan(bytes: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::invalid_input(ID, format!("not UTF-8 text: {e}")))?;
    check_entities(text)?;
    check_markup_depth(text)?;
    let options = roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: MAX_XML_NODES };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => Error::limit("SVG nodes", MAX_XML_NODES.into(), u64::from(MAX_XML_NODES) + 1),
        e => Error::invalid_input(ID, e),
    })?;
    let graph = Graph::build(&doc);
    graph.check()
}

/// Element nesting, counted on the raw text before any parser (roxmltree
/// among them) recurses over it: tags opened minus tags closed, skipping
/// comments, CDATA, processing instructions, the DOCTYPE and quoted
/// attribute values.
fn check_markup_depth(text: &str) -> Result<()> {
    let bytes = text.as_bytes();
    let skip_past = |from: usize, end: &[u8]| find_bytes(&bytes[from..], end).map_or(bytes.len(), |at| from + at + end.len());
    let mut depth = 0u32;
    let mut at = 0;
    while let Some(open) = bytes[at..].iter().position(|&b| b == b'<') {
        at += open + 1;
        match bytes.get(at) {
            Some(b'!') if bytes[at..].starts_with(b"!--") => at = skip_past(at, b"-->"),
            Some(b'!') if bytes[at..].starts_with(b"![CDATA[") => at = skip_past(at, b"]]>"),
            Some(b'!') => {
                // A declaration, with an internal subset in brackets.
                let mut bracket = 0i32;
                while let Some(&b) = bytes.get(at) {
                    at += 1;
                    match b {
                        b'[' => bracket += 1,
                        b']' => bracket -= 1,
                        b'"' | b'\'' => at = skip_past(at, &[b]),
                        b'>' if bracket <= 0 => break,
                        _ => {}
                    }
                }
            }
            Some(b'?') => at = skip_past(at, b"?>"),
            Some(b'/') => {
                depth = depth.saturating_sub(1);
                at = skip_past(at, b">");
            }
            _ => {
                let mut self_closing = false;
                while let Some(&b) = bytes.get(at) {
                    at += 1;
                    match b {
                        b'"' | b'\'' => at = skip_past(at, &[b]),
                        b'>' => {
                            self_closing = bytes.get(at.wrapping_sub(2)) == Some(&b'/');
                            break;
                        }
                        _ => {}
                    }
                }
                if !self_closing {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Error::limit("SVG nesting and reference depth", MAX_DEPTH.into(), u64::from(depth)));
                    }
                }
            }
        }
    }
    Ok(())
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Entity declarations may only name plain text (as Illustrator's
/// namespace entities do), and all references together expand to at most
/// [`MAX_ENTITY_EXPANSION`] bytes.
fn check_entities(text: &str) -> Result<()> {
    let mut expansion = 0u64;
    let mut rest = text;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + 8..];
        let declaration = rest.trim_start();
        if declaration.starts_with('%') {
            return Err(Error::invalid_input(ID, "parameter entities are not accepted"));
        }
        let name: String = declaration.chars().take_while(|c| !c.is_whitespace()).collect();
        let after_name = declaration[name.len()..].trim_start();
        let Some(quote) = after_name.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            return Err(Error::invalid_input(ID, format!("entity '{name}' is not an internal text entity")));
        };
        let Some(end) = after_name[1..].find(quote) else { return Err(Error::invalid_input(ID, "unterminated entity declaration")) };
        let value = &after_name[1..1 + end];
        if value.contains('<') || value.contains('&') {
            return Err(Error::invalid_input(ID, format!("entity '{name}' holds markup or other entities")));
        }
        let uses = text.matches(&format!("&{name};")).count() as u64;
        expansion = expansion.saturating_add(uses.saturating_mul(value.len() as u64));
        if expansion > MAX_ENTITY_EXPANSION {
            return Err(Error::limit("SVG entity expansion (bytes)", MAX_ENTITY_EXPANSION, expansion));
        }
    }
    Ok(())
}

/// Elements with their children and the elements they reference.
struct Graph<'d> {
    /// Per element: element children, then referenced elements.
    edges: Vec<Vec<u32>>,
    /// Per element: its `id`, for messages.
    ids: Vec<Option<&'d str>>,
    root: Option<u32>,
    /// Elements a style sheet references: any element may pull them in.
    styled: Vec<u32>,
    elements: u64,
}

impl<'d> Graph<'d> {
    fn build(doc: &'d roxmltree::Document<'d>) -> Graph<'d> {
        let elements: Vec<roxmltree::Node<'d, 'd>> = doc.descendants().filter(roxmltree::Node::is_element).collect();
        let index: HashMap<roxmltree::NodeId, u32> = elements.iter().enumerate().map(|(i, n)| (n.id(), i as u32)).collect();
        let by_id: HashMap<&str, u32> = elements.iter().enumerate().filter_map(|(i, n)| n.attribute("id").map(|id| (id, i as u32))).collect();
        // Style sheets can give any element a reference: each of their
        // references is taken to apply to every element.
        let mut styled: Vec<u32> = Vec::new();
        for style in elements.iter().filter(|n| n.tag_name().name() == "style") {
            for text in style.children().filter_map(|c| c.text()) {
                styled.extend(url_references(text).filter_map(|id| by_id.get(id).copied()));
            }
        }
        let edges = elements
            .iter()
            .map(|node| {
                let mut out: Vec<u32> = node.children().filter_map(|c| index.get(&c.id()).copied()).collect();
                for attribute in node.attributes() {
                    let value = attribute.value();
                    if attribute.name() == "href" {
                        if let Some(target) = value.trim().strip_prefix('#').and_then(|id| by_id.get(id)) {
                            out.push(*target);
                        }
                    }
                    out.extend(url_references(value).filter_map(|id| by_id.get(id).copied()));
                }
                out
            })
            .collect();
        let ids = elements.iter().map(|n| n.attribute("id")).collect();
        let root = (!elements.is_empty()).then_some(0);
        styled.sort_unstable();
        styled.dedup();
        Graph { edges, ids, root, styled, elements: elements.len() as u64 }
    }

    /// Depth and expanded size of the document: from the root, plus what
    /// style sheets may attach to each element.
    fn check(&self) -> Result<()> {
        let Some(root) = self.root else { return Ok(()) };
        let mut walk = Walk { state: vec![NEW; self.edges.len()], depth: vec![0; self.edges.len()], size: vec![0; self.edges.len()] };
        self.visit(root, &mut walk)?;
        let (mut depth, mut size) = (walk.depth[root as usize], walk.size[root as usize]);
        for &target in &self.styled {
            self.visit(target, &mut walk)?;
            depth = depth.max(walk.depth[root as usize] + walk.depth[target as usize]);
            size = size.saturating_add(self.elements.saturating_mul(walk.size[target as usize]));
        }
        if depth > MAX_DEPTH {
            return Err(Error::limit("SVG nesting and reference depth", MAX_DEPTH.into(), depth.into()));
        }
        if size > MAX_EXPANDED_ELEMENTS {
            return Err(Error::limit("SVG elements once references are expanded", MAX_EXPANDED_ELEMENTS, size));
        }
        Ok(())
    }

    /// Depth and expanded size of everything reachable from `start`,
    /// computed without recursion (post-order with an explicit stack);
    /// stops early once either passes its bound.
    fn visit(&self, start: u32, walk: &mut Walk) -> Result<()> {
        if walk.state[start as usize] == DONE {
            return Ok(());
        }
        let mut stack: Vec<(u32, usize)> = vec![(start, 0)];
        walk.state[start as usize] = OPEN;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let edges = &self.edges[node as usize];
            if let Some(&target) = edges.get(*next) {
                *next += 1;
                match walk.state[target as usize] {
                    NEW => {
                        walk.state[target as usize] = OPEN;
                        stack.push((target, 0));
                    }
                    OPEN => {
                        let id = self.ids[target as usize].unwrap_or("?");
                        return Err(Error::invalid_input(ID, format!("references form a cycle through #{id}")));
                    }
                    _ => {}
                }
                continue;
            }
            let depth = edges.iter().map(|&t| walk.depth[t as usize]).max().unwrap_or(0) + 1;
            let size = edges.iter().fold(1u64, |sum, &t| sum.saturating_add(walk.size[t as usize]));
            if depth > MAX_DEPTH {
                return Err(Error::limit("SVG nesting and reference depth", MAX_DEPTH.into(), depth.into()));
            }
            if size > MAX_EXPANDED_ELEMENTS {
                return Err(Error::limit("SVG elements once references are expanded", MAX_EXPANDED_ELEMENTS, size));
            }
            walk.depth[node as usize] = depth;
            walk.size[node as usize] = size;
            walk.state[node as usize] = DONE;
            stack.pop();
        }
        Ok(())
    }
}

const NEW: u8 = 0;
const OPEN: u8 = 1;
const DONE: u8 = 2;

/// The state of a graph walk: per element, whether it is done, its depth and size.
struct Walk {
    state: Vec<u8>,
    depth: Vec<u32>,
    size: Vec<u64>,
}

/// The ids named by `url(#id)` in an attribute value or a style sheet.
fn url_references(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("url(").filter_map(move |(at, _)| {
        let inner = &text[at + 4..];
        let inner = inner[..inner.find(')')?].trim().trim_matches(|c| c == '"' || c == '\'');
        inner.strip_prefix('#')
    })
}

/// What rendering a parsed tree will take: bytes held at once and pixel work.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RenderCost {
    pub memory: f64,
    pub work: f64,
}

/// The cost of rendering `tree` with `transform` onto a `width` x `height` canvas.
pub fn render_cost(tree: &usvg::Tree, transform: Transform, width: u32, height: u32) -> RenderCost {
    let canvas = f64::from(width) * f64::from(height);
    let walker = Walker { canvas_w: f64::from(width), canvas_h: f64::from(height) };
    let inner = walker.group(tree.root(), transform);
    RenderCost { memory: canvas * 4.0 + inner.memory, work: canvas + inner.work }
}

/// Checks a render's cost against the memory left and the time left.
///
/// # Errors
/// [`Error::LimitExceeded`] for the first bound the render would pass.
pub fn check_render_cost(cost: RenderCost, memory_left: u64, time_left: Option<std::time::Duration>) -> Result<()> {
    if cost.memory > memory_left as f64 {
        return Err(Error::LimitExceeded { what: "memory for SVG layers and filters (bytes)", limit: memory_left, actual: Some(cost.memory as u64) });
    }
    let budget = time_left.map_or(UNBOUNDED_WORK, |t| t.as_secs_f64() * PIXEL_WORK_PER_SECOND);
    if cost.work > budget {
        return Err(Error::LimitExceeded { what: "SVG rendering work (pixel operations)", limit: budget as u64, actual: Some(cost.work as u64) });
    }
    Ok(())
}

struct Walker {
    canvas_w: f64,
    canvas_h: f64,
}

impl Walker {
    /// Pixels of `rect` under `transform`, as resvg clips layers: to five
    /// times the canvas each way.
    fn layer_pixels(&self, rect: usvg::NonZeroRect, transform: Transform) -> f64 {
        let Some(r) = rect.transform(transform) else { return 0.0 };
        let clip = |lo: f32, len: f32, canvas: f64| {
            let (lo, hi) = (f64::from(lo).max(-2.0 * canvas), f64::from(lo + len).min(3.0 * canvas));
            (hi - lo).max(0.0) + 4.0
        };
        clip(r.x(), r.width(), self.canvas_w) * clip(r.y(), r.height(), self.canvas_h)
    }

    /// Pixels of `rect` under `transform`, unclipped (filter regions are not clipped).
    fn region_pixels(rect: usvg::NonZeroRect, transform: Transform) -> f64 {
        rect.transform(transform).map_or(0.0, |r| f64::from(r.width()).ceil() * f64::from(r.height()).ceil())
    }

    fn group(&self, group: &usvg::Group, base: Transform) -> RenderCost {
        let transform = base.pre_concat(group.abs_transform());
        let mut own = RenderCost::default();
        if group.should_isolate() {
            let layer = self.layer_pixels(group.abs_layer_bounding_box(), base);
            own.memory += layer * 4.0;
            own.work += layer;
            let mut mask = group.mask();
            while let Some(m) = mask {
                own.memory += layer * 4.0;
                own.work += layer + self.group(m.root(), base).work;
                mask = m.mask();
            }
            let mut clip = group.clip_path();
            while let Some(c) = clip {
                own.memory += layer * 4.0;
                own.work += layer + self.group(c.root(), base).work;
                clip = c.clip_path();
            }
            for filter in group.filters() {
                let region = Self::region_pixels(filter.rect(), transform);
                let primitives = filter.primitives();
                own.memory += (primitives.len() as f64 + 2.0) * region * 4.0;
                let (sx, sy) = transform.get_scale();
                own.work += primitives.iter().map(|p| primitive_work(p.kind(), f64::from(sx), f64::from(sy))).sum::<f64>() * region;
            }
        }
        let mut held = 0.0f64;
        for child in group.children() {
            let cost = self.node(child, base);
            held = held.max(cost.memory);
            own.work += cost.work;
        }
        own.memory += held;
        own
    }

    fn node(&self, node: &usvg::Node, base: Transform) -> RenderCost {
        match node {
            usvg::Node::Group(group) => self.group(group, base),
            usvg::Node::Text(text) => self.group(text.flattened(), base),
            usvg::Node::Path(path) => {
                let transform = base.pre_concat(path.abs_transform());
                let paints = path.fill().map(usvg::Fill::paint).into_iter().chain(path.stroke().map(usvg::Stroke::paint));
                let mut cost = RenderCost::default();
                for paint in paints {
                    if let usvg::Paint::Pattern(pattern) = paint {
                        let (sx, sy) = transform.pre_concat(pattern.transform()).get_scale();
                        let rect = pattern.rect();
                        let tile = (f64::from(rect.width() * sx)).round() * (f64::from(rect.height() * sy)).round();
                        let inner = self.group(pattern.root(), Transform::from_scale(sx, sy));
                        cost.memory = cost.memory.max(tile * 4.0 + inner.memory);
                        cost.work += tile + inner.work;
                    }
                }
                cost
            }
            usvg::Node::Image(image) => match image.kind() {
                usvg::ImageKind::SVG(inner) => {
                    let size = image.size();
                    let scale = Transform::from_scale(size.width() / inner.size().width(), size.height() / inner.size().height());
                    self.group(inner.root(), base.pre_concat(image.abs_transform()).pre_concat(scale))
                }
                usvg::ImageKind::JPEG(data) | usvg::ImageKind::PNG(data) | usvg::ImageKind::GIF(data) | usvg::ImageKind::WEBP(data) => {
                    // resvg decodes embedded images itself, with no limit of its own.
                    let pixels = ImageReader::new(Cursor::new(data.as_slice()))
                        .with_guessed_format()
                        .ok()
                        .and_then(|r| r.into_dimensions().ok())
                        .map_or(0.0, |(w, h)| f64::from(w) * f64::from(h));
                    RenderCost { memory: pixels * 8.0, work: pixels * 2.0 }
                }
            },
        }
    }
}

/// Pixel operations per filter-region pixel of one primitive.
fn primitive_work(kind: &usvg::filter::Kind, sx: f64, sy: f64) -> f64 {
    use usvg::filter::Kind;
    match kind {
        Kind::GaussianBlur(_) | Kind::DropShadow(_) => 24.0,
        Kind::Morphology(m) => {
            let rx = (f64::from(m.radius_x().get()) * sx).ceil();
            let ry = (f64::from(m.radius_y().get()) * sy).ceil();
            (2.0 * rx + 1.0) * (2.0 * ry + 1.0)
        }
        Kind::ConvolveMatrix(c) => f64::from(c.matrix().columns()) * f64::from(c.matrix().rows()) + 2.0,
        Kind::Turbulence(t) => 40.0 * f64::from(t.num_octaves().max(1)),
        Kind::DiffuseLighting(_) | Kind::SpecularLighting(_) | Kind::DisplacementMap(_) => 24.0,
        _ => 3.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>{}{}</svg>", "<g>".repeat(depth), "</g>".repeat(depth))
    }

    #[test]
    fn nesting_is_bounded() {
        assert!(prescan(nested(100).as_bytes()).is_ok());
        let err = prescan(nested(5000).as_bytes()).unwrap_err();
        assert!(err.to_string().contains("depth"), "{err}");
    }

    #[test]
    fn raw_nesting_is_counted_without_parsing() {
        assert!(check_markup_depth(&format!("<a>{}</a>", "<b x='<c>'/><!-- <d> --><![CDATA[<e>]]><?p <f>?>".repeat(1000))).is_ok());
        assert!(check_markup_depth(&"<g>".repeat(300)).is_err());
        assert!(check_markup_depth(&format!("<!DOCTYPE svg [<!ENTITY a '<'>]>{}", "<g></g>".repeat(1000))).is_ok());
    }

    #[test]
    fn reference_chains_and_cycles_are_found() {
        let mut chain = String::from("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><defs>");
        for i in 0..3000 {
            chain.push_str(&format!("<mask id='m{i}'><rect width='10' height='10' mask='url(#m{})'/></mask>", i + 1));
        }
        chain.push_str("</defs><rect width='10' height='10' mask='url(#m0)'/></svg>");
        assert!(prescan(chain.as_bytes()).unwrap_err().to_string().contains("depth"));
        let cycle = "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'><g id='a'><use xlink:href='#b'/></g><g id='b'><use href='#a'/></g></svg>";
        assert!(prescan(cycle.as_bytes()).unwrap_err().to_string().contains("cycle"));
    }

    #[test]
    fn use_fan_out_is_bounded() {
        // Ten levels of ten uses each: 10^10 elements once expanded.
        let mut svg = String::from("<svg xmlns='http://www.w3.org/2000/svg'><defs><rect id='l0' width='1' height='1'/>");
        for level in 1..=10 {
            svg.push_str(&format!("<g id='l{level}'>"));
            for _ in 0..10 {
                svg.push_str(&format!("<use href='#l{}'/>", level - 1));
            }
            svg.push_str("</g>");
        }
        svg.push_str("</defs><use href='#l10'/></svg>");
        assert!(prescan(svg.as_bytes()).unwrap_err().to_string().contains("expanded"));
    }

    #[test]
    fn entities_may_only_be_short_text() {
        let plain = "<!DOCTYPE svg [<!ENTITY ns 'http://www.w3.org/2000/svg'>]><svg xmlns='&ns;'/>";
        assert!(prescan(plain.as_bytes()).is_ok());
        let laughs = "<!DOCTYPE svg [<!ENTITY a 'lol'><!ENTITY b '&a;&a;'>]><svg xmlns='http://www.w3.org/2000/svg'><text>&b;</text></svg>";
        assert!(prescan(laughs.as_bytes()).is_err());
        let markup = "<!DOCTYPE svg [<!ENTITY g '<g/>'>]><svg xmlns='http://www.w3.org/2000/svg'>&g;</svg>";
        assert!(prescan(markup.as_bytes()).is_err());
        let many = format!("<!DOCTYPE svg [<!ENTITY a '{}'>]><svg xmlns='http://www.w3.org/2000/svg'><text>{}</text></svg>", "x".repeat(1000), "&a;".repeat(2000));
        assert!(prescan(many.as_bytes()).unwrap_err().to_string().contains("entity expansion"));
    }

    #[test]
    fn style_sheets_references_are_not_cycles() {
        let svg = "<svg xmlns='http://www.w3.org/2000/svg'><style>rect { fill: url(#g) }</style><linearGradient id='g'><stop offset='0'/></linearGradient><rect width='1' height='1'/></svg>";
        prescan(svg.as_bytes()).unwrap();
    }

    #[test]
    fn url_references_are_read_from_values_and_styles() {
        let ids: Vec<&str> = url_references("fill:url(#a); mask: url( '#b' ) ; stroke:url(x)").collect();
        assert_eq!(ids, ["a", "b"]);
    }
}
