//! PDF output: a document laid out by [`layout`] and drawn with krilla
//! (TrueType fonts embedded as subsets, with ToUnicode maps so text can be
//! searched and extracted; links as URI annotations; headings as the
//! outline; title and author in the metadata), and images as pages.

pub mod layout;

use std::io::Write;
use std::sync::Arc;

use fileconv_core::{Context, Error, OptionKind, OptionSpec, Result, Value};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::action::LinkAction;
use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::Document as PdfDocument;

use crate::fonts::fonts;
use layout::{Engine, Layout, LayoutLimits, Op, PageSetup};

pub const PAGE_SIZE: OptionSpec = OptionSpec {
    name: "pageSize",
    kind: OptionKind::Choice(&["a4", "letter", "legal", "a3", "a5"]),
    default: "a4",
    help: "Paper size: A4 (210 x 297 mm), Letter (8.5 x 11 in), Legal (8.5 x 14 in), A3, A5; slides and word processors' files keep their own page setup unless it is given, then their text flows onto these pages",
};

pub const ORIENTATION: OptionSpec = OptionSpec {
    name: "orientation",
    kind: OptionKind::Choice(&["portrait", "landscape"]),
    default: "portrait",
    help: "Page orientation",
};

pub const MARGIN: OptionSpec = OptionSpec {
    name: "margin",
    kind: OptionKind::Text { max_len: 16 },
    default: "20mm",
    help: "Margin on every side: a length in mm, cm, in or pt (`20mm`, `1in`, `54pt`; a bare number is mm), at most a quarter of the page's width",
};

pub const DOCUMENT_OPTIONS: &[OptionSpec] = &[PAGE_SIZE, ORIENTATION, MARGIN, fileconv_core::document::fixed::NOTES];
pub const IMAGE_OPTIONS: &[OptionSpec] = &[PAGE_SIZE, ORIENTATION, MARGIN];

/// The page setup the options ask for.
///
/// # Errors
/// [`Error::InvalidOption`] for an unknown size or a margin that is not a
/// length or leaves too little room.
pub fn page_setup(ctx: &Context<'_>) -> Result<PageSetup> {
    let (mut width, mut height): (f32, f32) = match PAGE_SIZE.choice(ctx.options)? {
        "letter" => (612.0, 792.0),
        "legal" => (612.0, 1008.0),
        "a3" => (841.89, 1190.55),
        "a5" => (419.53, 595.28),
        _ => (595.28, 841.89),
    };
    if ORIENTATION.choice(ctx.options)? == "landscape" {
        std::mem::swap(&mut width, &mut height);
    }
    let text = MARGIN.text(ctx.options)?.unwrap_or(MARGIN.default);
    let invalid = |reason: String| Error::InvalidOption { name: MARGIN.name.into(), reason, valid: MARGIN.valid_values() };
    let margin = parse_length(text).ok_or_else(|| invalid(format!("'{text}' is not a length")))?;
    let max = width.min(height) / 4.0;
    if !(0.0..=max).contains(&margin) {
        return Err(invalid(format!("'{text}' is {margin:.0} pt; the page allows 0 to {max:.0} pt")));
    }
    Ok(PageSetup { width, height, margin })
}

/// A length in points: `20mm`, `2cm`, `1in`, `72pt`, or a bare number of mm.
fn parse_length(text: &str) -> Option<f32> {
    let text = text.trim().to_ascii_lowercase();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text.as_str(), "mm"),
    };
    let value: f32 = number.trim().parse().ok().filter(|v: &f32| v.is_finite())?;
    let points = match unit.trim() {
        "mm" => value * 72.0 / 25.4,
        "cm" => value * 72.0 / 2.54,
        "in" => value * 72.0,
        "pt" => value,
        _ => return None,
    };
    Some(points)
}

/// Width and height in pixels of an image krilla can embed (PNG, JPEG, GIF, WebP).
pub fn image_size(data: &[u8]) -> Option<(u32, u32)> {
    let info = fileconv_core::EmbeddedImage::probe(data)?;
    matches!(info.extension, "png" | "jpeg" | "gif" | "webp").then_some((info.width, info.height))
}

fn krilla_image(data: &Arc<Vec<u8>>) -> Option<Image> {
    let bytes = krilla::Data::from(data.clone());
    match fileconv_core::EmbeddedImage::probe(data)?.extension {
        "png" => Image::from_png(bytes, true).ok(),
        "jpeg" => Image::from_jpeg(bytes, true).ok(),
        "gif" => Image::from_gif(bytes, true).ok(),
        "webp" => Image::from_webp(bytes, true).ok(),
        _ => None,
    }
}

/// Lays out and writes a document.
///
/// # Errors
/// [`Error::InvalidOption`] for bad page options; [`Error::Backend`] when
/// the fonts are missing or krilla fails; [`Error::LimitExceeded`] past the
/// output or drawing limits.
pub fn encode_document(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut doc = value.into_deferred_document()?;
    let setup = page_setup(ctx)?;
    let fonts = fonts()?;
    let limits = LayoutLimits::new(ctx.memory_left(), ctx.limits.max_pages);
    // Slides', word processors' and sheets' pages keep their own setup unless a paper size is asked for.
    let own_pages = ctx.options.get(PAGE_SIZE.name).is_none();
    if own_pages {
        doc.read_pages(ctx)?;
    }
    // Pages are drawn on a second thread as the layout finishes them.
    let bytes = std::thread::scope(|scope| {
        let (sender, pages) = std::sync::mpsc::channel();
        let drawing = scope.spawn(move || draw(&pages, setup, ctx));
        let to_drawing = sender.clone();
        // A drawing thread that stopped has its own error to give.
        let engine = Engine::new(fonts, setup, limits).drawing_to(move |page| drop(to_drawing.send(Drawn::Page(page))));
        let laid_out = lay_out(&mut doc, engine, own_pages, ctx);
        if let Ok(layout) = &laid_out {
            let _ = sender.send(Drawn::End { bookmarks: outline(&layout.bookmarks), metadata: metadata(&doc) });
        }
        drop(sender);
        let drawn = drawing.join().unwrap_or_else(|panic| Err(Error::Internal(format!("drawing PDF pages panicked: {}", fileconv_core::panic_text(&*panic)))));
        let layout = laid_out?;
        notes(&layout, ctx);
        drawn?.ok_or_else(|| Error::Internal("the PDF writer stopped before the last page".into()))
    })?;
    out.write_all(&bytes)?;
    Ok(())
}

/// Lays the document out in the setup its reader gave, else flowing.
fn lay_out(doc: &mut fileconv_core::Document, engine: Engine<'_>, own_pages: bool, ctx: &Context<'_>) -> Result<Layout> {
    let layout = match &doc.page_flow {
        _ if own_pages && !doc.fixed_pages.is_empty() => engine.run_fixed(&doc.fixed_pages, &|| ctx.checkpoint())?,
        _ if own_pages && !doc.sheet_grids.is_empty() => engine.run_grids(&doc.sheet_grids, &|| ctx.checkpoint())?,
        Some(flow) if own_pages => engine.run_paged(flow, &|| ctx.checkpoint())?,
        _ => {
            doc.read_flow(ctx)?;
            engine.run(doc, &|| ctx.checkpoint())?
        }
    };
    ctx.charge_memory(LayoutLimits::op_memory(layout.ops), "memory for laid-out pages (bytes)")?;
    Ok(layout)
}

/// Tells what the pages could not show.
fn notes(layout: &Layout, ctx: &Context<'_>) {
    if !layout.missing_glyphs.is_empty() {
        let count: usize = layout.missing_glyphs.values().sum();
        let sample: String = layout.missing_glyphs.keys().take(12).collect();
        ctx.note(format!(
            "{count} character(s) have no glyph in the installed fonts and show as empty boxes: {sample}{}",
            if layout.missing_glyphs.len() > 12 { "..." } else { "" }
        ));
    }
    if layout.unsupported_pictures > 0 {
        ctx.note(format!("{} picture(s) in formats a PDF cannot hold (EMF, WMF, TIFF, BMP...) are left out of the pages", layout.unsupported_pictures));
    }
}

fn metadata(doc: &fileconv_core::Document) -> Metadata {
    let mut metadata = Metadata::new().creator("fileconv".into()).producer("fileconv (krilla)".into());
    if let Some(title) = doc.display_title() {
        metadata = metadata.title(title);
    }
    if let Some(author) = &doc.author {
        metadata = metadata.authors(vec![author.clone()]);
    }
    metadata
}

fn fill(color: layout::Rgb) -> Fill {
    Fill { paint: rgb::Color::new(color.0, color.1, color.2).into(), ..Fill::default() }
}

/// What the drawing thread is handed: laid-out pages, then the outline
/// and metadata once the layout is done.
enum Drawn {
    Page(layout::Page),
    End { bookmarks: Outline, metadata: Metadata },
}

/// Draws pages as they come and returns the PDF's bytes; `None` when the
/// layout stopped before its end (its error is the answer).
fn draw(pages: &std::sync::mpsc::Receiver<Drawn>, setup: PageSetup, ctx: &Context<'_>) -> Result<Option<Vec<u8>>> {
    let fonts = fonts()?;
    let mut pdf = PdfDocument::new();
    let mut images: std::collections::HashMap<usize, Option<Image>> = std::collections::HashMap::new();
    for (number, drawn) in pages.iter().enumerate() {
        let page_ops = match drawn {
            Drawn::Page(page) => page,
            Drawn::End { bookmarks, metadata } => {
                pdf.set_metadata(metadata);
                pdf.set_outline(bookmarks);
                let bytes = pdf.finish().map_err(|e| Error::backend("pdf", format!("{e:?}")))?;
                if bytes.len() as u64 > ctx.limits.max_output_bytes {
                    return Err(Error::limit("output size (bytes)", ctx.limits.max_output_bytes, bytes.len() as u64));
                }
                return Ok(Some(bytes));
            }
        };
        if number % 16 == 0 {
            ctx.checkpoint()?;
        }
        let (width, height) = page_ops.size.unwrap_or((setup.width, setup.height));
        let settings = PageSettings::from_wh(width, height).ok_or_else(|| Error::invalid_input("pdf", format!("page size {width} x {height} pt")))?;
        let mut page = pdf.start_page_with(settings);
        let mut links = Vec::new();
        {
            let mut surface = page.surface();
            for op in page_ops.ops {
                match op {
                    Op::Glyphs { x, y, face, size, glyphs, text, color } => {
                        let glyphs: Vec<KrillaGlyph> =
                            glyphs.into_iter().map(|g| KrillaGlyph::new(GlyphId::new(u32::from(g.id)), g.advance, g.x_offset, g.y_offset, 0.0, g.text, None)).collect();
                        surface.set_fill(Some(fill(color)));
                        surface.draw_glyphs(Point::from_xy(x, y), &glyphs, fonts.face(face).font.clone(), &text, size, false);
                    }
                    Op::Line { x1, y1, x2, y2, width, color } => {
                        let mut path = PathBuilder::new();
                        path.move_to(x1, y1);
                        path.line_to(x2, y2);
                        if let Some(path) = path.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke { paint: rgb::Color::new(color.0, color.1, color.2).into(), width, ..Stroke::default() }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                        }
                    }
                    Op::Rect { x, y, w, h, color } => {
                        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                            let mut path = PathBuilder::new();
                            path.push_rect(rect);
                            if let Some(path) = path.finish() {
                                surface.set_fill(Some(fill(color)));
                                surface.draw_path(&path);
                            }
                        }
                    }
                    Op::Image { x, y, w, h, data } => {
                        let key = Arc::as_ptr(&data) as usize;
                        let image = images.entry(key).or_insert_with(|| krilla_image(&data)).clone();
                        if let (Some(image), Some(size)) = (image, Size::from_wh(w, h)) {
                            surface.push_transform(&Transform::from_translate(x, y));
                            surface.draw_image(image, size);
                            surface.pop();
                        }
                    }
                    Op::Link { x, y, w, h, uri } => links.push((x, y, w, h, uri)),
                    Op::Shape { outline, fill: color, stroke } => {
                        if let Some(path) = outline_path(&outline) {
                            surface.set_fill(color.map(fill));
                            surface.set_stroke(stroke.map(|(color, width)| Stroke { paint: rgb::Color::new(color.0, color.1, color.2).into(), width, ..Stroke::default() }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                        }
                    }
                    Op::Gradient { outline, frame, gradient } => {
                        if let (Some(path), Some(paint)) = (outline_path(&outline), gradient_paint(frame, &gradient)) {
                            surface.set_fill(Some(Fill { paint, ..Fill::default() }));
                            surface.set_stroke(None);
                            surface.draw_path(&path);
                        }
                    }
                    Op::PushTransform([a, b, c, d, e, f]) => surface.push_transform(&Transform::from_row(a, b, c, d, e, f)),
                    Op::PushClip(outline) => match outline_path(&outline) {
                        Some(path) => surface.push_clip_path(&path, &krilla::paint::FillRule::NonZero),
                        // Keeps pushes and pops paired.
                        None => surface.push_transform(&Transform::identity()),
                    },
                    Op::Pop => surface.pop(),
                }
            }
            surface.finish();
        }
        for (x, y, w, h, uri) in links {
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                page.add_annotation(Annotation::new_link(LinkAnnotation::new(rect, Target::Action(LinkAction::new(uri).into())), None));
            }
        }
        page.finish();
    }
    Ok(None)
}

/// A gradient laid across the box `[x, y, width, height]`: a linear one
/// from edge to edge along its angle through the centre, a radial one from
/// the centre to the corners; `None` without stops.
fn gradient_paint([x, y, w, h]: [f32; 4], gradient: &fileconv_core::document::fixed::Gradient) -> Option<krilla::paint::Paint> {
    use krilla::num::NormalizedF32;
    use krilla::paint::{LinearGradient, RadialGradient, SpreadMethod, Stop};
    if gradient.stops.is_empty() {
        return None;
    }
    let stops: Vec<Stop> = gradient
        .stops
        .iter()
        .map(|(offset, c)| Stop { offset: NormalizedF32::new(offset.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ZERO), color: rgb::Color::new(c.0, c.1, c.2).into(), opacity: NormalizedF32::ONE })
        .collect();
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    if gradient.radial {
        let radius = (w * w + h * h).sqrt() / 2.0;
        return Some(RadialGradient { fx: cx, fy: cy, fr: 0.0, cx, cy, cr: radius.max(0.01), transform: Transform::identity(), spread_method: SpreadMethod::Pad, stops, anti_alias: false }.into());
    }
    let (dy, dx) = gradient.angle.to_radians().sin_cos();
    // Half the box's extent along the gradient's direction.
    let half = ((w * dx).abs() + (h * dy).abs()) / 2.0;
    let half = half.max(0.01);
    Some(LinearGradient { x1: cx - dx * half, y1: cy - dy * half, x2: cx + dx * half, y2: cy + dy * half, transform: Transform::identity(), spread_method: SpreadMethod::Pad, stops, anti_alias: false }.into())
}

/// The path of a shape's outline; `None` for a degenerate one.
fn outline_path(outline: &layout::Outline) -> Option<krilla::geom::Path> {
    use layout::Outline;
    let mut path = PathBuilder::new();
    match outline {
        Outline::Rect { x, y, w, h } => path.push_rect(Rect::from_xywh(*x, *y, w.max(0.01), h.max(0.01))?),
        Outline::RoundRect { x, y, w, h, radius } => {
            let r = radius.min(w / 2.0).min(h / 2.0).max(0.0);
            // Quarter circles as cubic curves (k = 0.5523 of the radius).
            let k = r * 0.4477;
            let (x2, y2) = (x + w, y + h);
            path.move_to(x + r, *y);
            path.line_to(x2 - r, *y);
            path.cubic_to(x2 - k, *y, x2, y + k, x2, y + r);
            path.line_to(x2, y2 - r);
            path.cubic_to(x2, y2 - k, x2 - k, y2, x2 - r, y2);
            path.line_to(x + r, y2);
            path.cubic_to(x + k, y2, *x, y2 - k, *x, y2 - r);
            path.line_to(*x, y + r);
            path.cubic_to(*x, y + k, x + k, *y, x + r, *y);
            path.close();
        }
        Outline::Ellipse { x, y, w, h } => {
            let (rx, ry) = (w / 2.0, h / 2.0);
            let (cx, cy) = (x + rx, y + ry);
            let (kx, ky) = (rx * 0.5523, ry * 0.5523);
            path.move_to(cx + rx, cy);
            path.cubic_to(cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry);
            path.cubic_to(cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy);
            path.cubic_to(cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry);
            path.cubic_to(cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy);
            path.close();
        }
        Outline::Polyline { points, closed } => {
            let (first, rest) = points.split_first()?;
            path.move_to(first.0, first.1);
            for p in rest {
                path.line_to(p.0, p.1);
            }
            if *closed {
                path.close();
            }
        }
    }
    path.finish()
}

/// Headings as a nested outline (bookmarks).
fn outline(bookmarks: &[layout::Bookmark]) -> Outline {
    let mut outline = Outline::new();
    let mut open: Vec<(u8, OutlineNode)> = Vec::new();
    for mark in bookmarks {
        let node = OutlineNode::new(mark.title.clone(), XyzDestination::new(mark.page, Point::from_xy(0.0, mark.y)));
        while let Some((level, _)) = open.last() {
            if *level < mark.level {
                break;
            }
            let (_, done) = open.pop().expect("checked");
            match open.last_mut() {
                Some((_, parent)) => parent.push_child(done),
                None => outline.push_child(done),
            }
        }
        open.push((mark.level, node));
    }
    while let Some((_, done)) = open.pop() {
        match open.last_mut() {
            Some((_, parent)) => parent.push_child(done),
            None => outline.push_child(done),
        }
    }
    outline
}

/// Images to PDF: one page per frame (an animation's frames, a multi-page
/// TIFF's pages), each page the image's size at 96 dpi unless `pageSize`
/// is given, then the image is fitted into the margins.
///
/// # Errors
/// [`Error::InvalidOption`] for bad page options; [`Error::Backend`] when krilla fails.
pub fn encode_raster(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let raster = value.into_raster()?;
    ctx.limits.check_pages(raster.frames.len() as u64)?;
    let fit = ctx.options.get(PAGE_SIZE.name).is_some();
    let setup = page_setup(ctx)?;
    let mut pdf = PdfDocument::new();
    pdf.set_metadata(Metadata::new().creator("fileconv".into()));
    for frame in raster.frames {
        ctx.checkpoint()?;
        let rgba = frame.image.to_rgba8();
        let (w, h) = (rgba.width(), rgba.height());
        let image = Image::from_rgba8(rgba.into_raw(), w, h);
        // 96 dpi, and never past the 200-inch page PDF readers accept.
        let shrink = (14_400.0 / (w.max(h) as f32 * 0.75)).min(1.0);
        let (iw, ih) = (w as f32 * 0.75 * shrink, h as f32 * 0.75 * shrink);
        let (page_w, page_h, x, y, dw, dh) = if fit {
            let (aw, ah) = (setup.width - 2.0 * setup.margin, setup.height - 2.0 * setup.margin);
            let scale = (aw / iw).min(ah / ih).min(1.0);
            let (dw, dh) = (iw * scale, ih * scale);
            (setup.width, setup.height, (setup.width - dw) / 2.0, setup.margin, dw, dh)
        } else {
            (iw.max(1.0), ih.max(1.0), 0.0, 0.0, iw.max(1.0), ih.max(1.0))
        };
        let settings = PageSettings::from_wh(page_w, page_h).ok_or_else(|| Error::invalid_input("pdf", "image too large for a PDF page"))?;
        let mut page = pdf.start_page_with(settings);
        let mut surface = page.surface();
        surface.push_transform(&Transform::from_translate(x, y));
        if let Some(size) = Size::from_wh(dw, dh) {
            surface.draw_image(image, size);
        }
        surface.pop();
        surface.finish();
        page.finish();
    }
    let bytes = pdf.finish().map_err(|e| Error::backend("pdf", format!("{e:?}")))?;
    out.write_all(&bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_length;

    #[test]
    fn lengths() {
        assert_eq!(parse_length("72pt"), Some(72.0));
        assert_eq!(parse_length("1in"), Some(72.0));
        assert!((parse_length("25.4mm").unwrap() - 72.0).abs() < 1e-3);
        assert!((parse_length("2.54").unwrap() - 7.2).abs() < 1e-3);
        assert_eq!(parse_length("1 furlong"), None);
        assert_eq!(parse_length("NaNpt"), None);
    }
}
