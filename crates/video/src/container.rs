//! What a container file states (muxer, demuxer, codecs) and the one
//! [`register!`](crate::register) that turns it into a format, a decoder and
//! two encoders (from a media source, and from images).

use fileconv_core::{AudioTrack, Context, Error, Input, Media, Result, Value, VideoTrack};
use fileconv_ffmpeg::ffmpeg::{format::context, format::stream::Disposition, media, Rational};
use fileconv_ffmpeg::MediaInput;

use crate::codecs::{AudioCodec, VideoCodec};

/// A video container fileconv reads and writes through FFmpeg.
#[derive(Debug)]
pub struct Container {
    pub id: &'static str,
    /// FFmpeg's demuxer for it.
    pub demuxer: &'static str,
    /// FFmpeg's muxer for it.
    pub muxer: &'static str,
    /// Video codecs it can be encoded with, the default first.
    pub video: &'static [&'static VideoCodec],
    /// Audio codecs it can be encoded with, the default first.
    pub audio: &'static [&'static AudioCodec],
    /// FFmpeg codec names whose streams it holds as they are (remux).
    pub video_copy: &'static [&'static str],
    pub audio_copy: &'static [&'static str],
    /// FFmpeg subtitle codecs it holds: streams in them are copied, and text
    /// subtitles in others are encoded into the first. Empty: none.
    pub subtitles: &'static [&'static str],
    pub muxer_options: &'static [(&'static str, &'static str)],
}

/// Registers a container: its [`FormatInfo`](fileconv_core::FormatInfo),
/// a decoder to a lazy [`Media`] value, and encoders from media and from rasters.
#[macro_export]
#[doc(hidden)]
macro_rules! register {
    ($container:path, $info:expr) => {
        inventory::submit! { $info }
        inventory::submit! {
            fileconv_core::Decoder { format: $container.id, name: "ffmpeg", output: fileconv_core::ValueKind::Media, cost: 5,
                options: &[], decode: |input, ctx| $crate::container::open(input, ctx, &$container) }
        }
        inventory::submit! {
            fileconv_core::Encoder { format: $container.id, name: "ffmpeg", input: fileconv_core::ValueKind::Media, cost: 10,
                lossy: true, options: $crate::options::TRANSCODE,
                encode: |value, sink, ctx| $crate::transcode::transcode(value, sink, ctx, &$container) }
        }
        inventory::submit! {
            fileconv_core::Encoder { format: $container.id, name: "ffmpeg-frames", input: fileconv_core::ValueKind::Raster, cost: 20,
                lossy: true, options: $crate::options::FROM_RASTER,
                encode: |value, sink, ctx| $crate::from_raster::encode(value, sink, ctx, &$container) }
        }
    };
}

/// Opens `input` as `container` and describes its best video and audio tracks.
///
/// # Errors
/// [`Error::InvalidInput`] when FFmpeg cannot read it or it holds neither
/// video nor audio; [`Error::LimitExceeded`] for a frame over the limits.
pub fn open(input: Input<'_>, ctx: &Context<'_>, container: &Container) -> Result<Value> {
    open_with(input, ctx, container.id, container.demuxer).map(Value::Media)
}

/// [`open`] with FFmpeg's demuxer `demuxer`, for `format`.
///
/// # Errors
/// As for [`open`].
pub fn open_with(input: Input<'_>, ctx: &Context<'_>, format: &'static str, demuxer: &str) -> Result<Media> {
    let mut demuxer = MediaInput::open(input.open()?, Some(demuxer), format)?;
    let context = demuxer.context();
    let video = video_stream(context).map(|index| {
        let stream = context.stream(index).expect("index from the stream list");
        let parameters = stream.parameters();
        // SAFETY: plain fields of the stream's codec parameters.
        let (width, height) = unsafe { ((*parameters.as_ptr()).width.max(0) as u32, (*parameters.as_ptr()).height.max(0) as u32) };
        VideoTrack { codec: parameters.id().name().to_string(), width, height, frame_rate: rate(stream.avg_frame_rate()).or(rate(stream.rate())) }
    });
    let audio = context.streams().best(media::Type::Audio).map(|stream| {
        let parameters = stream.parameters();
        // SAFETY: plain fields of the stream's codec parameters.
        let (rate, channels) = unsafe { ((*parameters.as_ptr()).sample_rate.max(0) as u32, (*parameters.as_ptr()).ch_layout.nb_channels.max(0) as u16) };
        AudioTrack { codec: parameters.id().name().to_string(), sample_rate: rate, channels }
    });
    let unsized_video = video.is_none() && context.streams().best(media::Type::Video).is_some_and(|s| !s.disposition().contains(Disposition::ATTACHED_PIC));
    match (&video, &audio) {
        (None, None) if unsized_video => return Err(Error::invalid_input(format, "the video stream has no frame size")),
        (None, None) => return Err(Error::invalid_input(format, "no video or audio stream")),
        (None, Some(_)) if unsized_video => ctx.note("the video stream has no frame size (FFmpeg found no picture header in it); it is left out and the audio converted alone"),
        _ => {}
    }
    if let Some(v) = &video {
        ctx.limits.check_frame(v.width, v.height, 4)?;
    }
    let duration = (context.duration() > 0).then(|| context.duration() as f64 / 1e6);
    Ok(Media { format, duration, video, audio, demuxer: Box::new(demuxer) })
}

/// The main video stream: FFmpeg's best, unless it is only a cover picture
/// or has no frame size (no picture header was found in what FFmpeg probed).
pub fn video_stream(context: &context::Input) -> Option<usize> {
    let stream = context.streams().best(media::Type::Video)?;
    // SAFETY: plain fields of the stream's codec parameters.
    let sized = unsafe { (*stream.parameters().as_ptr()).width > 0 && (*stream.parameters().as_ptr()).height > 0 };
    (sized && !stream.disposition().contains(Disposition::ATTACHED_PIC)).then(|| stream.index())
}

/// Frames per second from a stream's rational, when plausible.
pub fn rate(r: Rational) -> Option<f64> {
    (r.numerator() > 0 && r.denominator() > 0).then(|| f64::from(r)).filter(|f| (0.1..=1000.0).contains(f))
}

/// Seeks to the keyframe at or before `seconds` (absolute, in the file's
/// timeline) where the demuxer has a keyframe index (MP4, Matroska, AVI).
/// Elsewhere (MPEG-TS, MPEG-PS, FLV, Ogg, ASF) FFmpeg's seek searches by
/// timestamp and can land after the only keyframe, leaving nothing
/// decodable: those are read from the start, and the trim drops what comes before.
pub fn seek_before(input: &mut MediaInput, seconds: f64) {
    let demuxer = input.context().format();
    let name = demuxer.name();
    let indexed = name.starts_with("mov") || name.starts_with("matroska") || name == "avi";
    if indexed && seconds > 0.0 {
        let ts = (seconds * 1e6) as i64;
        let _ = input.context().seek(ts, ..ts);
    }
}
