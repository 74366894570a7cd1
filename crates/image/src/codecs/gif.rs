//! GIF, animated or still, through the `image` crate's gif codec.

use std::io::{Cursor, Write};

use fileconv_core::image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use fileconv_core::image::{Delay, Frame as ImageFrame, ImageDecoder};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::{decode_error, decode_frames, image_limits};
use crate::encode::{binary_alpha, encode_error, fit_pixels, Accepts};
use crate::options::BACKGROUND;

const ID: &str = "gif";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "Graphics Interchange Format",
        mime: "image/gif",
        category: Category::Image,
        sniff: Some(|b| sniff::starts_with(b, b"GIF87a") || sniff::starts_with(b, b"GIF89a")),
    }
}
inventory::submit! { Decoder { format: ID, name: "gif", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! {
    // Palette quantisation loses colour, so paths prefer a lossless target when there is one.
    Encoder { format: ID, name: "gif", input: ValueKind::Raster, cost: 20, lossy: true, options: &[], encode }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut decoder = GifDecoder::new(Cursor::new(input.bytes)).map_err(|e| decode_error(ID, ctx, e))?;
    let size = decoder.dimensions();
    decoder.set_limits(image_limits(ctx)).map_err(|e| decode_error(ID, ctx, e))?;
    decode_frames(decoder, size, ID, ctx)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let raster = value.into_raster()?;
    let (w, h) = (raster.width(), raster.height());
    if w > u32::from(u16::MAX) || h > u32::from(u16::MAX) {
        return Err(Error::limit("GIF dimension (pixels)", u16::MAX.into(), w.max(h).into()));
    }
    let count = raster.frames.len() as f32;
    let background = BACKGROUND.color(ctx.options)?;
    let mut encoder = GifEncoder::new_with_speed(sink, 10);
    if raster.is_animated() {
        encoder.set_repeat(Repeat::Infinite).map_err(|e| encode_error(ID, e))?;
    }
    for (i, frame) in raster.frames.into_iter().enumerate() {
        ctx.checkpoint()?;
        let rgba = binary_alpha(fit_pixels(frame.image, Accepts::RGB8, ctx)?, background);
        let delay = Delay::from_saturating_duration(frame.delay);
        encoder.encode_frame(ImageFrame::from_parts(rgba, 0, 0, delay)).map_err(|e| encode_error(ID, e))?;
        ctx.progress((i + 1) as f32 / count);
    }
    Ok(())
}
