//! Decoding through FFmpeg's libraries, as a pull stream of interleaved `f32` chunks.

use fileconv_core::{Audio, AudioSource, AudioSpec, Context, Error, Input, Picture, Result, Samples, Tags, Value};
use fileconv_ffmpeg::ffmpeg::{codec, decoder, format::stream::Disposition, frame, media, Packet};
use fileconv_ffmpeg::samples::{append_interleaved_f32, f32_samples, Converter, PcmFormat};
use fileconv_ffmpeg::{decode_error, dict_entries, MediaInput};

use super::segmented::{segmentable, Segmented, MAX_SEGMENT_WORKERS, SEGMENT_PACKETS};

/// Corrupt packets in a row after which the stream is declared broken.
pub(super) const MAX_BAD_PACKETS: u32 = 64;

/// Decodes the best audio stream of `input` with FFmpeg, through `demuxer`
/// (FFmpeg's short name) or by probing when `None`.
///
/// # Errors
/// [`Error::InvalidInput`] when FFmpeg cannot read it or it has no audio.
pub fn decode_ffmpeg(input: Input<'_>, _ctx: &Context<'_>, format: &'static str, demuxer: Option<&str>) -> Result<Value> {
    decode_media_input(MediaInput::open(input.open()?, demuxer, format)?, format).map(Value::Audio)
}

/// Decodes the best audio stream of an open demuxer (the audio track of a video).
///
/// # Errors
/// [`Error::InvalidInput`] when it has no audio stream or its decoder cannot be set up.
pub fn decode_media_input(media: MediaInput, format: &'static str) -> Result<Audio> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_SEGMENT_WORKERS);
    decode_segmenting(media, format, (workers > 1).then_some((workers, SEGMENT_PACKETS)))
}

/// [`decode_media_input`], with MPEG audio decoded by `(workers, packets per
/// segment)` when given (see [`super::segmented`]).
pub(super) fn decode_segmenting(mut media: MediaInput, format: &'static str, segmenting: Option<(usize, usize)>) -> Result<Audio> {
    let mut tags = Tags::default();
    let ctx = media.context();
    // SAFETY: the context's own metadata dictionary.
    for (k, v) in unsafe { dict_entries((*ctx.as_ptr()).metadata) } {
        tags.set_by_key(&k, &v);
    }
    tags.chapters = fileconv_ffmpeg::chapters(ctx);
    let stream = ctx.streams().best(media::Type::Audio).ok_or_else(|| Error::invalid_input(format, "no audio stream"))?;
    let index = stream.index();
    // SAFETY: the stream's own metadata dictionary.
    for (k, v) in unsafe { dict_entries((*stream.as_ptr()).metadata) } {
        tags.set_by_key(&k, &v);
    }
    let time_base = f64::from(stream.time_base());
    let stream_duration = stream.duration();
    let parameters = stream.parameters();
    let context_duration = ctx.duration();
    tags.cover = cover(ctx);
    let decoder = codec::context::Context::from_parameters(parameters.clone())
        .and_then(|c| c.decoder().audio())
        .map_err(|e| decode_error(format, "cannot set up the decoder", e))?;
    // SAFETY: reading plain fields of the opened codec context.
    let bits = unsafe {
        let raw = decoder.as_ptr();
        let lossless = matches!(decoder.id(), codec::Id::FLAC | codec::Id::ALAC | codec::Id::WAVPACK | codec::Id::TTA)
            || format!("{:?}", decoder.id()).starts_with("PCM_");
        let b = if (*raw).bits_per_raw_sample > 0 { (*raw).bits_per_raw_sample } else { (*raw).bits_per_coded_sample };
        (lossless && b > 0).then_some(b.min(64) as u16)
    };
    let spec = AudioSpec { sample_rate: decoder.rate(), channels: decoder.channels(), bits_per_sample: bits };
    super::check_spec(&spec, format)?;
    let seconds = if stream_duration > 0 {
        stream_duration as f64 * time_base
    } else if context_duration > 0 {
        context_duration as f64 / 1e6
    } else {
        0.0
    };
    let total_frames = (seconds > 0.0).then(|| (seconds * f64::from(spec.sample_rate)).round() as u64);
    let converter = FrameConverter { spec, format, converter: None };
    let source: Box<dyn AudioSource> = if let Some((workers, packets)) = segmenting.filter(|_| segmentable(decoder.id())) {
        Box::new(Segmented::start(media, &parameters, index, &converter, workers, packets)?)
    } else {
        Box::new(Decoded { media, decoder, index, converter, frame: frame::Audio::empty(), flushed: false, corrupt: CorruptRun::default() })
    };
    Ok(Audio { spec, tags, total_frames, source })
}

fn cover(ctx: &fileconv_ffmpeg::ffmpeg::format::context::Input) -> Option<Picture> {
    let stream = ctx.streams().find(|s| s.disposition().contains(Disposition::ATTACHED_PIC))?;
    let mime = match stream.parameters().id() {
        codec::Id::PNG => "image/png",
        codec::Id::MJPEG => "image/jpeg",
        _ => return None,
    };
    // SAFETY: an attached-picture stream carries its picture in `attached_pic`.
    let data = unsafe {
        let packet = &(*stream.as_ptr()).attached_pic;
        if packet.data.is_null() || packet.size <= 0 {
            return None;
        }
        std::slice::from_raw_parts(packet.data, packet.size as usize).to_vec()
    };
    Some(Picture { mime: mime.to_string(), data })
}

struct Decoded {
    media: MediaInput,
    decoder: decoder::Audio,
    index: usize,
    converter: FrameConverter,
    frame: frame::Audio,
    flushed: bool,
    corrupt: CorruptRun,
}

/// Decoded frames to fileconv's interleaved `f32`.
pub(super) struct FrameConverter {
    spec: AudioSpec,
    format: &'static str,
    converter: Option<Converter>,
}

impl FrameConverter {
    pub(super) fn format(&self) -> &'static str {
        self.format
    }

    pub(super) fn channels(&self) -> u16 {
        self.spec.channels
    }

    /// A converter for the same stream, for another thread.
    pub(super) fn fresh(&self) -> FrameConverter {
        FrameConverter { spec: self.spec, format: self.format, converter: None }
    }

    /// Appends `frame`'s samples to `out`.
    pub(super) fn append(&mut self, frame: &frame::Audio, out: &mut Samples) -> Result<()> {
        if frame.channels() != self.spec.channels {
            return Err(Error::invalid_input(self.format, "the channel count changes mid-stream"));
        }
        if append_interleaved_f32(frame, out) {
            return Ok(());
        }
        let from = PcmFormat { sample: frame.format(), channels: self.spec.channels, rate: self.spec.sample_rate };
        if self.converter.as_ref().is_none_or(|c| c.input() != from) {
            let to = PcmFormat::interleaved_f32(self.spec.channels, self.spec.sample_rate);
            self.converter = Some(Converter::new(from, to, self.format)?);
        }
        let converter = self.converter.as_mut().expect("just set");
        let (planes, _) = converter.convert_frame(frame)?;
        out.extend(f32_samples(&planes));
        Ok(())
    }
}

/// Corrupt packets in a row: a few are skipped, a stream of them is broken.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CorruptRun {
    run: u32,
}

impl CorruptRun {
    /// Counts a packet the decoder refused as corrupt.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] past [`MAX_BAD_PACKETS`] in a row.
    pub(super) fn corrupt(&mut self, format: &str) -> Result<()> {
        self.run += 1;
        if self.run > MAX_BAD_PACKETS {
            return Err(Error::invalid_input(format, "too many corrupt packets in a row"));
        }
        Ok(())
    }

    pub(super) fn good(&mut self) {
        self.run = 0;
    }
}

impl AudioSource for Decoded {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        loop {
            match self.decoder.receive_frame(&mut self.frame) {
                Ok(()) => {
                    let mut chunk = Samples::new();
                    self.converter.append(&self.frame, &mut chunk)?;
                    if !chunk.is_empty() {
                        return Ok(Some(chunk));
                    }
                    continue;
                }
                Err(fileconv_ffmpeg::ffmpeg::Error::Eof) => return Ok(None),
                Err(fileconv_ffmpeg::ffmpeg::Error::Other { errno }) if errno == fileconv_ffmpeg::EAGAIN => {}
                // A corrupt packet (or a last one cut mid-sample) is skipped like one the decoder refused.
                Err(fileconv_ffmpeg::ffmpeg::Error::InvalidData) => self.corrupt.corrupt(self.converter.format)?,
                Err(e) => return Err(decode_error(self.converter.format, "cannot decode", e)),
            }
            if self.flushed {
                return Ok(None);
            }
            let mut packet = Packet::empty();
            match packet.read(self.media.context()) {
                Ok(()) => {
                    if packet.stream() != self.index {
                        continue;
                    }
                    match self.decoder.send_packet(&packet) {
                        Ok(()) => self.corrupt.good(),
                        Err(fileconv_ffmpeg::ffmpeg::Error::InvalidData) => self.corrupt.corrupt(self.converter.format)?,
                        Err(e) => return Err(decode_error(self.converter.format, "cannot decode", e)),
                    }
                }
                // The end of the file, or of what a truncated file holds.
                Err(_) => {
                    self.flushed = true;
                    let _ = self.decoder.send_eof();
                }
            }
        }
    }
}
