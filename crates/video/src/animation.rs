//! A video as an animated GIF (FFmpeg's two-stage palette: `palettegen`
//! over the whole clip, then `paletteuse`) or animated WebP (libwebp).
//! These encoders take the media value directly; a still frame of a video
//! goes through the `frame` adapter instead (the `time` option).

use std::io::Write;

use fileconv_core::{Context, Encoder, Error, Result, Value, ValueKind};
use fileconv_ffmpeg::{decode_error, MediaInput, MediaOutput};

use crate::codecs::{VideoCodec, GIF, WEBP};
use crate::container::video_stream;
use crate::options::ANIMATION;
use crate::pipeline::{Lane, SourceShape, VideoQuality};
use crate::transcode::{fps_arg, open_decoder, pump, write_header, Request, Route};

/// An animated image format FFmpeg writes.
struct Animation {
    format: &'static str,
    muxer: &'static str,
    codec: &'static VideoCodec,
    /// The filters after fps and scale.
    tail: &'static str,
    muxer_options: &'static [(&'static str, &'static str)],
}

const GIF_OUT: Animation = Animation {
    format: "gif",
    muxer: "gif",
    codec: &GIF,
    tail: "split[frames][stats];[stats]palettegen=stats_mode=diff[palette];[frames][palette]paletteuse=diff_mode=rectangle",
    muxer_options: &[("loop", "0")],
};

const WEBP_OUT: Animation =
    Animation { format: "webp", muxer: "webp", codec: &WEBP, tail: "format=yuv420p", muxer_options: &[("loop", "0")] };

inventory::submit! {
    Encoder { format: "gif", name: "ffmpeg-palette", input: ValueKind::Media, cost: 5, lossy: true, options: ANIMATION,
        encode: |value, sink, ctx| encode(value, sink, ctx, &GIF_OUT) }
}
inventory::submit! {
    Encoder { format: "webp", name: "libwebp_anim", input: ValueKind::Media, cost: 5, lossy: true, options: ANIMATION,
        encode: |value, sink, ctx| encode(value, sink, ctx, &WEBP_OUT) }
}

/// Frames per second unless `fps` says otherwise, and the default width cap:
/// small files that still move smoothly.
const DEFAULT_FPS: u32 = 10;
const DEFAULT_MAX_WIDTH: u32 = 480;

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, animation: &Animation) -> Result<()> {
    let media = value.into_media()?;
    let total = media.duration;
    let source_fps = media.video.as_ref().and_then(|v| v.frame_rate);
    let id = animation.format;
    let source = media.format;
    let request = Request::from_options(ctx)?;
    let fps = request.fps.unwrap_or_else(|| source_fps.map_or(DEFAULT_FPS, |f| (f.round() as u32).clamp(1, DEFAULT_FPS)));
    // The palette stage holds every frame until it has seen the last one:
    // the frame limit bounds that memory, before anything is decoded.
    let seconds = request.duration.or(total.map(|t| t - request.start.unwrap_or(0.0))).unwrap_or(0.0).max(0.0);
    ctx.limits.check_frames((seconds * f64::from(fps)).ceil() as u64)?;
    let mut input = MediaInput::from_media(media)?;
    let index = video_stream(input.context()).ok_or_else(|| Error::invalid_input(source, "the file has no video stream"))?;
    let (decoder, time_base) = open_decoder(&mut input, index, source)?;
    let video = decoder.video().map_err(|e| decode_error(source, "not a video stream", e))?;
    let shape = SourceShape::Video { width: video.width(), height: video.height(), pixel: video.format(), time_base, aspect: video.aspect_ratio() };
    // Both encoders hold every frame until the last (GIF's palette stage,
    // WebP's animation assembler): their size is charged before decoding.
    let (w, h) = (u64::from(video.width().max(1)), u64::from(video.height().max(1)));
    let (out_w, out_h) = match (request.width.map(u64::from), request.height.map(u64::from)) {
        (None, None) => (w.min(u64::from(DEFAULT_MAX_WIDTH)), h * w.min(u64::from(DEFAULT_MAX_WIDTH)) / w),
        (Some(rw), None) => (rw, h * rw / w),
        (None, Some(rh)) => (w * rh / h, rh),
        (Some(rw), Some(rh)) => (rw, rh),
    };
    let frames = (seconds * f64::from(fps)).ceil().max(1.0) as u64;
    ctx.charge_memory(frames.saturating_mul(out_w * out_h.max(1) * 4), "memory for animation frames (bytes)")?;
    let scale = match (request.width, request.height) {
        (None, None) => format!("scale='min({DEFAULT_MAX_WIDTH},iw)':-2:flags=lanczos"),
        _ => format!("{}:flags=lanczos", request.scale()),
    };
    let filters = format!("{}fps={},{scale},{}", request.trim(false), fps_arg(fileconv_ffmpeg::ffmpeg::Rational::new(fps as i32, 1)), animation.tail);
    let mut output = MediaOutput::new(animation.muxer, id, ctx.output_spool())?;
    let quality = VideoQuality::from_options(ctx, animation.codec)?;
    let lane = Lane::video(&shape, &filters, animation.codec, &quality, &mut output, id)?;
    let mut routes: Vec<Option<Route>> = (0..input.context().nb_streams()).map(|_| None).collect();
    // SAFETY: an empty frame, filled by the decoder.
    routes[index] = Some(Route::Encode { decoder: Box::new(video.0), frame: unsafe { fileconv_ffmpeg::ffmpeg::frame::Frame::empty() }, lane: Box::new(lane), bad_packets: 0 });
    write_header(&mut output, &mut routes, animation.muxer_options, id)?;
    pump(&mut input, &mut routes, &mut output, ctx, &request, total, source)?;
    output.finish(sink)?;
    ctx.progress(1.0);
    Ok(())
}
