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
        container: None, sniff: Some(|b| sniff::starts_with(b, b"GIF87a") || sniff::starts_with(b, b"GIF89a")),
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
    // A few KB of GIF can declare hundreds of full-screen frames: what they
    // decode to is known from the block structure before any is decoded.
    let frames = count_frames(input.bytes);
    ctx.limits.check_frames(frames)?;
    let decoded = frames.saturating_mul(u64::from(size.0) * u64::from(size.1) * 4);
    if decoded > ctx.memory_left() {
        return Err(Error::limit("memory for decoded frames (bytes)", ctx.limits.max_memory_bytes, decoded));
    }
    decoder.set_limits(image_limits(ctx)).map_err(|e| decode_error(ID, ctx, e))?;
    decode_frames(decoder, size, ID, ctx)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    raster.drop_profile("GIF holds none", ctx);
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

/// The image descriptors of a GIF, counted by walking its blocks without
/// decoding any (a file cut short counts what it has).
fn count_frames(bytes: &[u8]) -> u64 {
    let byte = |i: usize| bytes.get(i).copied();
    let color_table = |packed: u8| if packed & 0x80 != 0 { 3usize << ((packed & 7) + 1) } else { 0 };
    let Some(packed) = byte(10) else { return 0 };
    let mut at = 13 + color_table(packed);
    // Data sub-blocks: a length byte and that many bytes, until a zero length.
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let len = usize::from(byte(at)?);
            at += 1 + len;
            if len == 0 {
                return Some(at);
            }
        }
    };
    let mut frames = 0;
    loop {
        match byte(at) {
            Some(0x21) => match skip_sub_blocks(at + 2) {
                Some(next) => at = next,
                None => return frames,
            },
            Some(0x2C) => {
                frames += 1;
                let Some(packed) = byte(at + 9) else { return frames };
                match skip_sub_blocks(at + 10 + color_table(packed) + 1) {
                    Some(next) => at = next,
                    None => return frames,
                }
            }
            _ => return frames,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::count_frames;

    #[test]
    fn frames_are_counted_from_the_block_structure() {
        // 1x1, global table of 2 colours, a comment, two frames, trailer.
        let mut gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
        gif.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        gif.extend_from_slice(&[0x21, 0xFE, 2, b'h', b'i', 0]);
        for _ in 0..2 {
            gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0]);
        }
        gif.push(0x3B);
        assert_eq!(count_frames(&gif), 2);
        assert_eq!(count_frames(&gif[..gif.len() - 8]), 2);
        assert_eq!(count_frames(b"GIF89a"), 0);
    }
}
