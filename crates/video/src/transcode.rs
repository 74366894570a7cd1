//! Media to container: one streaming pass over the source's packets. Each
//! kept stream is either copied as it is (when the target holds its codec and
//! no option asks for a change: a remux) or decoded and sent down a [`Lane`].

use std::io::Write;

use fileconv_core::{Context, Error, Result, Value};
use fileconv_ffmpeg::ffmpeg::{codec, decoder, format, frame, media, Dictionary, Packet, Rational};
use fileconv_ffmpeg::ffmpeg_sys as sys;
use fileconv_ffmpeg::{decode_error, error, MediaInput, MediaOutput, EAGAIN};

use crate::codecs::{pick, AudioCodec, VideoCodec};
use crate::container::{seek_before, video_stream, Container};
use crate::options::{AUDIO_BITRATE, AUDIO_CODEC, CRF, DURATION, FPS, HEIGHT, MUTE, PRESET, START, VIDEO_BITRATE, VIDEO_CODEC, WIDTH};
use crate::pipeline::{Lane, SourceShape, VideoQuality};
use crate::subtitle_lane::{keep_language, plan, Carry, SubtitleLane};

/// The source's size, rounded down to even (4:2:0 needs it), at least 2x2.
pub const EVEN_SIZE: &str = "scale='max(2,trunc(iw/2)*2)':'max(2,trunc(ih/2)*2)'";

/// Corrupt packets in a row after which a stream is declared broken.
const MAX_BAD_PACKETS: u32 = 64;
/// Packets between cancellation checks and progress reports.
const CHECK_EVERY: u64 = 32;

/// What the options ask of a conversion.
#[derive(Debug, Default)]
pub struct Request {
    pub start: Option<f64>,
    pub duration: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<u32>,
    video_codec: Option<&'static str>,
    audio_codec: Option<&'static str>,
    audio_bitrate: Option<u64>,
    mute: bool,
    reencode_video: bool,
    reencode_audio: bool,
}

impl Request {
    /// # Errors
    /// [`Error::InvalidOption`] for a bad value.
    pub fn from_options(ctx: &Context<'_>) -> Result<Self> {
        let o = ctx.options;
        let start = START.seconds(o)?.filter(|s| *s > 0.0);
        let duration = DURATION.seconds(o)?;
        if duration == Some(0.0) {
            return Err(Error::InvalidOption { name: "duration".into(), reason: "'0' keeps nothing".into(), valid: DURATION.valid_values() });
        }
        let trims = start.is_some() || duration.is_some();
        let r = Request {
            start,
            duration,
            width: WIDTH.integer_opt(o)?.map(|v| v as u32),
            height: HEIGHT.integer_opt(o)?.map(|v| v as u32),
            fps: FPS.integer_opt(o)?.map(|v| v as u32),
            video_codec: VIDEO_CODEC.choice_opt(o)?,
            audio_codec: AUDIO_CODEC.choice_opt(o)?,
            audio_bitrate: AUDIO_BITRATE.bitrate(o)?,
            mute: MUTE.boolean(o)?,
            reencode_video: trims || o.any_of(&[WIDTH, HEIGHT, FPS, CRF, VIDEO_BITRATE, PRESET]),
            reencode_audio: trims || o.any_of(&[AUDIO_BITRATE]),
        };
        if trims && (r.video_codec == Some("copy") || r.audio_codec == Some("copy")) {
            return Err(Error::InvalidOption {
                name: "start".into(),
                reason: "exact cuts re-encode, so they cannot be combined with codec copy".into(),
                valid: "no start or duration, or a videoCodec and audioCodec other than copy".into(),
            });
        }
        Ok(r)
    }

    /// `trim=...,setpts=...,` (or the audio forms) for the requested span; empty without one.
    pub fn trim(&self, audio: bool) -> String {
        if self.start.is_none() && self.duration.is_none() {
            return String::new();
        }
        let start = self.start.unwrap_or(0.0);
        let mut args = vec![format!("start={start}")];
        if let Some(d) = self.duration {
            args.push(format!("end={}", start + d));
        }
        let (trim, setpts) = if audio { ("atrim", "asetpts") } else { ("trim", "setpts") };
        format!("{trim}={},{setpts}=PTS-STARTPTS,", args.join(":"))
    }

    /// The `scale` filter for the size options: the aspect kept, even sizes.
    pub fn scale(&self) -> String {
        let even = |v: u32| (v & !1).max(2);
        match (self.width, self.height) {
            (None, None) => EVEN_SIZE.to_string(),
            (Some(w), None) => format!("scale={}:-2", even(w)),
            (None, Some(h)) => format!("scale=-2:{}", even(h)),
            (Some(w), Some(h)) => {
                format!("scale={}:{}:force_original_aspect_ratio=decrease:force_divisible_by=2", even(w), even(h))
            }
        }
    }
}

pub(crate) enum Route {
    Copy { stream: usize, from: Rational, to: Rational },
    Encode { decoder: Box<decoder::Opened>, frame: frame::Frame, lane: Box<Lane>, bad_packets: u32 },
    Subtitle(Box<SubtitleLane>),
}

/// Converts a media value to `target`.
///
/// # Errors
/// [`Error::InvalidOption`] for bad options or a `copy` the target cannot
/// hold, [`Error::InvalidInput`] for undecodable input, [`Error::Backend`]
/// when FFmpeg fails otherwise, [`Error::Cancelled`], [`Error::LimitExceeded`].
pub fn transcode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, target: &Container) -> Result<()> {
    let media = value.into_media()?;
    let total = media.duration;
    let source = media.format;
    let mut input = MediaInput::from_media(media)?;
    let request = Request::from_options(ctx)?;
    let id = target.id;
    let mut output = MediaOutput::new(target.muxer, id, ctx.output_spool())?;
    let mut routes: Vec<Option<Route>> = (0..input.context().nb_streams()).map(|_| None).collect();
    if let Some(index) = video_stream(input.context()) {
        routes[index] = Some(video_route(&mut input, index, source, target, &request, ctx, &mut output)?);
    }
    let audio = input.context().streams().best(media::Type::Audio).map(|s| s.index());
    if let (Some(index), false) = (audio, request.mute) {
        routes[index] = Some(audio_route(&mut input, index, source, target, &request, &mut output)?);
    }
    if routes.iter().all(Option::is_none) {
        return Err(Error::invalid_input(id, "nothing to convert: no video, and the audio is muted or absent"));
    }
    subtitle_routes(&mut input, &mut routes, target, &request, &mut output, ctx)?;
    note_streams_left_out(&mut input, &routes, &request, id, ctx);
    carry_chapters(&mut input, &mut output, target, &request, ctx)?;
    // SAFETY: copying the source's container tags into the output's dictionary.
    unsafe {
        sys::av_dict_copy(&mut (*output.context().as_mut_ptr()).metadata, (*input.context().as_ptr()).metadata, 0);
    }
    write_header(&mut output, &mut routes, target.muxer_options, id).map_err(|e| blame_copies(e, &routes, source))?;
    pump(&mut input, &mut routes, &mut output, ctx, &request, total, source)?;
    // A stream the source had and the output lacks is a loss, not a result.
    for route in routes.iter().flatten() {
        if let Route::Encode { lane, .. } = route {
            if lane.packets == 0 && request.start.is_none() && request.duration.is_none() {
                let what = if lane.is_video() { "video" } else { "audio" };
                return Err(Error::cannot_keep(id, format!("the source's {what} stream gave no frames to encode")));
            }
        }
    }
    if output.repaired_timestamps() > 0 {
        ctx.note(format!("{} packet(s) of the source are timed to be decoded after they are shown; their timestamps were repaired", output.repaired_timestamps()));
    }
    output.finish(sink)?;
    ctx.progress(1.0);
    Ok(())
}

/// A muxer failure over copied streams is the source's doing (corrupt
/// extradata, broken timestamps): reported as [`Error::InvalidInput`].
/// With `routes` empty, the failure is known to come from a copied packet.
fn blame_copies(err: Error, routes: &[Option<Route>], source: &str) -> Error {
    let copying = routes.is_empty() || routes.iter().flatten().any(|r| matches!(r, Route::Copy { .. }));
    match err {
        Error::Backend { source: cause, .. } if copying => Error::invalid_input(source, format!("its streams cannot be copied as they are: {cause}")),
        other => other,
    }
}

/// Writes the muxer's header, then reads back the time bases it chose.
///
/// # Errors
/// [`Error::Backend`] when the muxer refuses the streams.
pub(crate) fn write_header(output: &mut MediaOutput, routes: &mut [Option<Route>], muxer_options: &[(&str, &str)], id: &'static str) -> Result<()> {
    let mut options = Dictionary::new();
    for (key, value) in muxer_options {
        options.set(key, value);
    }
    output.context().write_header_with(options).map_err(|e| error(id, "cannot write the header", e))?;
    for route in routes.iter_mut().flatten() {
        match route {
            Route::Copy { stream, to, .. } => *to = output.context().stream(*stream).map_or(*to, |s| s.time_base()),
            Route::Encode { lane, .. } => lane.header_written(output),
            Route::Subtitle(lane) => lane.header_written(output),
        }
    }
    Ok(())
}

/// Reads the source's packets through `routes` (indexed by source stream)
/// until the end or until every lane's trim has ended, then flushes the lanes.
///
/// # Errors
/// As for [`transcode`].
pub(crate) fn pump(
    input: &mut MediaInput,
    routes: &mut [Option<Route>],
    output: &mut MediaOutput,
    ctx: &Context<'_>,
    request: &Request,
    total: Option<f64>,
    id: &'static str,
) -> Result<()> {
    let offset = start_offset(input.context());
    if let Some(start) = request.start {
        // Land on the keyframe before the cut; the trim filters drop the rest exactly.
        seek_before(input, start + offset as f64 / 1e6);
    }
    let span = match (request.duration, total) {
        (Some(d), _) => Some(d),
        (None, Some(t)) => Some(t - request.start.unwrap_or(0.0)),
        _ => None,
    };
    let time_bases: Vec<Rational> = input.context().streams().map(|s| s.time_base()).collect();
    let mut count = 0u64;
    loop {
        // A new packet each time: av_read_frame does not release the previous
        // contents of the one it is given (reusing one leaked every packet
        // sent to a decoder; found by fuzz/decode_media under LeakSanitizer).
        let mut packet = Packet::empty();
        // The end of the file, or of what a truncated file holds.
        if packet.read(input.context()).is_err() {
            break;
        }
        count += 1;
        if count % CHECK_EVERY == 0 {
            ctx.checkpoint()?;
            report(ctx, &packet, &time_bases, offset, request.start, span);
        }
        let index = packet.stream();
        let Some(route) = routes.get_mut(index).and_then(Option::as_mut) else { continue };
        shift(&mut packet, offset, time_bases[index]);
        match route {
            Route::Copy { stream, from, to } => {
                packet.rescale_ts(*from, *to);
                packet.set_stream(*stream);
                packet.set_position(-1);
                output.write(&mut packet).map_err(|e| blame_copies(e, &[], id))?;
            }
            Route::Encode { decoder, frame, lane, bad_packets } => {
                if lane.finished() {
                    continue;
                }
                match decoder.send_packet(&packet) {
                    Ok(()) => *bad_packets = 0,
                    Err(fileconv_ffmpeg::ffmpeg::Error::InvalidData) => {
                        *bad_packets += 1;
                        if *bad_packets > MAX_BAD_PACKETS {
                            return Err(Error::invalid_input(id, "too many corrupt packets in a row"));
                        }
                    }
                    Err(e) => return Err(decode_error(id, "cannot decode", e)),
                }
                drain_decoder(decoder, frame, lane, output, id)?;
            }
            Route::Subtitle(lane) => lane.push(&packet, output, id)?,
        }
        let all_done = routes.iter().flatten().all(|r| matches!(r, Route::Encode { lane, .. } if lane.finished()));
        if all_done {
            break;
        }
    }
    for route in routes.iter_mut().flatten() {
        if let Route::Encode { decoder, frame, lane, .. } = route {
            let _ = decoder.send_eof();
            drain_decoder(decoder, frame, lane, output, id)?;
            lane.finish(output, None)?;
        }
    }
    Ok(())
}

/// Passes every frame the decoder has ready to the lane.
fn drain_decoder(decoder: &mut decoder::Opened, frame: &mut frame::Frame, lane: &mut Lane, output: &mut MediaOutput, id: &'static str) -> Result<()> {
    loop {
        match decoder.receive_frame(frame) {
            Ok(()) => {
                frame.set_pts(frame.timestamp());
                lane.push(frame, output)?;
            }
            Err(fileconv_ffmpeg::ffmpeg::Error::Eof) => return Ok(()),
            Err(fileconv_ffmpeg::ffmpeg::Error::Other { errno }) if errno == EAGAIN => return Ok(()),
            // A broken frame: skip it, as players do.
            Err(fileconv_ffmpeg::ffmpeg::Error::InvalidData) => continue,
            Err(e) => return Err(decode_error(id, "cannot decode", e)),
        }
    }
}

/// The container's start time in microseconds (MPEG-TS often starts at 1.4 s), so outputs start at zero.
fn start_offset(context: &format::context::Input) -> i64 {
    // SAFETY: a plain field of the open context.
    let start = unsafe { (*context.as_ptr()).start_time };
    if start == sys::AV_NOPTS_VALUE { 0 } else { start }
}

fn shift(packet: &mut Packet, offset: i64, time_base: Rational) {
    if offset == 0 {
        return;
    }
    // SAFETY: pure arithmetic.
    let delta = unsafe { sys::av_rescale_q(offset, sys::AVRational { num: 1, den: 1_000_000 }, time_base.into()) };
    packet.set_pts(packet.pts().map(|t| t - delta));
    packet.set_dts(packet.dts().map(|t| t - delta));
}

fn report(ctx: &Context<'_>, packet: &Packet, time_bases: &[Rational], offset: i64, start: Option<f64>, span: Option<f64>) {
    let (Some(span), Some(ts), Some(tb)) = (span, packet.dts().or(packet.pts()), time_bases.get(packet.stream())) else { return };
    if span <= 0.0 {
        return;
    }
    let seconds = ts as f64 * f64::from(*tb) - offset as f64 / 1e6 - start.unwrap_or(0.0);
    ctx.progress((seconds / span) as f32);
}

pub(crate) fn open_decoder(input: &mut MediaInput, index: usize, id: &'static str) -> Result<(decoder::Opened, Rational)> {
    let stream = input.context().stream(index).expect("a listed stream");
    let time_base = stream.time_base();
    let mut context = codec::context::Context::from_parameters(stream.parameters()).map_err(|e| decode_error(id, "cannot read the stream parameters", e))?;
    crate::pipeline::auto_threads(&mut context);
    let mut decoder = context.decoder();
    decoder.set_packet_time_base(time_base);
    let codec = fileconv_ffmpeg::ffmpeg::decoder::find(decoder.id()).ok_or_else(|| Error::invalid_input(id, format!("no decoder for {}", decoder.id().name())))?;
    let opened = decoder.open_as(codec).map_err(|e| decode_error(id, "cannot open the decoder", e))?;
    Ok((opened, time_base))
}

fn copy_route(input: &mut MediaInput, index: usize, output: &mut MediaOutput, id: &'static str) -> Result<Route> {
    let stream = input.context().stream(index).expect("a listed stream");
    let time_base = stream.time_base();
    let mut out = output.context().add_stream(None::<fileconv_ffmpeg::ffmpeg::Codec>).map_err(|e| error(id, "cannot add a stream", e))?;
    out.set_parameters(stream.parameters());
    out.set_time_base(time_base);
    out.set_avg_frame_rate(stream.avg_frame_rate());
    // SAFETY: plain fields of the new stream's parameters; the muxer picks its own tag.
    unsafe { (*(*out.as_mut_ptr()).codecpar).codec_tag = 0 };
    Ok(Route::Copy { stream: out.index(), from: time_base, to: time_base })
}

fn not_holdable(option: &str, target: &str, codec: &str, allowed: &[&str]) -> Error {
    Error::InvalidOption {
        name: option.to_string(),
        reason: format!("{target} cannot hold the source's {codec} stream as it is"),
        valid: format!("a codec to encode with, or copy from a source in {}", allowed.join(", ")),
    }
}

fn video_route(input: &mut MediaInput, index: usize, source: &'static str, target: &Container, request: &Request, ctx: &Context<'_>, output: &mut MediaOutput) -> Result<Route> {
    let id = target.id;
    let source_codec = input.context().stream(index).expect("a listed stream").parameters().id().name();
    let holdable = target.video_copy.contains(&source_codec);
    let codec: &VideoCodec = match request.video_codec {
        Some("copy") if holdable && !request.reencode_video => return copy_route(input, index, output, id),
        Some("copy") if holdable => {
            return Err(Error::InvalidOption {
                name: "videoCodec".into(),
                reason: "copy cannot change the size, frame rate or quality".into(),
                valid: "a codec to encode with".into(),
            })
        }
        Some("copy") => return Err(not_holdable("videoCodec", id, source_codec, target.video_copy)),
        Some(name) => pick("videoCodec", name, target.video, |c| c.name)?,
        None if holdable && !request.reencode_video => return copy_route(input, index, output, id),
        None => target.video[0],
    };
    let stream = input.context().stream(index).expect("a listed stream");
    let frame_rate = [stream.avg_frame_rate(), stream.rate()].into_iter().find(|r| crate::container::rate(*r).is_some());
    let (decoder, time_base) = open_decoder(input, index, source)?;
    let video = decoder.video().map_err(|e| decode_error(source, "not a video stream", e))?;
    if video.format() == format::Pixel::None {
        return Err(Error::invalid_input(source, "the video stream's pixel format is unknown"));
    }
    let shape = SourceShape::Video { width: video.width(), height: video.height(), pixel: video.format(), time_base, aspect: video.aspect_ratio() };
    let rate = match request.fps {
        Some(fps) => Rational::new(fps as i32, 1),
        None => frame_rate.unwrap_or(Rational::new(25, 1)),
    };
    let filters = format!("{}fps={},{},format={}", request.trim(false), fps_arg(supported_rate(codec, rate)), request.scale(), pixel_format(codec));
    let quality = VideoQuality::from_options(ctx, codec)?;
    let lane = Lane::video(&shape, &filters, codec, &quality, output, id)?;
    // SAFETY: an empty frame, filled by the decoder.
    Ok(Route::Encode { decoder: Box::new(video.0), frame: unsafe { frame::Frame::empty() }, lane: Box::new(lane), bad_packets: 0 })
}

fn audio_route(input: &mut MediaInput, index: usize, source: &'static str, target: &Container, request: &Request, output: &mut MediaOutput) -> Result<Route> {
    let id = target.id;
    let parameters = input.context().stream(index).expect("a listed stream").parameters();
    let source_codec = parameters.id().name();
    // SAFETY: a plain field of the stream's parameters.
    let rate = unsafe { (*parameters.as_ptr()).sample_rate };
    // MPEG-2.5 audio (MP3 under 16 kHz) is not standard in ISO media: re-encoded.
    let holdable = target.audio_copy.contains(&source_codec) && !(source_codec == "mp3" && rate < 16_000);
    let codec: &AudioCodec = match request.audio_codec {
        Some("copy") if holdable && !request.reencode_audio => return copy_route(input, index, output, id),
        Some("copy") => return Err(not_holdable("audioCodec", id, source_codec, target.audio_copy)),
        Some(name) => pick("audioCodec", name, target.audio, |c| c.name)?,
        None if holdable && !request.reencode_audio => return copy_route(input, index, output, id),
        None => target.audio[0],
    };
    let (decoder, time_base) = open_decoder(input, index, source)?;
    let audio = decoder.audio().map_err(|e| decode_error(source, "not an audio stream", e))?;
    let channels = audio.channels().max(1);
    let layout = match audio.channel_layout().bits() {
        0 => fileconv_ffmpeg::samples::default_layout(channels),
        bits => bits,
    };
    if audio.rate() == 0 || audio.format() == format::Sample::None {
        return Err(Error::invalid_input(source, "the audio stream's rate or sample format is unknown"));
    }
    let shape = SourceShape::Audio { rate: audio.rate(), sample: audio.format(), layout, time_base };
    let lane = Lane::audio(&shape, &request.trim(true), codec, request.audio_bitrate, channels, audio.rate(), output, id)?;
    // SAFETY: an empty frame, filled by the decoder.
    Ok(Route::Encode { decoder: Box::new(audio.0), frame: unsafe { frame::Frame::empty() }, lane: Box::new(lane), bad_packets: 0 })
}

/// `rate`, or the nearest the encoder supports when it lists them (MPEG-2: 23.976 to 60).
pub fn supported_rate(codec: &VideoCodec, rate: Rational) -> Rational {
    let listed = fileconv_ffmpeg::ffmpeg::encoder::find_by_name(codec.encoder).and_then(|c| c.video().ok()).and_then(|v| v.rates());
    match listed {
        Some(rates) => rates.min_by(|a, b| (f64::from(*a) - f64::from(rate)).abs().total_cmp(&(f64::from(*b) - f64::from(rate)).abs())).unwrap_or(rate),
        None => rate,
    }
}

pub fn fps_arg(rate: Rational) -> String {
    format!("{}/{}", rate.numerator(), rate.denominator())
}

/// yuv420p, which every player decodes, when the encoder takes it; else its first format.
pub fn pixel_format(codec: &VideoCodec) -> String {
    let formats: Vec<format::Pixel> = fileconv_ffmpeg::ffmpeg::encoder::find_by_name(codec.encoder)
        .and_then(|c| c.video().ok())
        .and_then(|v| v.formats())
        .map(Iterator::collect)
        .unwrap_or_default();
    match formats.first() {
        Some(first) if !formats.contains(&format::Pixel::YUV420P) => first.descriptor().map_or("yuv420p", |d| d.name()).to_string(),
        _ => "yuv420p".to_string(),
    }
}

/// Routes the source's subtitle streams: copied, re-encoded as text, or
/// left out with a note saying why.
fn subtitle_routes(input: &mut MediaInput, routes: &mut [Option<Route>], target: &Container, request: &Request, output: &mut MediaOutput, ctx: &Context<'_>) -> Result<()> {
    let subtitles: Vec<(usize, codec::Id)> =
        input.context().streams().filter(|s| s.parameters().medium() == media::Type::Subtitle).map(|s| (s.index(), s.parameters().id())).collect();
    let trims = request.start.is_some() || request.duration.is_some();
    let mut left: Vec<(&str, &str)> = Vec::new();
    for (index, codec) in subtitles {
        let route = match plan(codec, target, trims) {
            Carry::Copy => copy_route(input, index, output, target.id)?,
            Carry::Encode(encoder) => Route::Subtitle(Box::new(SubtitleLane::new(input, index, encoder, output, target.id)?)),
            Carry::Leave(why) => {
                left.push((codec.name(), why));
                continue;
            }
        };
        if let Route::Copy { stream: out, .. } = &route {
            keep_language(input, index, output, *out);
        } else if let Route::Subtitle(lane) = &route {
            keep_language(input, index, output, lane.stream);
        }
        routes[index] = Some(route);
    }
    if let Some((_, why)) = left.first() {
        let codecs: Vec<&str> = left.iter().map(|(codec, _)| *codec).collect();
        ctx.note(format!("the source's {} subtitle stream(s) ({}) are not carried into {}: {why}; convert the video to srt, vtt or ass to keep them", left.len(), codecs.join(", "), target.id));
    }
    Ok(())
}

/// Muxers that write chapters a reader finds again (MP4's chapter track and
/// `chpl`, Matroska's and WebM's Chapters; FFmpeg's Ogg muxer writes
/// comments its own demuxer does not read back as chapters).
fn holds_chapters(muxer: &str) -> bool {
    matches!(muxer, "mp4" | "mov" | "ipod" | "3gp" | "matroska" | "webm")
}

/// The source's chapters, titles kept, into a target that holds them, in
/// milliseconds; for a cut (`start`, `duration`) shifted to its start and
/// clipped to it, those outside it dropped. Noted where the target holds none.
///
/// # Errors
/// [`Error::Backend`] when FFmpeg cannot add a chapter.
fn carry_chapters(input: &mut MediaInput, output: &mut MediaOutput, target: &Container, request: &Request, ctx: &Context<'_>) -> Result<()> {
    let chapters = fileconv_ffmpeg::chapters(input.context());
    if !holds_chapters(target.muxer) {
        fileconv_core::chapters_left_out(chapters.len(), target.id, ctx);
        return Ok(());
    }
    let from = request.start.unwrap_or(0.0);
    let to = request.duration.map_or(f64::INFINITY, |d| from + d);
    fileconv_ffmpeg::add_chapters(output.context(), &fileconv_core::cut_chapters(&chapters, from, to)).map_err(|e| error(target.id, "cannot add a chapter", e))
}

/// Says which of the source's audio tracks the output does not carry.
fn note_streams_left_out(input: &mut MediaInput, routes: &[Option<Route>], request: &Request, id: &str, ctx: &Context<'_>) {
    let audio = input.context().streams().filter(|s| s.parameters().medium() == media::Type::Audio && routes[s.index()].is_none() && !request.mute).count();
    if audio > 0 {
        ctx.note(format!("{audio} further audio track(s) of the source are not carried into {id}: only the main one is"));
    }
}
