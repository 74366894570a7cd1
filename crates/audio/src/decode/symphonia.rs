//! WAV decoding through symphonia, as a pull stream of interleaved `f32` chunks.

use std::io::{Read, Seek, SeekFrom};

use fileconv_core::{Audio, AudioSource, AudioSpec, Context, Error, Input, Picture, ReadSeek, Result, Samples, Tags, Value};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::{Metadata, MetadataRevision, StandardTagKey, StandardVisualKey};

/// Symphonia has no reader for this container or codec: try FFmpeg.
pub struct Unsupported;

/// Corrupt packets in a row after which the stream is declared broken.
const MAX_BAD_PACKETS: u32 = 64;

/// Decodes `input`, or says that symphonia does not support it.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str) -> std::result::Result<Result<Value>, Unsupported> {
    match guarded(format, || open(input, ctx, format)) {
        Ok(result) => result,
        Err(e) => Ok(Err(e)),
    }
}

/// Runs symphonia code, turning a panic into [`Error::InvalidInput`]:
/// symphonia 0.5 asserts on some malformed headers (a zero sample rate).
fn guarded<T>(format: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|payload| Error::invalid_input(format, format!("malformed stream ({})", fileconv_core::panic_text(&*payload))))
}

fn open(input: Input<'_>, _ctx: &Context<'_>, format: &'static str) -> std::result::Result<Result<Value>, Unsupported> {
    let source = match input.open() {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let len = input.bytes.len() as u64;
    let stream = MediaSourceStream::new(Box::new(Source { inner: source, len }), Default::default());
    // The WAV reader itself, not symphonia's probe: the probe scans for any
    // container's signature and handed a fuzzed WAV to the AAC decoder.
    let options = FormatOptions { enable_gapless: true, ..Default::default() };
    let mut reader: Box<dyn FormatReader> = match symphonia::default::formats::WavReader::try_new(stream, &options) {
        Ok(r) => Box::new(r),
        Err(SymphoniaError::Unsupported(_)) => return Err(Unsupported),
        Err(e) => return Ok(Err(invalid(format, "cannot read the container", e))),
    };
    let Some(track) = reader.tracks().iter().find(|t| t.codec_params.codec != CODEC_TYPE_NULL) else {
        return Ok(Err(Error::invalid_input(format, "no audio track")));
    };
    let params = track.codec_params.clone();
    let track_id = track.id;
    let decoder = match symphonia::default::get_codecs().make(&params, &DecoderOptions::default()) {
        Ok(d) => d,
        Err(SymphoniaError::Unsupported(_)) => return Err(Unsupported),
        Err(e) => return Ok(Err(invalid(format, "cannot set up the decoder", e))),
    };
    let mut tags = Tags::default();
    read_tags(&reader.metadata(), &mut tags);
    // The first decoded buffer states the real layout; containers (MP4 with
    // AAC) may leave it to the codec. Its samples are handed out first.
    let declared_channels = params.channels.map(|c| c.count().min(usize::from(u16::MAX)) as u16);
    let mut source = Decoded { reader, decoder, track_id, format, channels: declared_channels, buffer: None, bad_packets: 0, pending: None };
    let first = match source.next_chunk() {
        Ok(chunk) => chunk,
        Err(e) => return Ok(Err(e)),
    };
    source.pending = first;
    let (Some(sample_rate), Some(channels)) = (source.decoder.codec_params().sample_rate.or(params.sample_rate), source.channels) else {
        return Ok(Err(Error::invalid_input(format, "the stream declares no sample rate or channel layout")));
    };
    let spec = AudioSpec {
        sample_rate,
        channels,
        bits_per_sample: params.bits_per_sample.map(|b| b.min(64) as u16).filter(|_| is_lossless(&params)),
    };
    if let Err(e) = super::check_spec(&spec, format) {
        return Ok(Err(e));
    }
    Ok(Ok(Value::Audio(Audio { spec, tags, total_frames: params.n_frames, source: Box::new(source) })))
}

fn is_lossless(params: &symphonia::core::codecs::CodecParameters) -> bool {
    use symphonia::core::codecs::{CODEC_TYPE_ALAC, CODEC_TYPE_FLAC, CODEC_TYPE_PCM_ALAW, CODEC_TYPE_PCM_MULAW};
    let c = params.codec;
    // A-law and mu-law are 8-bit companded: their depth is not a linear PCM depth.
    let linear_pcm = c != CODEC_TYPE_PCM_ALAW
        && c != CODEC_TYPE_PCM_MULAW
        && symphonia::default::get_codecs().get_codec(c).is_some_and(|d| d.short_name.starts_with("pcm_"));
    c == CODEC_TYPE_FLAC || c == CODEC_TYPE_ALAC || linear_pcm
}

fn invalid(format: &str, doing: &str, e: SymphoniaError) -> Error {
    Error::invalid_input(format, format!("{doing}: {e}"))
}

fn read_tags(meta: &Metadata<'_>, tags: &mut Tags) {
    if let Some(revision) = meta.current() {
        read_revision(revision, tags);
    }
}

fn read_revision(revision: &MetadataRevision, tags: &mut Tags) {
    for tag in revision.tags() {
        let key = match tag.std_key {
            Some(StandardTagKey::TrackTitle) => "title",
            Some(StandardTagKey::Artist) => "artist",
            Some(StandardTagKey::Album) => "album",
            Some(StandardTagKey::AlbumArtist) => "album_artist",
            Some(StandardTagKey::Date | StandardTagKey::ReleaseDate | StandardTagKey::OriginalDate) => "date",
            Some(StandardTagKey::TrackNumber) => "track",
            Some(StandardTagKey::Genre) => "genre",
            Some(StandardTagKey::Comment | StandardTagKey::Description) => "comment",
            _ => tag.key.as_str(),
        };
        tags.set_by_key(key, &tag.value.to_string());
    }
    if tags.cover.is_none() {
        let visuals = revision.visuals();
        let front = visuals.iter().find(|v| v.usage == Some(StandardVisualKey::FrontCover)).or(visuals.first());
        if let Some(v) = front {
            tags.cover = Some(Picture { mime: v.media_type.clone(), data: v.data.to_vec() });
        }
    }
}

struct Decoded {
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    format: &'static str,
    /// Channels of the stream: as declared, else as the first buffer has them.
    channels: Option<u16>,
    buffer: Option<SampleBuffer<f32>>,
    bad_packets: u32,
    /// The chunk decoded while opening, handed out first.
    pending: Option<Samples>,
}

// SAFETY-free: symphonia's readers and decoders are Send.
impl AudioSource for Decoded {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        let format = self.format;
        guarded(format, || self.decode_next())?
    }
}

impl Decoded {
    fn decode_next(&mut self) -> Result<Option<Samples>> {
        if let Some(chunk) = self.pending.take() {
            return Ok(Some(chunk));
        }
        loop {
            let packet = match self.reader.next_packet() {
                Ok(p) => p,
                // The end of the stream, or of what a truncated file holds.
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(SymphoniaError::ResetRequired) => return Ok(None),
                Err(e) => return Err(invalid(self.format, "cannot read the next packet", e)),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(decoded) => {
                    self.bad_packets = 0;
                    let spec = *decoded.spec();
                    let count = spec.channels.count().min(usize::from(u16::MAX)) as u16;
                    if *self.channels.get_or_insert(count) != count {
                        return Err(Error::invalid_input(self.format, "the channel count changes mid-stream"));
                    }
                    let frames = decoded.frames();
                    if frames == 0 {
                        continue;
                    }
                    let capacity = decoded.capacity() as u64;
                    let buffer = match &mut self.buffer {
                        Some(b) if b.capacity() >= frames * usize::from(count) => b,
                        slot => slot.insert(SampleBuffer::new(capacity, spec)),
                    };
                    buffer.copy_interleaved_ref(decoded);
                    return Ok(Some(buffer.samples().to_vec()));
                }
                Err(SymphoniaError::DecodeError(_)) | Err(SymphoniaError::IoError(_)) => {
                    self.bad_packets += 1;
                    if self.bad_packets > MAX_BAD_PACKETS {
                        return Err(Error::invalid_input(self.format, "too many corrupt packets in a row"));
                    }
                }
                Err(e) => return Err(invalid(self.format, "cannot decode", e)),
            }
        }
    }
}

/// Adapts an owned input to symphonia's `MediaSource`.
struct Source {
    inner: Box<dyn ReadSeek>,
    len: u64,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl MediaSource for Source {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}
