//! One encoding loop for every FFmpeg-encoded target: pull chunks, convert
//! them to the codec's sample format (and a rate and channel count it
//! supports), cut them into codec frames, encode, mux.

use std::io::Write;

use fileconv_core::{Context, Error, OptionSpec, Result, Tags, Value};
use fileconv_ffmpeg::ffmpeg::{codec, encoder, format::Sample, Dictionary, Packet, Rational};
use fileconv_ffmpeg::samples::{default_layout, Converter, PcmFormat, SampleFifo};
use fileconv_ffmpeg::{dict_set, error, MediaOutput};

use super::{bit_depth, progress};
use crate::options::QUALITY;

/// How a target carries a cover picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cover {
    None,
    /// An attached-picture stream (ID3v2 APIC in mp3 and aiff, FLAC PICTURE, MP4 `covr`).
    Stream,
    /// A `METADATA_BLOCK_PICTURE` Vorbis comment (Ogg Vorbis, Opus).
    VorbisComment,
}

/// An audio format FFmpeg writes.
#[derive(Debug)]
pub struct Target {
    pub format: &'static str,
    /// FFmpeg muxer short name.
    pub muxer: &'static str,
    /// FFmpeg encoder name for a bit depth (the depth is 0 for lossy targets).
    pub codec: fn(u16) -> &'static str,
    /// Depths a lossless target offers; empty for lossy targets.
    pub depths: &'static [u16],
    /// Sample rates the codec takes; empty when any is fine.
    pub rates: &'static [u32],
    pub max_channels: u16,
    pub cover: Cover,
    /// Whether the muxer writes chapters that readers find again.
    pub chapters: bool,
    /// The target's `bitrate` and `bitDepth` specs, as registered.
    pub options: &'static [OptionSpec],
    /// Maps `quality` (0-10) to FFmpeg's `global_quality` scale, when the codec has VBR.
    pub quality: Option<fn(i64) -> f64>,
    /// The quality used when neither `quality` nor `bitrate` is given and
    /// `bitrate` has no default (Vorbis: VBR suits every rate and channel count).
    pub default_quality: Option<i64>,
    pub muxer_options: &'static [(&'static str, &'static str)],
    /// Encode long inputs as independent segments on every core (see
    /// `segmented.rs`); only for codecs whose frames can be made independent.
    pub segmented: bool,
}

impl Target {
    /// The values most targets share; a codec file states what differs:
    /// `Target { format: ID, muxer: "adts", codec: |_| "aac", ..Target::DEFAULT }`.
    pub const DEFAULT: Target = Target {
        format: "",
        muxer: "",
        codec: |_| "",
        depths: &[],
        rates: &[],
        max_channels: 8,
        cover: Cover::None,
        chapters: false,
        options: &[],
        quality: None,
        default_quality: None,
        segmented: false,
        muxer_options: &[],
    };
}

/// Lambda units per quality step (FFmpeg's `FF_QP2LAMBDA`).
const QP2LAMBDA: f64 = 118.0;
/// Frames per chunk for codecs that take any frame size (PCM).
const PCM_FRAME: usize = 4096;

/// Encodes `value` as `target` into `sink`.
///
/// # Errors
/// [`Error::InvalidOption`] for bad options, [`Error::Backend`] when FFmpeg
/// fails, what the source fails with, [`Error::Cancelled`].
pub fn encode_ffmpeg(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, target: &Target) -> Result<()> {
    let audio = value.into_audio()?;
    let id = target.format;
    let mut output = MediaOutput::new(target.muxer, id, ctx.output_spool())?;
    let global_header = output.context().format().flags().contains(fileconv_ffmpeg::ffmpeg::format::Flags::GLOBAL_HEADER);
    let settings = Settings::new(&audio, target, ctx, global_header)?;
    let segmented = target.segmented && super::segmented::worth_it(&audio);
    // The encoder whose parameters describe the stream; with segments, each
    // worker opens its own with the same settings.
    let mut encoder = settings.open(if segmented { super::segmented::ENCODER_OPTIONS } else { &[] }, ctx)?;
    {
        let mut stream = output.context().add_stream(settings.codec).map_err(|e| error(id, "cannot add the stream", e))?;
        stream.set_parameters(&encoder);
        stream.set_time_base(Rational::new(1, settings.rate as i32));
    }
    if target.cover == Cover::None {
        super::cover_left_out(&audio.tags, id, ctx);
    }
    let cover_index = add_cover(&mut output, &audio.tags, target.cover, ctx)?;
    write_tags(&mut output, &audio.tags, target.cover);
    if target.chapters {
        fileconv_ffmpeg::add_chapters(output.context(), &audio.tags.chapters).map_err(|e| error(id, "cannot add a chapter", e))?;
    } else {
        fileconv_core::chapters_left_out(audio.tags.chapters.len(), id, ctx);
    }
    let mut options = Dictionary::new();
    for (k, v) in target.muxer_options {
        options.set(k, v);
    }
    output.context().write_header_with(options).map_err(|e| error(id, "cannot write the header", e))?;
    if let (Some(index), Some(cover)) = (cover_index, &audio.tags.cover) {
        let mut packet = Packet::copy(&cover.data);
        packet.set_stream(index);
        packet.set_flags(codec::packet::Flags::KEY);
        output.write(&mut packet)?;
    }
    let stream_time_base = output.context().stream(0).map(|s| s.time_base()).unwrap_or(Rational::new(1, settings.rate as i32));
    let mut mux = |mut packet: Packet| -> Result<()> {
        packet.set_stream(0);
        packet.rescale_ts(Rational::new(1, settings.rate as i32), stream_time_base);
        output.write(&mut packet)
    };
    if segmented {
        super::segmented::encode(audio, &settings, ctx, &mut mux)?;
    } else {
        encode_stream(audio, &settings, &mut encoder, ctx, &mut mux)?;
    }
    drop(mux);
    output.finish(sink)?;
    Ok(())
}

/// Everything needed to open identical encoders for one output.
pub struct Settings {
    pub format: &'static str,
    pub codec: fileconv_ffmpeg::ffmpeg::Codec,
    codec_name: &'static str,
    pub rate: u32,
    pub channels: u16,
    pub sample: Sample,
    depth: u16,
    bitrate: Option<u64>,
    /// FFmpeg `global_quality` for VBR.
    global_quality: Option<i32>,
    global_header: bool,
}

impl Settings {
    fn new(audio: &fileconv_core::Audio, target: &Target, ctx: &Context<'_>, global_header: bool) -> Result<Self> {
        let id = target.format;
        let depth = match target.options.iter().find(|o| o.name == "bitDepth") {
            Some(spec) => bit_depth(spec, ctx.options, audio, target.depths)?,
            None => 0,
        };
        let codec_name = (target.codec)(depth);
        let codec = encoder::find_by_name(codec_name)
            .ok_or_else(|| Error::backend(id, format!("FFmpeg was built without the {codec_name} encoder")))?;
        let bitrate = match target.options.iter().find(|o| o.name == "bitrate") {
            Some(spec) => spec.bitrate(ctx.options)?,
            None => None,
        };
        let quality = QUALITY.integer_opt(ctx.options)?.or(if bitrate.is_none() { target.default_quality } else { None });
        let global_quality = match (target.quality, quality) {
            (Some(scale), Some(q)) => Some((scale(q) * QP2LAMBDA).round() as i32),
            _ => None,
        };
        if audio.spec.channels > target.max_channels {
            ctx.note(format!(
                "the {} channels were mixed down to {}: {} holds at most {}",
                audio.spec.channels,
                target.max_channels,
                id.to_uppercase(),
                target.max_channels
            ));
        }
        Ok(Settings {
            format: id,
            codec,
            codec_name,
            rate: supported_rate(audio.spec.sample_rate, target.rates),
            channels: audio.spec.channels.min(target.max_channels),
            sample: pick_sample_format(&codec, depth),
            depth,
            bitrate,
            global_quality,
            global_header,
        })
    }

    /// The format chunks must be in for [`Settings::open`]'s encoder.
    pub fn pcm(&self) -> PcmFormat {
        PcmFormat { sample: self.sample, channels: self.channels, rate: self.rate }
    }

    /// Opens an encoder with these settings and the codec's private `options`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the codec refuses an explicit bitrate,
    /// [`Error::Backend`] otherwise.
    pub fn open(&self, options: &[(&str, &str)], ctx: &Context<'_>) -> Result<encoder::Audio> {
        let id = self.format;
        let mut setup = codec::context::Context::new_with_codec(self.codec)
            .encoder()
            .audio()
            .map_err(|e| error(id, "cannot set up the encoder", e))?;
        setup.set_rate(self.rate as i32);
        setup.set_channel_layout(fileconv_ffmpeg::ffmpeg::ChannelLayout::from_bits_truncate(default_layout(self.channels)));
        setup.set_channels(i32::from(self.channels));
        setup.set_format(self.sample);
        // SAFETY: plain fields of the not-yet-opened codec context.
        unsafe {
            let raw = setup.as_mut_ptr();
            (*raw).time_base = Rational::new(1, self.rate as i32).into();
            if self.depth > 0 {
                (*raw).bits_per_raw_sample = i32::from(self.depth);
            }
            if self.global_header {
                (*raw).flags |= fileconv_ffmpeg::ffmpeg::ffi::AV_CODEC_FLAG_GLOBAL_HEADER as i32;
            }
            if let Some(q) = self.global_quality {
                (*raw).flags |= fileconv_ffmpeg::ffmpeg::ffi::AV_CODEC_FLAG_QSCALE as i32;
                (*raw).global_quality = q;
            }
        }
        if let (None, Some(bits)) = (self.global_quality, self.bitrate) {
            setup.set_bit_rate(bits as usize);
        }
        let mut dict = Dictionary::new();
        for (k, v) in options {
            dict.set(k, v);
        }
        setup.open_as_with(self.codec, dict).map_err(|e| match e {
            // The codec refuses this bitrate at this rate and channel count.
            fileconv_ffmpeg::ffmpeg::Error::Other { errno: fileconv_ffmpeg::EINVAL } if ctx.options.get("bitrate").is_some() => {
                let log = fileconv_ffmpeg::take_log().join("; ");
                Error::InvalidOption {
                    name: "bitrate".to_string(),
                    reason: format!("{} cannot encode {} channel(s) at {} Hz at this bitrate ({log})", self.codec_name, self.channels, self.rate),
                    valid: "a lower bitrate, or quality".to_string(),
                }
            }
            e => error(id, "cannot open the encoder", e),
        })
    }
}

/// Encodes the whole stream with one encoder, handing each packet to `mux`.
fn encode_stream(
    audio: fileconv_core::Audio,
    settings: &Settings,
    encoder: &mut encoder::Audio,
    ctx: &Context<'_>,
    mux: &mut dyn FnMut(Packet) -> Result<()>,
) -> Result<()> {
    let id = settings.format;
    let from = PcmFormat::interleaved_f32(audio.spec.channels, audio.spec.sample_rate);
    let to = settings.pcm();
    let mut converter = Converter::new(from, to, id)?;
    let mut fifo = SampleFifo::new(to)?;
    let frame_size = match encoder.frame_size() as usize {
        0 => PCM_FRAME,
        n => n,
    };
    let total = audio.total_frames;
    let mut source = fileconv_core::read_ahead(audio.source, super::READ_AHEAD);
    let mut pts: i64 = 0;
    let mut read_frames: u64 = 0;
    let mut finished = false;
    while !finished {
        ctx.checkpoint()?;
        let (mut planes, frames) = match source.next_chunk()? {
            Some(chunk) => {
                read_frames += (chunk.len() / usize::from(from.channels.max(1))) as u64;
                converter.convert_interleaved(&chunk)?
            }
            None => {
                finished = true;
                converter.flush()?
            }
        };
        fifo.push(&mut planes, frames)?;
        while fifo.len() >= frame_size || (finished && !fifo.is_empty()) {
            let mut frame = fifo.pop(frame_size);
            frame.set_pts(Some(pts));
            pts += frame.samples() as i64;
            encoder.send_frame(&frame).map_err(|e| error(id, "cannot encode", e))?;
            drain(encoder, id, mux)?;
        }
        progress(ctx, read_frames, total);
    }
    if pts == 0 {
        // A stream of no frames is no file any decoder opens.
        return Err(Error::cannot_keep(id, "the audio has no samples"));
    }
    encoder.send_eof().map_err(|e| error(id, "cannot finish encoding", e))?;
    drain(encoder, id, mux)
}

/// Hands every packet the encoder has ready to `mux`.
pub fn drain(encoder: &mut encoder::Audio, id: &str, mux: &mut dyn FnMut(Packet) -> Result<()>) -> Result<()> {
    loop {
        let mut packet = Packet::empty();
        match encoder.receive_packet(&mut packet) {
            Ok(()) => mux(packet)?,
            Err(fileconv_ffmpeg::ffmpeg::Error::Eof) => return Ok(()),
            Err(fileconv_ffmpeg::ffmpeg::Error::Other { errno }) if errno == fileconv_ffmpeg::EAGAIN => return Ok(()),
            Err(e) => return Err(error(id, "cannot encode", e)),
        }
    }
}

/// The rate itself when the codec takes it (or any), else the next higher
/// supported rate, else the highest.
fn supported_rate(rate: u32, rates: &[u32]) -> u32 {
    if rates.is_empty() || rates.contains(&rate) {
        return rate;
    }
    rates.iter().copied().filter(|&r| r >= rate).min().unwrap_or_else(|| rates.iter().copied().max().unwrap_or(rate))
}

/// A sample format the codec takes: float for lossy codecs, 16- or 32-bit
/// integers for lossless ones by depth.
fn pick_sample_format(codec: &fileconv_ffmpeg::ffmpeg::Codec, depth: u16) -> Sample {
    use fileconv_ffmpeg::ffmpeg::format::sample::Type::{Packed, Planar};
    let offered: Vec<Sample> = codec.audio().ok().and_then(|a| a.formats()).map(|f| f.collect()).unwrap_or_default();
    let preference: &[Sample] = match depth {
        0 => &[Sample::F32(Planar), Sample::F32(Packed), Sample::I16(Planar), Sample::I16(Packed), Sample::I32(Planar), Sample::I32(Packed)],
        1..=16 => &[Sample::I16(Packed), Sample::I16(Planar), Sample::I32(Packed), Sample::I32(Planar), Sample::F32(Packed)],
        _ => &[Sample::I32(Packed), Sample::I32(Planar), Sample::F32(Packed), Sample::I16(Packed)],
    };
    preference.iter().copied().find(|s| offered.contains(s)).or(offered.first().copied()).unwrap_or(Sample::F32(Planar))
}

fn write_tags(output: &mut MediaOutput, tags: &Tags, cover: Cover) {
    let mut dict = Dictionary::new();
    for (key, value) in tags.text_fields() {
        if let Some(v) = value {
            dict.set(key, v);
        }
    }
    if let (Cover::VorbisComment, Some(picture)) = (cover, &tags.cover) {
        dict.set("METADATA_BLOCK_PICTURE", &crate::tags::flac_picture_base64(picture));
    }
    output.context().set_metadata(dict);
}

/// Adds the attached-picture stream when the target holds one; returns its index.
fn add_cover(output: &mut MediaOutput, tags: &Tags, cover: Cover, ctx: &Context<'_>) -> Result<Option<usize>> {
    let Some(picture) = tags.cover.as_ref().filter(|_| cover == Cover::Stream) else { return Ok(None) };
    let id = match picture.mime.as_str() {
        "image/png" => codec::Id::PNG,
        "image/jpeg" | "image/jpg" => codec::Id::MJPEG,
        _ => return Ok(None),
    };
    let Some((width, height)) = crate::tags::picture_size(&picture.data) else {
        ctx.note("the cover picture is damaged (its size cannot be read); it is left out");
        return Ok(None);
    };
    let mut stream = output.context().add_stream(encoder::find(codec::Id::None)).map_err(|e| error("cover", "cannot add the cover", e))?;
    // SAFETY: plain fields of a stream the muxer has not started.
    unsafe {
        let raw = stream.as_mut_ptr();
        let par = (*raw).codecpar;
        (*par).codec_type = fileconv_ffmpeg::ffmpeg::ffi::AVMediaType::AVMEDIA_TYPE_VIDEO;
        (*par).codec_id = id.into();
        (*par).width = width as i32;
        (*par).height = height as i32;
        (*raw).disposition |= fileconv_ffmpeg::ffmpeg::ffi::AV_DISPOSITION_ATTACHED_PIC as i32;
        dict_set(&mut (*raw).metadata, "comment", "Cover (front)");
    }
    Ok(Some(stream.index()))
}
