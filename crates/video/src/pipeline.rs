//! The encoding half of every video pipeline: a filter graph (trim, fps,
//! scale, pixel or sample format, palette) feeding an encoder feeding a
//! stream of the muxer. The same [`Lane`] serves transcoding, animation and
//! images made into videos; only what feeds it differs.

use fileconv_core::{Context, Error, Result};
use fileconv_ffmpeg::ffmpeg::{codec, encoder, format, frame, Dictionary, Packet, Rational};
use fileconv_ffmpeg::filters::FilterGraph;
use fileconv_ffmpeg::ffmpeg_sys as sys;
use fileconv_ffmpeg::{error, MediaOutput, EAGAIN};

use crate::codecs::{AudioCodec, RateControl, VideoCodec};
use crate::options::{CRF, VIDEO_BITRATE};

/// FFmpeg's lambda units per quantiser step (`FF_QP2LAMBDA`).
const QP2LAMBDA: f64 = 118.0;

/// What a filter graph's input receives.
#[derive(Clone, Debug)]
pub enum SourceShape {
    Video { width: u32, height: u32, pixel: format::Pixel, time_base: Rational, aspect: Rational },
    Audio { rate: u32, sample: format::Sample, layout: u64, time_base: Rational },
}

impl SourceShape {
    fn buffer_args(&self) -> (&'static str, String) {
        match self {
            SourceShape::Video { width, height, pixel, time_base, aspect } => {
                let aspect = if aspect.numerator() > 0 && aspect.denominator() > 0 { *aspect } else { Rational::new(1, 1) };
                let pixel: sys::AVPixelFormat = (*pixel).into();
                (
                    "buffer",
                    format!(
                        "video_size={width}x{height}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}",
                        pixel as i32,
                        time_base.numerator(),
                        time_base.denominator(),
                        aspect.numerator(),
                        aspect.denominator()
                    ),
                )
            }
            SourceShape::Audio { rate, sample, layout, time_base } => (
                "abuffer",
                format!(
                    "time_base={}/{}:sample_rate={rate}:sample_fmt={}:channel_layout=0x{layout:x}",
                    time_base.numerator(),
                    time_base.denominator(),
                    sample.name()
                ),
            ),
        }
    }
}

/// How the video encoder trades size for quality, from the options.
#[derive(Clone, Debug)]
pub struct VideoQuality {
    pub crf: Option<u32>,
    pub bitrate: Option<u64>,
    pub preset: String,
}

impl VideoQuality {
    /// # Errors
    /// [`Error::InvalidOption`] for bad values, or `crf` on a codec without it.
    pub fn from_options(ctx: &Context<'_>, codec: &VideoCodec) -> Result<Self> {
        let crf = CRF.integer_opt(ctx.options)?.map(|v| v as u32);
        if let (Some(value), RateControl::Crf { max, .. }) = (crf, codec.rate_control) {
            if value > max {
                return Err(Error::InvalidOption {
                    name: "crf".into(),
                    reason: format!("{value} is beyond {}'s scale", codec.name),
                    valid: format!("an integer from 0 to {max}"),
                });
            }
        }
        if crf.is_some() && !matches!(codec.rate_control, RateControl::Crf { .. }) {
            return Err(Error::InvalidOption {
                name: "crf".into(),
                reason: format!("{} has no constant-rate-factor mode", codec.name),
                valid: "videoBitrate instead, or videoCodec h264, hevc or vp9".into(),
            });
        }
        Ok(VideoQuality { crf, bitrate: VIDEO_BITRATE.bitrate(ctx.options)?, preset: crate::codecs::preset(ctx)? })
    }
}

/// Either kind of opened encoder, reduced to what the lane needs.
enum Opened {
    Video(encoder::video::Encoder),
    Audio(encoder::audio::Encoder),
}

impl Opened {
    fn base(&mut self) -> &mut encoder::Encoder {
        match self {
            Opened::Video(e) => &mut e.0 .0,
            Opened::Audio(e) => &mut e.0 .0,
        }
    }
}

/// Filter graph, encoder and output stream for one re-encoded stream.
pub struct Lane {
    graph: FilterGraph,
    encoder: Opened,
    /// The output stream's index.
    pub stream: usize,
    encoder_time_base: Rational,
    stream_time_base: Rational,
    format: &'static str,
    filtered: frame::Frame,
    finished: bool,
    /// Where the last frame pushed ends (pts plus duration, in the source's
    /// time base): the filters' end at flush, so `fps` keeps the last frames.
    end_pts: Option<i64>,
    last_pts: Option<i64>,
    /// A video frame's duration in the encoder's time base; 0 for audio.
    frame_duration: i64,
    /// An output frame's duration in the source's time base, for a last (or
    /// only) frame whose duration nothing says; 0 for audio.
    source_step: i64,
    /// Packets handed to the muxer: none means the stream was lost.
    pub packets: u64,
}

// SAFETY: the graph and encoder are owned by the lane and used from one thread at a time.
unsafe impl Send for Lane {}

impl Lane {
    /// A video lane: `filters` (FFmpeg filter syntax, ending in a `format=`
    /// the encoder takes) between the source and `codec`'s encoder, whose
    /// stream is added to `output`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the codec refuses the settings, [`Error::Backend`] otherwise.
    pub fn video(
        shape: &SourceShape,
        filters: &str,
        codec: &VideoCodec,
        quality: &VideoQuality,
        output: &mut MediaOutput,
        format: &'static str,
    ) -> Result<Lane> {
        let graph = build_graph(shape, filters, "buffersink", format)?;
        let fileconv_ffmpeg::filters::VideoSinkShape { width, height, pixel, time_base, aspect, frame_rate } = graph.video_shape();
        let encoder_codec = find_encoder(codec.encoder, format)?;
        let mut context = codec::context::Context::new_with_codec(encoder_codec);
        auto_threads(&mut context);
        let mut setup = context.encoder().video().map_err(|e| error(format, "cannot set up the video encoder", e))?;
        setup.set_width(width as u32);
        setup.set_height(height as u32);
        // SAFETY: the sink reports a valid AVPixelFormat value.
        setup.set_format(format::Pixel::from(unsafe { std::mem::transmute::<i32, sys::AVPixelFormat>(pixel) }));
        setup.set_time_base(Rational::from(time_base));
        if frame_rate.num > 0 && frame_rate.den > 0 {
            setup.set_frame_rate(Some(Rational::from(frame_rate)));
        }
        if aspect.num > 0 && aspect.den > 0 {
            setup.set_aspect_ratio(Rational::from(aspect));
        }
        if output.context().format().flags().contains(format::Flags::GLOBAL_HEADER) {
            setup.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut options = Dictionary::new();
        for (key, value) in (codec.preset)(&quality.preset) {
            options.set(key, &value);
        }
        match (quality.bitrate, codec.rate_control) {
            (Some(bitrate), _) => setup.set_bit_rate(bitrate as usize),
            (None, RateControl::Crf { default, .. }) => {
                options.set("crf", &quality.crf.unwrap_or(default).to_string());
                // libvpx: constant quality needs the bitrate cap off.
                options.set("b", "0");
            }
            (None, RateControl::Fixed) => {}
            (None, RateControl::Quantiser(q)) => {
                // SAFETY: plain fields of the not-yet-opened codec context.
                unsafe {
                    let raw = setup.as_mut_ptr();
                    (*raw).flags |= sys::AV_CODEC_FLAG_QSCALE as i32;
                    (*raw).global_quality = (q * QP2LAMBDA).round() as i32;
                }
            }
        }
        let encoder = setup.open_with(options).map_err(|e| refused(format, "videoCodec", codec.name, e))?;
        let time_base = encoder.time_base();
        let stream = add_stream(output, encoder_codec, &encoder, time_base, format)?;
        let mut lane = Lane::new(graph, Opened::Video(encoder), stream, time_base, format);
        // One frame in the encoder's time base: the muxer ends the track at
        // the last packet's pts plus its duration, and encoders leave it 0.
        if frame_rate.num > 0 && frame_rate.den > 0 {
            let frame = sys::AVRational { num: frame_rate.den, den: frame_rate.num };
            // SAFETY: a pure arithmetic helper.
            lane.frame_duration = unsafe { sys::av_rescale_q(1, frame, time_base.into()) };
            if let SourceShape::Video { time_base: source, .. } = shape {
                // SAFETY: as above.
                lane.source_step = unsafe { sys::av_rescale_q(1, frame, (*source).into()) };
            }
        }
        Ok(lane)
    }

    /// An audio lane: resampled and remixed to what `codec` takes (its nearest
    /// rate to `rate`, at most `channels`, in frames of the encoder's size).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the codec refuses the bitrate, [`Error::Backend`] otherwise.
    #[allow(clippy::too_many_arguments)]
    pub fn audio(
        shape: &SourceShape,
        trim: &str,
        codec: &AudioCodec,
        bitrate: Option<u64>,
        channels: u16,
        rate: u32,
        output: &mut MediaOutput,
        format: &'static str,
    ) -> Result<Lane> {
        let encoder_codec = find_encoder(codec.encoder, format)?;
        let audio_codec = encoder_codec.audio().map_err(|e| error(format, "not an audio encoder", e))?;
        let rate = match audio_codec.rates() {
            Some(rates) => rates.min_by_key(|r| (i64::from(*r) - i64::from(rate)).abs()).map_or(rate, |r| r as u32),
            None => rate,
        };
        let sample = audio_codec
            .formats()
            .and_then(|mut f| f.next())
            .ok_or_else(|| Error::backend(format, format!("{} lists no sample format", codec.encoder)))?;
        let channels = channels.clamp(1, codec.max_channels);
        let layout = fileconv_ffmpeg::samples::default_layout(channels);
        let filters = format!(
            "{trim}aresample={rate},aformat=sample_fmts={}:sample_rates={rate}:channel_layouts=0x{layout:x}",
            sample.name()
        );
        let graph = build_graph(shape, &filters, "abuffersink", format)?;
        let mut context = codec::context::Context::new_with_codec(encoder_codec);
        auto_threads(&mut context);
        let mut setup = context.encoder().audio().map_err(|e| error(format, "cannot set up the audio encoder", e))?;
        setup.set_rate(rate as i32);
        setup.set_format(sample);
        setup.set_channel_layout(fileconv_ffmpeg::ffmpeg::ChannelLayout::from_bits_truncate(layout));
        setup.set_channels(i32::from(channels));
        setup.set_time_base(Rational::new(1, rate as i32));
        setup.set_bit_rate(bitrate.unwrap_or(codec.bitrate) as usize);
        if output.context().format().flags().contains(format::Flags::GLOBAL_HEADER) {
            setup.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let encoder = setup.open_with(Dictionary::new()).map_err(|e| refused(format, "audioCodec", codec.name, e))?;
        let time_base = encoder.time_base();
        let stream = add_stream(output, encoder_codec, &encoder, time_base, format)?;
        let mut lane = Lane::new(graph, Opened::Audio(encoder), stream, time_base, format);
        let frame_size = lane_frame_size(&mut lane);
        if frame_size > 0 {
            lane.graph.set_frame_size(frame_size);
        }
        Ok(lane)
    }

    fn new(graph: FilterGraph, encoder: Opened, stream: usize, time_base: Rational, format: &'static str) -> Lane {
        Lane {
            graph,
            encoder,
            stream,
            encoder_time_base: time_base,
            stream_time_base: time_base,
            format,
            // SAFETY: an empty frame, filled by the sink before use.
            filtered: unsafe { frame::Frame::empty() },
            finished: false,
            end_pts: None,
            last_pts: None,
            frame_duration: 0,
            source_step: 0,
            packets: 0,
        }
    }

    /// Reads the time base the muxer chose for this lane's stream; call after the header is written.
    pub fn header_written(&mut self, output: &mut MediaOutput) {
        if let Some(stream) = output.context().stream(self.stream) {
            self.stream_time_base = stream.time_base();
        }
    }

    /// True once the filter graph has ended (a trim reached its end).
    pub fn is_video(&self) -> bool {
        matches!(self.encoder, Opened::Video(_))
    }

    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Filters, encodes and muxes one source frame (its pts in the source's time base).
    ///
    /// # Errors
    /// [`Error::Backend`] when a filter, the encoder or the muxer fails.
    pub fn push(&mut self, frame: &frame::Frame, output: &mut MediaOutput) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        // SAFETY: plain fields of a decoded frame.
        let duration = unsafe { (*frame.as_ptr()).pkt_duration };
        if let Some(pts) = frame.pts() {
            // Without a duration (MJPEG in QuickTime), the step from the
            // frame before stands for it.
            let step = if duration > 0 {
                Some(duration)
            } else {
                self.last_pts.map(|last| pts - last).filter(|d| *d > 0).or((self.source_step > 0).then_some(self.source_step))
            };
            self.end_pts = step.map(|d| pts + d);
            self.last_pts = Some(pts);
        }
        self.graph.push(frame).map_err(|e| error(self.format, "cannot filter a frame", e))?;
        self.drain_graph(output)
    }

    /// Ends the stream: flushes the filters and the encoder into the muxer.
    /// With `end` (a pts in the source's time base), the stream lasts until
    /// then: the last frame is held, as for a still image made into a video.
    ///
    /// # Errors
    /// As for [`Lane::push`].
    pub fn finish(&mut self, output: &mut MediaOutput, end: Option<i64>) -> Result<()> {
        if !self.finished {
            self.graph.close(end.or(self.end_pts)).map_err(|e| error(self.format, "cannot flush the filters", e))?;
            self.drain_graph(output)?;
        }
        self.finished = true;
        self.encoder.base().send_eof().map_err(|e| error(self.format, "cannot flush the encoder", e))?;
        self.drain_encoder(output)
    }

    fn drain_graph(&mut self, output: &mut MediaOutput) -> Result<()> {
        loop {
            match self.graph.pull(&mut self.filtered) {
                Ok(()) => {
                    // SAFETY: our own frame; let the encoder choose frame types.
                    unsafe { (*self.filtered.as_mut_ptr()).pict_type = sys::AVPictureType::AV_PICTURE_TYPE_NONE };
                    self.encoder.base().send_frame(&self.filtered).map_err(|e| error(self.format, "cannot encode a frame", e))?;
                    // SAFETY: releasing the buffers just sent.
                    unsafe { sys::av_frame_unref(self.filtered.as_mut_ptr()) };
                    self.drain_encoder(output)?;
                }
                Err(fileconv_ffmpeg::ffmpeg::Error::Eof) => {
                    self.finished = true;
                    return Ok(());
                }
                Err(fileconv_ffmpeg::ffmpeg::Error::Other { errno }) if errno == EAGAIN => return Ok(()),
                Err(e) => return Err(error(self.format, "cannot filter a frame", e)),
            }
        }
    }

    fn drain_encoder(&mut self, output: &mut MediaOutput) -> Result<()> {
        let mut packet = Packet::empty();
        loop {
            match self.encoder.base().receive_packet(&mut packet) {
                Ok(()) => {
                    packet.set_stream(self.stream);
                    if packet.duration() <= 0 && self.frame_duration > 0 {
                        packet.set_duration(self.frame_duration);
                    }
                    packet.rescale_ts(self.encoder_time_base, self.stream_time_base);
                    self.packets += 1;
                    output.write(&mut packet)?;
                }
                Err(fileconv_ffmpeg::ffmpeg::Error::Eof) => return Ok(()),
                Err(fileconv_ffmpeg::ffmpeg::Error::Other { errno }) if errno == EAGAIN => return Ok(()),
                Err(e) => return Err(error(self.format, "cannot encode", e)),
            }
        }
    }
}

fn lane_frame_size(lane: &mut Lane) -> u32 {
    match &lane.encoder {
        Opened::Audio(e) => {
            let variable = e.codec().is_some_and(|c| c.capabilities().contains(codec::capabilities::Capabilities::VARIABLE_FRAME_SIZE));
            if variable { 0 } else { e.frame_size() }
        }
        Opened::Video(_) => 0,
    }
}

fn find_encoder(name: &str, format: &'static str) -> Result<fileconv_ffmpeg::ffmpeg::Codec> {
    encoder::find_by_name(name).ok_or_else(|| Error::backend(format, format!("FFmpeg was built without the {name} encoder")))
}

/// The error for an encoder that would not open: the settings, as far as
/// FFmpeg says (EINVAL), else the backend.
fn refused(format: &'static str, option: &str, codec: &str, err: fileconv_ffmpeg::ffmpeg::Error) -> Error {
    match err {
        fileconv_ffmpeg::ffmpeg::Error::Other { errno } if errno == fileconv_ffmpeg::EINVAL => {
            let detail = fileconv_ffmpeg::take_log().join("; ");
            Error::InvalidOption {
                name: option.into(),
                reason: format!("{codec} refused these settings: {detail}"),
                valid: "settings within the codec's limits (size, frame rate, bitrate)".into(),
            }
        }
        e => error(format, "cannot open the encoder", e),
    }
}

fn add_stream<P: Into<codec::Parameters>>(
    output: &mut MediaOutput,
    codec: fileconv_ffmpeg::ffmpeg::Codec,
    encoder: P,
    time_base: Rational,
    format: &'static str,
) -> Result<usize> {
    let mut stream = output.context().add_stream(codec).map_err(|e| error(format, "cannot add a stream", e))?;
    stream.set_parameters(encoder);
    stream.set_time_base(time_base);
    Ok(stream.index())
}

fn build_graph(shape: &SourceShape, filters: &str, sink: &str, format: &'static str) -> Result<FilterGraph> {
    let (buffer, args) = shape.buffer_args();
    FilterGraph::new(buffer, &args, filters, sink, format)
}

/// Frame threads on every core (FFmpeg picks the count), as the ffmpeg CLI does.
pub fn auto_threads(context: &mut codec::context::Context) {
    context.set_threading(codec::threading::Config { kind: codec::threading::Type::Frame, count: 0, ..Default::default() });
}
