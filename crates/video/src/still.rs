//! One frame of a video as an image: the `frame` adapter from media to
//! raster, so every image target of the image plugin is reachable.

use fileconv_core::image::{DynamicImage, RgbImage};
use fileconv_core::{Adapter, Context, Error, Raster, Result, Value, ValueKind};
use fileconv_ffmpeg::ffmpeg::{format, frame, software::scaling, Packet};
use fileconv_ffmpeg::{decode_error, MediaInput, EAGAIN};

use crate::container::{seek_before, video_stream};
use crate::options::TIME;
use crate::transcode::open_decoder;

inventory::submit! {
    Adapter { name: "frame", from: ValueKind::Media, to: ValueKind::Raster, cost: 10, lossy: false, options: &[TIME], adapt }
}

/// Share of the duration at which the default frame is taken: past titles and fades.
const DEFAULT_POSITION: f64 = 0.1;
/// Packets between cancellation checks.
const CHECK_EVERY: u32 = 32;

pub(crate) fn adapt(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let media = value.into_media()?;
    let id = media.format;
    let time = TIME.seconds(ctx.options)?.unwrap_or(media.duration.unwrap_or(0.0) * DEFAULT_POSITION);
    let mut input = MediaInput::from_media(media)?;
    let index = video_stream(input.context()).ok_or_else(|| Error::invalid_input(id, "the file has no video stream"))?;
    let (decoder, time_base) = open_decoder(&mut input, index, id)?;
    let mut decoder = decoder.video().map_err(|e| decode_error(id, "not a video stream", e))?;
    ctx.charge_frame(decoder.width(), decoder.height(), 3)?;
    // SAFETY: a plain field of the open context.
    let file_start = unsafe { (*input.context().as_ptr()).start_time };
    let file_start = if file_start == fileconv_ffmpeg::ffmpeg_sys::AV_NOPTS_VALUE { 0 } else { file_start };
    let wanted = file_start as f64 / 1e6 + time;
    if time > 0.0 {
        seek_before(&mut input, wanted);
    }
    let mut best: Option<frame::Video> = None;
    let mut frame = frame::Video::empty();
    let mut reached = false;
    let mut count = 0;
    let receive = |decoder: &mut fileconv_ffmpeg::ffmpeg::decoder::Video, best: &mut Option<frame::Video>, frame: &mut frame::Video| -> Result<bool> {
        loop {
            match decoder.receive_frame(frame) {
                Ok(()) => {
                    let at = frame.timestamp().map(|t| t as f64 * f64::from(time_base));
                    *best = Some(frame.clone());
                    if at.is_none_or(|t| t + 1e-6 >= wanted) {
                        return Ok(true);
                    }
                }
                Err(fileconv_ffmpeg::ffmpeg::Error::Other { errno }) if errno == EAGAIN => return Ok(false),
                Err(fileconv_ffmpeg::ffmpeg::Error::Eof) => return Ok(false),
                Err(fileconv_ffmpeg::ffmpeg::Error::InvalidData) => continue,
                Err(e) => return Err(decode_error(id, "cannot decode", e)),
            }
        }
    };
    while !reached {
        // A new packet each time: av_read_frame does not release a reused one's contents.
        let mut packet = Packet::empty();
        if packet.read(input.context()).is_err() {
            let _ = decoder.send_eof();
            receive(&mut decoder, &mut best, &mut frame)?;
            break;
        }
        count += 1;
        if count % CHECK_EVERY == 0 {
            ctx.checkpoint()?;
        }
        if packet.stream() != index {
            continue;
        }
        if decoder.send_packet(&packet).is_err() {
            continue;
        }
        reached = receive(&mut decoder, &mut best, &mut frame)?;
    }
    let picture = best.ok_or_else(|| Error::invalid_input(id, "no decodable video frame"))?;
    ctx.progress(1.0);
    Ok(Value::Raster(Raster::still(DynamicImage::ImageRgb8(to_rgb(&picture, id)?))))
}

/// Converts a decoded frame to 8-bit RGB at its own size.
fn to_rgb(picture: &frame::Video, id: &'static str) -> Result<RgbImage> {
    let (width, height) = (picture.width(), picture.height());
    let mut scaler = scaling::Context::get(picture.format(), width, height, format::Pixel::RGB24, width, height, scaling::Flags::BICUBIC)
        .map_err(|e| decode_error(id, "cannot convert the frame to RGB", e))?;
    let mut rgb = frame::Video::empty();
    scaler.run(picture, &mut rgb).map_err(|e| decode_error(id, "cannot convert the frame to RGB", e))?;
    let stride = rgb.stride(0);
    let row = width as usize * 3;
    let data = rgb.data(0);
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        pixels.extend_from_slice(&data[y * stride..y * stride + row]);
    }
    RgbImage::from_raw(width, height, pixels).ok_or_else(|| Error::Internal("RGB buffer size".into()))
}
