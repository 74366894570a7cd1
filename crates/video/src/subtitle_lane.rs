//! A video's subtitle streams carried into a video target: copied when the
//! target holds their codec, and text subtitles the target cannot hold as
//! they are re-encoded into the text codec it does hold (SubRip or ASS to
//! MP4's `mov_text`, `mov_text` to Matroska's ASS, anything to WebM's
//! WebVTT), as `ffmpeg -c:s mov_text` does. FFmpeg's text decoders all give
//! ASS events, which every text encoder takes; the stream's language comes
//! along.

use fileconv_core::Result;
use fileconv_ffmpeg::ffmpeg::{codec, decoder, encoder, Packet, Rational};
use fileconv_ffmpeg::{decode_error, error, ffmpeg_sys as sys, MediaInput, MediaOutput};

use crate::container::Container;
use crate::subtitles::Decoded;

/// What becomes of one subtitle stream of the source.
pub(crate) enum Carry {
    Copy,
    /// Re-encoded with this FFmpeg encoder.
    Encode(&'static str),
    /// Left out, for this reason.
    Leave(&'static str),
}

/// Decides for a stream of FFmpeg codec `codec` going into `target`; `trims`
/// when the video is cut (cues are not cut with it).
pub(crate) fn plan(codec: codec::Id, target: &Container, trims: bool) -> Carry {
    let name = codec.name();
    if trims {
        Carry::Leave("the video is cut, and subtitles are not cut with it")
    } else if target.subtitles.contains(&name) {
        Carry::Copy
    } else if !is_text(codec) {
        Carry::Leave("they are pictures of text, which the target cannot hold")
    } else {
        match target.subtitles.first() {
            Some(encoder) => Carry::Encode(encoder),
            None => Carry::Leave("the target holds no subtitles"),
        }
    }
}

fn is_text(codec: codec::Id) -> bool {
    // SAFETY: FFmpeg's static codec descriptor table; null for an unknown id.
    unsafe {
        let descriptor = sys::avcodec_descriptor_get(codec.into());
        !descriptor.is_null() && (*descriptor).props & sys::AV_CODEC_PROP_TEXT_SUB != 0
    }
}

/// Gives output stream `out` the language of source stream `index`, where it has one.
pub(crate) fn keep_language(input: &mut MediaInput, index: usize, output: &mut MediaOutput, out: usize) {
    let Some(language) = input.context().stream(index).and_then(|s| s.metadata().get("language").map(str::to_string)) else { return };
    if let Some(mut stream) = output.context().stream_mut(out) {
        let mut metadata = fileconv_ffmpeg::ffmpeg::Dictionary::new();
        metadata.set("language", &language);
        stream.set_metadata(metadata);
    }
}

/// A text subtitle stream decoded and encoded again, packet by packet.
pub(crate) struct SubtitleLane {
    decoder: decoder::Subtitle,
    encoder: encoder::subtitle::Encoder,
    /// The output stream.
    pub(crate) stream: usize,
    /// The source stream's time base and the output stream's.
    from: Rational,
    to: Rational,
    /// What one subtitle encodes into: 1 MB, as ffmpeg allows.
    buffer: Vec<u8>,
}

/// The encoders' time base: microseconds, as FFmpeg's own tools use.
const MICROSECONDS: Rational = Rational(1, 1_000_000);

impl SubtitleLane {
    /// Opens the decoder for source stream `index` and `encoder_name`, and adds the output stream.
    ///
    /// # Errors
    /// [`fileconv_core::Error::InvalidInput`] when the stream cannot be
    /// decoded; [`fileconv_core::Error::Backend`] when the encoder or the
    /// muxer refuses it.
    pub(crate) fn new(input: &mut MediaInput, index: usize, encoder_name: &'static str, output: &mut MediaOutput, id: &'static str) -> Result<Self> {
        let stream = input.context().stream(index).expect("a listed stream");
        let from = stream.time_base();
        let context = codec::context::Context::from_parameters(stream.parameters()).map_err(|e| decode_error(id, "cannot read the subtitle stream's parameters", e))?;
        let decoder = context.decoder().subtitle().map_err(|e| decode_error(id, "cannot open the subtitle decoder", e))?;
        let codec = encoder::find_by_name(encoder_name).ok_or_else(|| fileconv_core::Error::backend(id, format!("FFmpeg was built without the {encoder_name} encoder")))?;
        let mut context = codec::context::Context::new_with_codec(codec);
        context.set_time_base(MICROSECONDS);
        if output.context().format().flags().contains(fileconv_ffmpeg::ffmpeg::format::Flags::GLOBAL_HEADER) {
            context.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        // SAFETY: the decoder's ASS script header (styles, play size), copied
        // into memory FFmpeg owns and frees with the encoder's context.
        unsafe {
            let (source, target) = (decoder.as_ptr(), context.as_mut_ptr());
            let size = (*source).subtitle_header_size;
            if !(*source).subtitle_header.is_null() && size > 0 {
                let copy = sys::av_mallocz(size as usize + 1) as *mut u8;
                if !copy.is_null() {
                    std::ptr::copy_nonoverlapping((*source).subtitle_header, copy, size as usize);
                    (*target).subtitle_header = copy;
                    (*target).subtitle_header_size = size;
                }
            }
        }
        let setup = context.encoder().subtitle().map_err(|e| error(id, "cannot set up the subtitle encoder", e))?;
        let encoder = setup.open_as(codec).map_err(|e| error(id, &format!("cannot open the {encoder_name} encoder"), e))?;
        let mut out = output.context().add_stream(codec).map_err(|e| error(id, "cannot add a stream", e))?;
        out.set_parameters(&encoder);
        out.set_time_base(MICROSECONDS);
        let stream = out.index();
        Ok(SubtitleLane { decoder, encoder, stream, from, to: MICROSECONDS, buffer: vec![0; 1 << 20] })
    }

    /// Reads back the time base the muxer chose for the stream.
    pub(crate) fn header_written(&mut self, output: &mut MediaOutput) {
        if let Some(stream) = output.context().stream(self.stream) {
            self.to = stream.time_base();
        }
    }

    /// Decodes one source packet and writes what it holds, encoded.
    ///
    /// # Errors
    /// [`fileconv_core::Error::InvalidInput`] for a packet that does not
    /// decode; [`fileconv_core::Error::Backend`] when encoding or writing fails.
    pub(crate) fn push(&mut self, packet: &Packet, output: &mut MediaOutput, id: &'static str) -> Result<()> {
        let mut decoded = Decoded(fileconv_ffmpeg::ffmpeg::Subtitle::new());
        if !self.decoder.decode(packet, &mut decoded.0).map_err(|e| decode_error(id, "cannot decode a subtitle packet", e))? {
            return Ok(());
        }
        if decoded.0.rects().next().is_none() {
            return Ok(());
        }
        let Some(at) = packet.pts().or(packet.dts()) else { return Ok(()) };
        // SAFETY: pure arithmetic helpers.
        let (start, length) = unsafe {
            let start = sys::av_rescale_q(at, self.from.into(), MICROSECONDS.into()) + i64::from(decoded.0.start()) * 1000;
            let length = match packet.duration() {
                d if d > 0 => sys::av_rescale_q(d, self.from.into(), MICROSECONDS.into()),
                _ if decoded.0.end() != u32::MAX && decoded.0.end() > decoded.0.start() => i64::from(decoded.0.end() - decoded.0.start()) * 1000,
                _ => 0,
            };
            (start, length)
        };
        // As FFmpeg's own tools hand a subtitle to an encoder: timed by its
        // pts, shown from 0 for its length in milliseconds.
        decoded.0.set_pts(Some(start));
        decoded.0.set_start(0);
        decoded.0.set_end(u32::try_from(length / 1000).unwrap_or(u32::MAX));
        // SAFETY: the encoder is open, the buffer is writable for its length,
        // and the subtitle was filled by the decoder.
        let written = unsafe {
            sys::avcodec_encode_subtitle(self.encoder.as_mut_ptr(), self.buffer.as_mut_ptr(), self.buffer.len() as i32, decoded.0.as_ptr())
        };
        if written < 0 {
            return Err(error(id, "cannot encode a subtitle", fileconv_ffmpeg::ffmpeg::Error::from(written)));
        }
        if written == 0 {
            return Ok(());
        }
        let mut out = Packet::copy(&self.buffer[..written as usize]);
        out.set_stream(self.stream);
        out.set_pts(Some(start));
        out.set_dts(Some(start));
        out.set_duration(length);
        out.rescale_ts(MICROSECONDS, self.to);
        output.write(&mut out)
    }
}
