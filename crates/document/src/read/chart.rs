//! DrawingML charts (`c:chartSpace`, in PPTX and DOCX packages) drawn
//! from the values their parts cache, as placed shapes in the chart's
//! frame: the title, a legend of series names at the right, and the plot:
//! columns and bars (clustered or stacked), lines and areas over category
//! axes with a value axis of round steps, pies and doughnuts as wedges.
//! Series colours are their own fill or line colour, else the palette's
//! in turn (the theme's accents). Other chart types (scatter, radar,
//! surface, 3-D) are drawn as their column form of the same values.

use fileconv_core::document::fixed::{Align, Anchor, Color, Frame, Geometry, Shape, Stroke, TextBody, TextParagraph, TextRun};
use roxmltree::Node;

/// At most this many series and points are drawn.
const MAX_SERIES: usize = 64;
const MAX_POINTS: usize = 4_096;

struct Series {
    name: String,
    color: Option<Color>,
    values: Vec<f64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Column,
    Bar,
    Line,
    Area,
    Pie,
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn val<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    node.attribute("val")
}

/// The cached points of a `c:cat`, `c:val` or `c:tx` reference, in index order.
fn cached(node: Option<Node<'_, '_>>) -> Vec<String> {
    let Some(node) = node else { return Vec::new() };
    let Some(cache) = node.descendants().find(|n| matches!(n.tag_name().name(), "strCache" | "numCache" | "strLit" | "numLit")) else {
        // A literal text (`c:v` directly under `c:tx`).
        return node.descendants().find(|n| n.tag_name().name() == "v").and_then(|v| v.text()).map(|t| vec![t.to_string()]).unwrap_or_default();
    };
    let count = child(cache, "ptCount").and_then(val).and_then(|c| c.parse::<usize>().ok()).unwrap_or(0).min(MAX_POINTS);
    let mut points = vec![String::new(); count];
    for pt in cache.children().filter(|c| c.tag_name().name() == "pt") {
        let (Some(idx), Some(v)) = (pt.attribute("idx").and_then(|i| i.parse::<usize>().ok()), child(pt, "v").and_then(|v| v.text())) else { continue };
        if idx < MAX_POINTS {
            if idx >= points.len() {
                points.resize(idx + 1, String::new());
            }
            points[idx] = v.to_string();
        }
    }
    points
}

fn label(text: &str, font: Option<&str>, size: f32, color: Color, align: Align, frame: Frame) -> Shape {
    let run = TextRun { text: text.to_string(), font: font.map(str::to_string), size, color, ..TextRun::default() };
    let paragraph = TextParagraph { runs: vec![run], align, empty_size: size, ..TextParagraph::default() };
    let text = TextBody { paragraphs: vec![paragraph], inset: [0.0; 4], anchor: Anchor::Middle, wrap: false, ..TextBody::default() };
    Shape { frame, text: Some(text), ..Shape::default() }
}

/// A round step for an axis from 0 (or the lowest value) to `max`: 1, 2 or 5 times a power of ten.
fn step(span: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let unit = raw / power;
    power * if unit <= 1.0 { 1.0 } else if unit <= 2.0 { 2.0 } else if unit <= 5.0 { 5.0 } else { 10.0 }
}

fn number_text(v: f64) -> String {
    let rounded = (v * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

/// The shapes that draw the chart `space` (a `c:chartSpace` element) in
/// `frame`; `palette` colours series that give none, text is in `font`
/// (the theme's body font).
pub fn shapes(space: Node<'_, '_>, frame: Frame, palette: &[Color], font: Option<&str>, color_of: &dyn Fn(Node<'_, '_>) -> Option<Color>) -> Vec<Shape> {
    let label_in = |text: &str, size: f32, color: Color, align: Align, frame: Frame| label(text, font, size, color, align, frame);
    let mut out = Vec::new();
    let Some(chart) = child(space, "chart") else { return out };
    let Some(plot) = child(chart, "plotArea") else { return out };
    let Some(group) = plot.children().find(|c| c.is_element() && c.tag_name().name().ends_with("Chart")) else { return out };
    let kind = match group.tag_name().name() {
        "barChart" | "bar3DChart" if child(group, "barDir").and_then(val) == Some("bar") => Kind::Bar,
        "lineChart" | "line3DChart" | "stockChart" => Kind::Line,
        "areaChart" | "area3DChart" => Kind::Area,
        "pieChart" | "pie3DChart" | "doughnutChart" | "ofPieChart" => Kind::Pie,
        _ => Kind::Column,
    };
    let stacked = child(group, "grouping").and_then(val).is_some_and(|g| g.contains("tacked"));
    let mut categories: Vec<String> = Vec::new();
    let mut series: Vec<Series> = Vec::new();
    for ser in plot.children().filter(|c| c.is_element() && c.tag_name().name().ends_with("Chart")).flat_map(|g| g.children().filter(|c| c.tag_name().name() == "ser")).take(MAX_SERIES) {
        if categories.is_empty() {
            categories = cached(child(ser, "cat").or_else(|| child(ser, "xVal")));
        }
        let values = cached(child(ser, "val").or_else(|| child(ser, "yVal"))).iter().map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite()).unwrap_or(0.0)).collect();
        let name = cached(child(ser, "tx")).into_iter().next().unwrap_or_default();
        let properties = child(ser, "spPr");
        let color = properties.and_then(|p| child(p, "solidFill").or_else(|| child(p, "ln").and_then(|l| child(l, "solidFill")))).and_then(color_of);
        series.push(Series { name, color, values });
    }
    if series.is_empty() {
        return out;
    }
    let points = series.iter().map(|s| s.values.len()).max().unwrap_or(0).max(categories.len());
    let colour = |i: usize| palette.get(i % palette.len().max(1)).copied().unwrap_or((0x44, 0x72, 0xc4));
    let text_color = (0x59, 0x59, 0x59);
    // Text at the chart's own size (hundredths of a point), else 10 points.
    let size = space.descendants().find(|n| n.tag_name().name() == "defRPr").and_then(|r| r.attribute("sz")).and_then(|s| s.parse::<f32>().ok()).map_or(10.0, |s| s / 100.0).clamp(4.0, 40.0);
    // Title, legend, plot.
    let mut top = frame.y + size * 0.5;
    let title = child(chart, "title").map(|t| t.descendants().filter(|n| n.tag_name().name() == "t").filter_map(|n| n.text()).collect::<String>());
    let title = title.filter(|t| !t.is_empty()).or_else(|| (series.len() == 1 && child(chart, "autoTitleDeleted").and_then(val) != Some("1") && child(chart, "title").is_some()).then(|| series[0].name.clone()));
    if let Some(title) = title {
        out.push(label_in(&title, size * 1.4, text_color, Align::Center, Frame { x: frame.x, y: top, width: frame.width, height: size * 2.0, ..Frame::default() }));
        top += size * 2.4;
    }
    let legend = child(chart, "legend");
    let at_bottom = legend.and_then(|l| child(l, "legendPos")).and_then(val).is_some_and(|p| p == "b" || p == "t");
    let mut right = frame.x + frame.width - size;
    let mut bottom = frame.y + frame.height - size * 0.5;
    if legend.is_some() && at_bottom {
        // One row of entries under the plot.
        let names: Vec<String> = if kind == Kind::Pie { categories.clone() } else { series.iter().map(|s| s.name.clone()).collect() };
        let widths: Vec<f32> = names.iter().map(|n| n.chars().count() as f32 * size * 0.55 + size * 1.6).collect();
        let mut x = frame.x + (frame.width - widths.iter().sum::<f32>()).max(0.0) / 2.0;
        let y = bottom - size * 1.3;
        for (i, (name, w)) in names.iter().zip(&widths).enumerate().take(MAX_SERIES) {
            let fill = if kind == Kind::Pie { colour(i) } else { series[i].color.unwrap_or_else(|| colour(i)) };
            out.push(Shape { frame: Frame { x, y: y + size * 0.3, width: size * 0.7, height: size * 0.7, ..Frame::default() }, fill: Some(fill), ..Shape::default() });
            out.push(label_in(name, size, text_color, Align::Left, Frame { x: x + size, y, width: w - size, height: size * 1.3, ..Frame::default() }));
            x += w;
        }
        bottom -= size * 1.8;
    } else if legend.is_some() {
        let names: Vec<String> = if kind == Kind::Pie { categories.clone() } else { series.iter().map(|s| s.name.clone()).collect() };
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as f32 * size * 0.55 + size * 2.0;
        let width = width.min(frame.width * 0.4);
        let height = names.len() as f32 * size * 1.5;
        let mut y = frame.y + (frame.height - height).max(0.0) / 2.0;
        for (i, name) in names.iter().enumerate().take(MAX_SERIES) {
            let fill = if kind == Kind::Pie { colour(i) } else { series[i].color.unwrap_or_else(|| colour(i)) };
            out.push(Shape { frame: Frame { x: right - width, y: y + size * 0.3, width: size * 0.7, height: size * 0.7, ..Frame::default() }, fill: Some(fill), ..Shape::default() });
            out.push(label_in(name, size, text_color, Align::Left, Frame { x: right - width + size, y, width: width - size, height: size * 1.3, ..Frame::default() }));
            y += size * 1.5;
        }
        right -= width + size;
    }
    if kind == Kind::Pie {
        let total: f64 = series[0].values.iter().map(|v| v.max(0.0)).sum();
        let diameter = (right - frame.x - size).min(bottom - top).max(1.0);
        let (cx, cy) = (frame.x + size + (right - frame.x - size) / 2.0, top + (bottom - top) / 2.0);
        let mut angle = -std::f64::consts::FRAC_PI_2;
        for (i, v) in series[0].values.iter().enumerate() {
            if total <= 0.0 || *v <= 0.0 {
                continue;
            }
            let sweep = v / total * std::f64::consts::TAU;
            let steps = ((sweep / 0.1).ceil() as usize).clamp(2, 64);
            let mut wedge = vec![(0.5f32, 0.5f32)];
            for k in 0..=steps {
                let a = angle + sweep * k as f64 / steps as f64;
                wedge.push((0.5 + 0.5 * a.cos() as f32, 0.5 + 0.5 * a.sin() as f32));
            }
            let fill = colour(i);
            out.push(Shape {
                frame: Frame { x: cx - diameter / 2.0, y: cy - diameter / 2.0, width: diameter, height: diameter, ..Frame::default() },
                geometry: Geometry::Polygon(wedge),
                fill: Some(fill),
                stroke: Some(Stroke { color: (255, 255, 255), width: 0.75 }),
                ..Shape::default()
            });
            angle += sweep;
        }
        return out;
    }
    // Value range: from zero (or the lowest value), stacked values summed.
    let sums: Vec<f64> = (0..points).map(|p| series.iter().map(|s| s.values.get(p).copied().unwrap_or(0.0)).sum()).collect();
    let all = series.iter().flat_map(|s| s.values.iter().copied());
    let (mut low, mut high) = if stacked { (sums.iter().copied().fold(0.0, f64::min), sums.iter().copied().fold(0.0, f64::max)) } else { all.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v))) };
    let unit = step(high - low);
    // Room above the highest value, as spreadsheets leave it.
    low = if low < 0.0 { (low / unit).floor() * unit - if (low / unit).fract() == 0.0 { unit } else { 0.0 } } else { low };
    high = ((high / unit).floor() * unit + unit).max(low + unit);
    // Axis labels take the left (values) and bottom (categories) edges.
    let label_width = [low, high].iter().map(|v| number_text(*v).len()).max().unwrap_or(1) as f32 * size * 0.6 + size * 0.5;
    let horizontal = kind == Kind::Bar;
    let (left, plot_bottom) = (frame.x + size * 0.5 + if horizontal { frame.width * 0.18 } else { label_width }, bottom - size * 1.6);
    let (width, height) = ((right - left).max(1.0), (plot_bottom - top).max(1.0));
    let scale = |v: f64| ((v - low) / (high - low)) as f32;
    let grid = (0xd9, 0xd9, 0xd9);
    let mut v = low;
    let mut ticks = 0;
    while v <= high + unit * 0.001 && ticks < 100 {
        let t = scale(v);
        let (x1, y1, x2, y2) = if horizontal { (left + t * width, top, left + t * width, plot_bottom) } else { (left, plot_bottom - t * height, left + width, plot_bottom - t * height) };
        out.push(Shape { frame: Frame { x: x1, y: y1, width: x2 - x1, height: y2 - y1, ..Frame::default() }, geometry: Geometry::Line, stroke: Some(Stroke { color: grid, width: 0.75 }), ..Shape::default() });
        let text = number_text(v);
        let frame = if horizontal {
            Frame { x: x1 - label_width / 2.0, y: plot_bottom + size * 0.2, width: label_width, height: size * 1.3, ..Frame::default() }
        } else {
            Frame { x: left - label_width, y: y1 - size * 0.65, width: label_width - size * 0.3, height: size * 1.3, ..Frame::default() }
        };
        out.push(label_in(&text, size, text_color, if horizontal { Align::Center } else { Align::Right }, frame));
        v += unit;
        ticks += 1;
    }
    let band = if horizontal { height } else { width } / points.max(1) as f32;
    for (p, name) in categories.iter().enumerate().take(points) {
        let frame = if horizontal {
            Frame { x: frame.x, y: top + band * (points - 1 - p) as f32, width: left - frame.x - size * 0.3, height: band, ..Frame::default() }
        } else {
            Frame { x: left + band * p as f32, y: plot_bottom + size * 0.2, width: band, height: size * 1.3, ..Frame::default() }
        };
        out.push(label_in(name, size, text_color, if horizontal { Align::Right } else { Align::Center }, frame));
    }
    let zero = scale(0.0f64.clamp(low, high));
    match kind {
        Kind::Line | Kind::Area => {
            for (i, s) in series.iter().enumerate() {
                let fill = s.color.unwrap_or_else(|| colour(i));
                let mut line: Vec<(f32, f32)> = s.values.iter().enumerate().map(|(p, v)| ((p as f32 + 0.5) / points as f32, 1.0 - scale(*v))).collect();
                if line.len() < 2 {
                    continue;
                }
                let frame = Frame { x: left, y: top, width, height, ..Frame::default() };
                if kind == Kind::Area {
                    line.push((line[line.len() - 1].0, 1.0 - zero));
                    line.push((line[0].0, 1.0 - zero));
                    out.push(Shape { frame, geometry: Geometry::Polygon(line), fill: Some(fill), ..Shape::default() });
                } else {
                    out.push(Shape { frame, geometry: Geometry::Polyline(line), stroke: Some(Stroke { color: fill, width: 2.25 }), ..Shape::default() });
                }
            }
        }
        _ => {
            let count = if stacked { 1 } else { series.len() };
            let gap = band * 0.25;
            let bar = (band - 2.0 * gap) / count as f32;
            let mut base = vec![0.0f64; points];
            for (i, s) in series.iter().enumerate() {
                let fill = s.color.unwrap_or_else(|| colour(i));
                for (p, v) in s.values.iter().enumerate().take(points) {
                    let (from, to) = if stacked { (base[p], base[p] + v) } else { (0.0, *v) };
                    base[p] += v;
                    let (a, b) = (scale(from.clamp(low, high)), scale(to.clamp(low, high)));
                    let slot = if stacked { 0 } else { i };
                    let frame = if horizontal {
                        let y = top + band * (points - 1 - p) as f32 + gap + bar * slot as f32;
                        Frame { x: left + a.min(b) * width, y, width: (a - b).abs() * width, height: bar, ..Frame::default() }
                    } else {
                        let x = left + band * p as f32 + gap + bar * slot as f32;
                        Frame { x, y: plot_bottom - a.max(b) * height, width: bar, height: (a - b).abs() * height, ..Frame::default() }
                    };
                    out.push(Shape { frame, fill: Some(fill), ..Shape::default() });
                }
            }
        }
    }
    // The category axis line.
    let (x1, y1, x2, y2) = if horizontal { (left + zero * width, top, left + zero * width, plot_bottom) } else { (left, plot_bottom - zero * height, left + width, plot_bottom - zero * height) };
    out.push(Shape { frame: Frame { x: x1, y: y1, width: x2 - x1, height: y2 - y1, ..Frame::default() }, geometry: Geometry::Line, stroke: Some(Stroke { color: (0xbf, 0xbf, 0xbf), width: 0.75 }), ..Shape::default() });
    out
}
