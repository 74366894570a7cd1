//! Images made into videos: an animation (GIF, WebP, APNG) keeps its frame
//! timing; a still image shows for `duration` (5 s by default). The image
//! plugin decodes, its transform resizes; this encodes.

use std::io::Write;

use fileconv_core::{Context, Error, Raster, Result, Value};
use fileconv_ffmpeg::ffmpeg::{format, frame, Rational};
use fileconv_ffmpeg::MediaOutput;

use crate::codecs::{pick, VideoCodec};
use crate::container::Container;
use crate::options::{DURATION, FPS, VIDEO_CODEC};
use crate::pipeline::{Lane, SourceShape, VideoQuality};
use crate::transcode::{fps_arg, pixel_format, supported_rate, write_header, EVEN_SIZE};

/// How long a still image shows when `duration` is not given.
const STILL_SECONDS: f64 = 5.0;
/// Output frames per second unless `fps` says otherwise.
const DEFAULT_FPS: i32 = 25;
/// Browsers show GIF frames with a delay under 20 ms for 100 ms; so do we.
const MIN_DELAY_MS: u128 = 20;
const SHORT_DELAY_AS_MS: u128 = 100;
/// Timestamps in milliseconds.
const MILLISECONDS: Rational = Rational(1, 1000);

/// Encodes a raster (one frame or an animation) as a video in `target`.
///
/// # Errors
/// [`Error::InvalidOption`] for bad options, [`Error::Backend`] when FFmpeg fails, [`Error::Cancelled`].
pub fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, target: &Container) -> Result<()> {
    let raster = value.into_raster()?;
    let id = target.id;
    let codec: &VideoCodec = match VIDEO_CODEC.choice_opt(ctx.options)? {
        Some("copy") => {
            return Err(Error::InvalidOption {
                name: "videoCodec".into(),
                reason: "an image has no video stream to copy".into(),
                valid: target.video.iter().map(|c| c.name).collect::<Vec<_>>().join(", "),
            })
        }
        Some(name) => pick("videoCodec", name, target.video, |c| c.name)?,
        None => target.video[0],
    };
    let quality = VideoQuality::from_options(ctx, codec)?;
    let limit = DURATION.seconds(ctx.options)?.map(|s| (s * 1000.0).round() as i64);
    let timeline = timeline(&raster, limit);
    let end = timeline.last().map_or(0, |(_, until)| *until);
    if end <= 0 {
        return Err(Error::InvalidOption { name: "duration".into(), reason: "keeps no frame".into(), valid: DURATION.valid_values() });
    }
    let rate = Rational::new(FPS.integer_opt(ctx.options)?.map_or(DEFAULT_FPS, |f| f as i32), 1);
    let (width, height) = (raster.width(), raster.height());
    let shape = SourceShape::Video { width, height, pixel: format::Pixel::RGB24, time_base: MILLISECONDS, aspect: Rational::new(1, 1) };
    let filters = format!("fps={},{EVEN_SIZE},format={}", fps_arg(supported_rate(codec, rate)), pixel_format(codec));
    let mut output = MediaOutput::new(target.muxer, id, ctx.output_spool())?;
    let mut lane = Lane::video(&shape, &filters, codec, &quality, &mut output, id)?;
    write_header(&mut output, &mut [], target.muxer_options, id)?;
    lane.header_written(&mut output);
    for (i, (start, _)) in timeline.iter().enumerate() {
        ctx.checkpoint()?;
        let mut picture = to_frame(&raster.frames[i].image.to_rgba8(), width, height);
        picture.set_pts(Some(*start));
        lane.push(&picture, &mut output)?;
        ctx.progress((i + 1) as f32 / timeline.len() as f32);
    }
    lane.finish(&mut output, Some(end))?;
    output.finish(sink)?;
    Ok(())
}

/// When each frame starts and ends, in milliseconds, cut at `limit`.
fn timeline(raster: &Raster, limit: Option<i64>) -> Vec<(i64, i64)> {
    if !raster.is_animated() {
        return vec![(0, limit.unwrap_or((STILL_SECONDS * 1000.0) as i64))];
    }
    let mut out = Vec::with_capacity(raster.frames.len());
    let mut at = 0i64;
    for frame in &raster.frames {
        let ms = frame.delay.as_millis();
        let ms = if ms < MIN_DELAY_MS { SHORT_DELAY_AS_MS } else { ms } as i64;
        let until = limit.map_or(at + ms, |l| (at + ms).min(l));
        if until <= at {
            break;
        }
        out.push((at, until));
        at = until;
    }
    out
}

/// An RGB24 frame of an RGBA image, flattened onto black as players show transparency.
fn to_frame(image: &fileconv_core::image::RgbaImage, width: u32, height: u32) -> frame::Video {
    let mut picture = frame::Video::new(format::Pixel::RGB24, width, height);
    let stride = picture.stride(0);
    let data = picture.data_mut(0);
    for (y, row) in image.rows().enumerate() {
        let line = &mut data[y * stride..y * stride + width as usize * 3];
        for (x, px) in row.enumerate() {
            let a = u16::from(px[3]);
            for c in 0..3 {
                line[x * 3 + c] = ((u16::from(px[c]) * a + 127) / 255) as u8;
            }
        }
    }
    picture
}
