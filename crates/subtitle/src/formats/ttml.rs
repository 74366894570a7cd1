//! TTML (Timed Text Markup Language, and DFXP, its first edition): `<p>`
//! elements with `begin`/`end`/`dur` in clock (`00:00:01.500`,
//! `00:00:01:12` frames), offset (`1.5s`, `1500ms`, `36f`, `10000000t`)
//! times, relative to their `<div>` and `<body>`; styling from `tts:`
//! attributes on the element or on `<style>`s it names; placement from
//! its region's `displayAlign`/`origin`.

use std::collections::HashMap;
use std::io::Write;

use fileconv_core::subtitles::clock;
use fileconv_core::{Category, Context, Cue, Decoder, Encoder, FormatInfo, Input, Result, SubtitleStyle, Value, ValueKind};
use fileconv_zip::quick_xml::events::{BytesStart, Event};
use fileconv_zip::quick_xml::escape::escape;
use fileconv_zip::quick_xml::XmlVersion;
use fileconv_zip::xml::{push_reference, Events};

use super::{note_losses, shown, text, write_all, CueList, Holds, READ, WRITE};
use crate::markup::{hex_color, parse_color, trim_lines, Pen};

inventory::submit! {
    FormatInfo { id: "ttml", aliases: &["dfxp", "xml-subtitles"], name: "TTML / DFXP timed text", mime: "application/ttml+xml", category: Category::Subtitle, container: None, sniff: Some(sniff) }
}
inventory::submit! { Decoder { format: "ttml", name: "ttml", output: ValueKind::Subtitles, cost: READ, options: &[], decode } }
inventory::submit! { Encoder { format: "ttml", name: "ttml", input: ValueKind::Subtitles, cost: WRITE, lossy: false, options: &[], encode } }

const HOLDS: Holds = Holds { name: "TTML", emphasis: true, color: true, styles: true, speakers: false, top: true };
/// Elements deeper than this are refused (a hostile file's nesting).
const MAX_DEPTH: usize = 256;

fn sniff(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    head.contains("<tt") && (head.contains("http://www.w3.org/ns/ttml") || head.contains("http://www.w3.org/2006/10/ttaf1") || head.contains("http://www.w3.org/2006/04/ttaf1"))
}

/// The timing parameters of a document (`ttp:frameRate`, `ttp:tickRate`...).
#[derive(Clone, Copy)]
struct Rates {
    frames: f64,
    ticks: f64,
}

/// A TTML time expression in milliseconds.
fn time(text: &str, rates: Rates) -> Option<u64> {
    let text = text.trim();
    let ms = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
        match parts.as_slice() {
            [h, m, s] => number(h)? * 3_600_000.0 + number(m)? * 60_000.0 + number(s)? * 1000.0,
            [h, m, s, f] => number(h)? * 3_600_000.0 + number(m)? * 60_000.0 + number(s)? * 1000.0 + number(f)? * 1000.0 / rates.frames,
            _ => return None,
        }
    } else {
        let split = text.find(|c: char| c.is_ascii_alphabetic())?;
        let value: f64 = text[..split].parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
        value
            * match &text[split..] {
                "h" => 3_600_000.0,
                "m" => 60_000.0,
                "s" => 1000.0,
                "ms" => 1.0,
                "f" => 1000.0 / rates.frames,
                "t" => 1000.0 / rates.ticks,
                _ => return None,
            }
    };
    (ms < 1e15).then(|| ms.round() as u64)
}

/// An attribute's value by local name (`tts:color` is `color`), entities resolved.
fn attribute(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// The `tts:` styling an element's attributes give, over `pen`.
fn styled(e: &BytesStart<'_>, mut pen: Pen) -> Pen {
    if let Some(weight) = attribute(e, "fontWeight") {
        pen.bold = weight == "bold";
    }
    if let Some(style) = attribute(e, "fontStyle") {
        pen.italic = style == "italic" || style == "oblique";
    }
    if let Some(decoration) = attribute(e, "textDecoration") {
        pen.underline = decoration.split_whitespace().any(|d| d == "underline");
    }
    if let Some(color) = attribute(e, "color").and_then(|c| parse_color(&c)) {
        pen.color = Some(color);
    }
    pen
}

/// True when a region's text shows in the top 40% of the picture: its
/// `origin` and `extent` (percentages; the whole picture by default) and
/// where `displayAlign` puts text in it (`before`, the default, is its top).
fn region_top(e: &BytesStart<'_>) -> bool {
    let vertical = |name: &str| -> Option<Option<f32>> {
        let value = attribute(e, name)?;
        Some(value.split_whitespace().nth(1).and_then(|y| y.strip_suffix('%')?.parse().ok()))
    };
    let origin = match vertical("origin") {
        None => 0.0,
        Some(Some(y)) => y,
        Some(None) => return false,
    };
    let extent = vertical("extent").flatten().unwrap_or(100.0 - origin);
    let text_at = match attribute(e, "displayAlign").as_deref() {
        Some("after") => origin + extent,
        Some("center") => origin + extent / 2.0,
        _ => origin,
    };
    text_at < 40.0
}

/// What an open element passes to its children.
#[derive(Clone)]
struct Scope {
    pen: Pen,
    /// The time its children's times count from.
    offset: u64,
    top: Option<bool>,
}

/// # Errors
/// [`fileconv_core::Error::InvalidInput`] for malformed XML, nesting past 256 elements, or a file without cues.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let text = text(&input, "ttml", ctx)?;
    let mut events = Events::new(text.as_bytes(), "ttml", "the document");
    let mut rates = Rates { frames: 30.0, ticks: 1.0 };
    let mut styles: HashMap<String, (Pen, Option<SubtitleStyle>)> = HashMap::new();
    let mut regions: HashMap<String, bool> = HashMap::new();
    let mut scopes: Vec<Scope> = vec![Scope { pen: Pen::default(), offset: 0, top: None }];
    let mut cues = CueList::new(ctx);
    let (mut language, mut title, mut in_title) = (None, None, false);
    let mut cue: Option<Cue> = None;
    let mut named_styles = Vec::new();
    loop {
        match events.next(ctx)? {
            Event::Start(e) => {
                if scopes.len() > MAX_DEPTH {
                    return Err(events.error(format!("elements nest deeper than {MAX_DEPTH}")));
                }
                let parent = scopes.last().cloned().expect("the root scope");
                let mut scope = parent.clone();
                let name = e.local_name().as_ref().to_string();
                for reference in attribute(&e, "style").unwrap_or_default().split_whitespace() {
                    if let Some((pen, _)) = styles.get(reference) {
                        scope.pen = merge(scope.pen, *pen);
                    }
                }
                scope.pen = styled(&e, scope.pen);
                if let Some(region) = attribute(&e, "region") {
                    scope.top = regions.get(&region).copied().or(scope.top);
                    // A span can name the region its paragraph shows in.
                    if let (Some(cue), Some(top)) = (cue.as_mut(), scope.top) {
                        cue.top = top;
                    }
                }
                if let Some(align) = attribute(&e, "displayAlign") {
                    scope.top = Some(align == "before");
                }
                let begin = attribute(&e, "begin").and_then(|t| time(&t, rates));
                scope.offset = parent.offset + begin.unwrap_or(0);
                match name.as_str() {
                    "tt" => {
                        language = attribute(&e, "lang").filter(|l| !l.is_empty());
                        if let Some(rate) = attribute(&e, "frameRate").and_then(|r| r.parse::<f64>().ok()).filter(|r| *r > 0.0 && r.is_finite()) {
                            let multiplier = attribute(&e, "frameRateMultiplier")
                                .and_then(|m| m.split_once(' ').and_then(|(n, d)| Some(n.parse::<f64>().ok()? / d.parse::<f64>().ok()?)))
                                .filter(|m| *m > 0.0 && m.is_finite())
                                .unwrap_or(1.0);
                            rates.frames = rate * multiplier;
                        }
                        if let Some(rate) = attribute(&e, "tickRate").and_then(|r| r.parse::<f64>().ok()).filter(|r| *r > 0.0 && r.is_finite()) {
                            rates.ticks = rate;
                        }
                    }
                    "style" if cue.is_none() => {
                        if let Some(id) = attribute(&e, "id") {
                            let pen = styled(&e, Pen::default());
                            let style = SubtitleStyle {
                                name: id.clone(),
                                font: attribute(&e, "fontFamily"),
                                size: attribute(&e, "fontSize").and_then(|s| s.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%').parse().ok()),
                                color: pen.color,
                                bold: pen.bold,
                                italic: pen.italic,
                                underline: pen.underline,
                                top: attribute(&e, "displayAlign").is_some_and(|a| a == "before"),
                            };
                            named_styles.push(style.clone());
                            styles.insert(id, (pen, Some(style)));
                        }
                    }
                    "region" => {
                        if let Some(id) = attribute(&e, "id") {
                            let top = region_top(&e);
                            regions.insert(id, top);
                        }
                    }
                    "title" => in_title = true,
                    "p" => {
                        let start = parent.offset + begin.unwrap_or(0);
                        let end = match (attribute(&e, "end").and_then(|t| time(&t, rates)), attribute(&e, "dur").and_then(|t| time(&t, rates))) {
                            (Some(end), _) => parent.offset + end,
                            (None, Some(dur)) => start + dur,
                            (None, None) => start,
                        };
                        let style = attribute(&e, "style").and_then(|s| s.split_whitespace().find(|id| named_styles.iter().any(|n| n.name == *id)).map(str::to_string));
                        cue = Some(Cue { start_ms: start, end_ms: end, style, top: scope.top.unwrap_or(false), lines: vec![Vec::new()], ..Cue::default() });
                    }
                    "br" => {
                        if let Some(cue) = cue.as_mut() {
                            cue.new_line();
                        }
                    }
                    _ => {}
                }
                scopes.push(scope);
            }
            Event::End(e) => {
                scopes.pop();
                if scopes.is_empty() {
                    return Err(events.error("an end tag without its start"));
                }
                match e.local_name().as_ref() {
                    "p" => {
                        if let Some(mut done) = cue.take() {
                            for line in &mut done.lines {
                                trim_line(line);
                            }
                            trim_lines(&mut done);
                            if !done.is_blank() {
                                cues.push(done)?;
                            }
                        }
                    }
                    "title" => in_title = false,
                    _ => {}
                }
            }
            Event::Text(t) => {
                let content = t.xml_content(XmlVersion::Implicit1_0);
                if in_title {
                    title.get_or_insert_with(String::new).push_str(content.trim());
                } else if let Some(cue) = cue.as_mut() {
                    let pen = scopes.last().expect("a scope").pen;
                    cue.push_span(pen.span(collapse(&content)));
                }
            }
            Event::GeneralRef(r) => {
                let mut resolved = String::new();
                push_reference(&r, &mut resolved).map_err(|m| events.error(m))?;
                if let Some(cue) = cue.as_mut() {
                    cue.push_span(scopes.last().expect("a scope").pen.span(resolved));
                } else if in_title {
                    title.get_or_insert_with(String::new).push_str(&resolved);
                }
            }
            Event::CData(t) => {
                if let Some(cue) = cue.as_mut() {
                    cue.push_span(scopes.last().expect("a scope").pen.span(collapse(t.as_ref())));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut subtitles = cues.finish("ttml")?;
    subtitles.styles = named_styles;
    subtitles.language = language;
    subtitles.title = title.filter(|t| !t.is_empty());
    Ok(Value::Subtitles(subtitles))
}

/// Styling a named style gives, over what the element already has.
fn merge(mut pen: Pen, style: Pen) -> Pen {
    pen.bold |= style.bold;
    pen.italic |= style.italic;
    pen.underline |= style.underline;
    pen.color = style.color.or(pen.color);
    pen
}

/// XML's default white space handling: runs of spaces and line ends are one space.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

/// Drops the spaces XML layout left at the start and end of a line.
fn trim_line(line: &mut Vec<fileconv_core::Span>) {
    if let Some(first) = line.first_mut() {
        first.text = first.text.trim_start().to_string();
    }
    if let Some(last) = line.last_mut() {
        last.text = last.text.trim_end().to_string();
    }
    line.retain(|s| !s.text.is_empty());
}

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, HOLDS, ctx);
    let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    text.push_str(&format!(
        "<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" xmlns:ttm=\"http://www.w3.org/ns/ttml#metadata\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" ttp:timeBase=\"media\" xml:lang=\"{}\">\n<head>\n",
        escape(subtitles.language.as_deref().unwrap_or(""))
    ));
    if let Some(title) = &subtitles.title {
        text.push_str(&format!("<metadata><ttm:title>{}</ttm:title></metadata>\n", escape(title.as_str())));
    }
    text.push_str("<styling>\n");
    for style in &subtitles.styles {
        text.push_str(&format!("<style xml:id=\"{}\"", escape(style_id(&style.name).as_str())));
        if let Some(font) = &style.font {
            text.push_str(&format!(" tts:fontFamily=\"{}\"", escape(font.as_str())));
        }
        text.push_str(&style_attributes(Pen { bold: style.bold, italic: style.italic, underline: style.underline, color: style.color }));
        text.push_str("/>\n");
    }
    text.push_str("</styling>\n<layout>\n");
    text.push_str("<region xml:id=\"bottom\" tts:origin=\"10% 70%\" tts:extent=\"80% 20%\" tts:displayAlign=\"after\" tts:textAlign=\"center\"/>\n");
    text.push_str("<region xml:id=\"top\" tts:origin=\"10% 10%\" tts:extent=\"80% 20%\" tts:displayAlign=\"before\" tts:textAlign=\"center\"/>\n");
    text.push_str("</layout>\n</head>\n<body>\n<div>\n");
    for cue in shown(&subtitles) {
        let region = if cue.top { "top" } else { "bottom" };
        let style = cue.style.as_deref().filter(|s| subtitles.style(s).is_some()).map(|s| format!(" style=\"{}\"", escape(style_id(s).as_str()))).unwrap_or_default();
        text.push_str(&format!("<p begin=\"{}\" end=\"{}\" region=\"{region}\"{style}>", clock(cue.start_ms, 2, '.', 3), clock(cue.end_ms, 2, '.', 3)));
        let base = cue.style.as_deref().and_then(|s| subtitles.style(s)).map_or(Pen::default(), |s| Pen { bold: s.bold, italic: s.italic, underline: s.underline, color: s.color });
        for (i, line) in cue.lines.iter().filter(|l| l.iter().any(|s| !s.text.trim().is_empty())).enumerate() {
            if i > 0 {
                text.push_str("<br/>");
            }
            for span in line {
                let pen = Pen::of(span);
                let content = escape(span.text.as_str());
                if pen == base {
                    text.push_str(&content);
                } else {
                    text.push_str(&format!("<span{}>{content}</span>", style_attributes(pen)));
                }
            }
        }
        text.push_str("</p>\n");
    }
    text.push_str("</div>\n</body>\n</tt>\n");
    write_all(out, &text)
}

/// `tts:` attributes for a pen, each one set explicitly.
fn style_attributes(pen: Pen) -> String {
    let mut attributes = format!(
        " tts:fontWeight=\"{}\" tts:fontStyle=\"{}\" tts:textDecoration=\"{}\"",
        if pen.bold { "bold" } else { "normal" },
        if pen.italic { "italic" } else { "normal" },
        if pen.underline { "underline" } else { "none" }
    );
    if let Some(color) = pen.color {
        attributes.push_str(&format!(" tts:color=\"{}\"", hex_color(color)));
    }
    attributes
}

/// A name usable as an `xml:id` (an XML name: no spaces, not starting with a digit).
fn style_id(name: &str) -> String {
    let id: String = name.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if id.chars().next().is_none_or(|c| !c.is_alphabetic() && c != '_') {
        format!("s_{id}")
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_expressions() {
        let rates = Rates { frames: 25.0, ticks: 10_000_000.0 };
        assert_eq!(time("00:00:01.500", rates), Some(1500));
        assert_eq!(time("00:00:01:05", rates), Some(1200));
        assert_eq!(time("1.5s", rates), Some(1500));
        assert_eq!(time("250ms", rates), Some(250));
        assert_eq!(time("50f", rates), Some(2000));
        assert_eq!(time("25000000t", rates), Some(2500));
        assert_eq!(time("2m", rates), Some(120_000));
        assert_eq!(time("-1s", rates), None);
        assert_eq!(time("1e300h", rates), None);
    }
}
