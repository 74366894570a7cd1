//! SVG, rendered with resvg. External files are never read: only `data:`
//! images inside the document are resolved. With `width`/`height` the vector
//! image is rendered at the requested size rather than scaled afterwards.

use std::sync::{Arc, OnceLock};

use fileconv_core::image::{DynamicImage, RgbaImage};
use fileconv_core::{Category, Context, Decoder, Error, FormatInfo, Input, Raster, Result, Value, ValueKind};
use resvg::{tiny_skia, usvg};

use crate::svg_guard;
use crate::transform::{requested_size, target_size};

const ID: &str = "svg";

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "Scalable Vector Graphics", mime: "image/svg+xml", category: Category::Image, container: None, sniff: Some(looks_like_svg) }
}
inventory::submit! { Decoder { format: ID, name: "resvg", output: ValueKind::Raster, cost: 20, options: &[], decode } }

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()])) else {
        return false;
    };
    let text = text.trim_start_matches('\u{feff}').trim_start();
    (text.starts_with('<')) && text.contains("<svg")
}

fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut options = usvg::Options::default();
    options.resources_dir = None;
    options.fontdb = fonts();
    options.image_href_resolver = usvg::ImageHrefResolver {
        resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
        resolve_string: Box::new(|_, _| None),
    };
    svg_guard::prescan(input.bytes)?;
    ctx.checkpoint()?;
    let tree = usvg::Tree::from_data(input.bytes, &options).map_err(|e| Error::invalid_input(ID, e))?;
    ctx.checkpoint()?;
    let size = tree.size();
    let (w, h) = (size.width().ceil().max(1.0) as u32, size.height().ceil().max(1.0) as u32);
    let (width, height, fit) = requested_size(ctx)?;
    let (sw, sh, _, _) = target_size(w, h, width, height, fit);
    ctx.limits.check_frame(sw, sh, 4)?;
    let transform = tiny_skia::Transform::from_scale(sw as f32 / size.width(), sh as f32 / size.height());
    // resvg cannot be interrupted: what it will take is checked first.
    let cost = svg_guard::render_cost(&tree, transform, sw, sh);
    svg_guard::check_render_cost(cost, ctx.memory_left(), ctx.time_left())?;
    ctx.charge_memory(cost.memory as u64, "memory for SVG layers and filters (bytes)")?;
    let mut pixmap = tiny_skia::Pixmap::new(sw, sh).ok_or_else(|| Error::invalid_input(ID, "cannot render at this size"))?;
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    let pixels = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    let image = RgbaImage::from_raw(sw, sh, pixels).ok_or_else(|| Error::Internal("pixmap size".into()))?;
    ctx.progress(1.0);
    Ok(Value::Raster(Raster::still(DynamicImage::ImageRgba8(image))))
}
