//! A video's subtitle stream as cues: the `subtitle-track` adapter, so a
//! subtitle target from a video source extracts (mkv's SubRip, ASS and
//! WebVTT, mp4's `mov_text`...). FFmpeg's decoders turn every text codec
//! into ASS events, read here with the ASS script reader; image subtitles
//! (DVD, Blu-ray PGS) are refused, as reading them needs OCR.

use fileconv_core::{Adapter, Context, Error, OptionKind, OptionSpec, Result, Value, ValueKind};
use fileconv_ffmpeg::ffmpeg::codec::subtitle::Rect;
use fileconv_ffmpeg::ffmpeg::{codec, media, Rational};
use fileconv_ffmpeg::{decode_error, ffmpeg_sys, MediaInput};
use fileconv_subtitle::formats::{read_script, subtitles_of, CueList};

const TRACK: OptionSpec = OptionSpec {
    name: "subtitleTrack",
    kind: OptionKind::Integer { min: 1, max: 100 },
    default: "1",
    help: "which subtitle stream of the video to take, counting from 1",
};
const TRACK_OPTIONS: &[OptionSpec] = &[TRACK];

inventory::submit! {
    Adapter { name: "subtitle-track", from: ValueKind::Media, to: ValueKind::Subtitles, cost: 5, lossy: false, options: TRACK_OPTIONS, adapt }
}

/// Frees what FFmpeg allocated in a decoded subtitle.
pub(crate) struct Decoded(pub(crate) fileconv_ffmpeg::ffmpeg::Subtitle);

impl Drop for Decoded {
    fn drop(&mut self) {
        // SAFETY: the subtitle was filled by avcodec_decode_subtitle2 (or is zeroed).
        unsafe { ffmpeg_sys::avsubtitle_free(self.0.as_mut_ptr()) }
    }
}

/// # Errors
/// [`Error::InvalidInput`] when the video has no such subtitle stream or
/// its packets do not decode; [`Error::CannotKeep`]-style refusal for image subtitles.
fn adapt(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let media = value.into_media()?;
    let format = media.format;
    let wanted = TRACK.integer(ctx.options)? as usize;
    let mut input = MediaInput::from_media(media)?;
    let streams: Vec<(usize, Rational, Option<String>)> = input
        .context()
        .streams()
        .filter(|s| s.parameters().medium() == media::Type::Subtitle)
        .map(|s| (s.index(), s.time_base(), s.metadata().get("language").filter(|l| *l != "und").map(str::to_string)))
        .collect();
    let Some((index, time_base, language)) = streams.get(wanted - 1).cloned() else {
        return Err(Error::invalid_input(
            format,
            match streams.len() {
                0 => "the video has no subtitle stream".to_string(),
                n => format!("the video has {n} subtitle streams, not {wanted}"),
            },
        ));
    };
    let stream = input.context().stream(index).expect("a listed stream");
    let codec_name = stream.parameters().id().name();
    let context = codec::context::Context::from_parameters(stream.parameters()).map_err(|e| decode_error(format, "cannot read the subtitle stream's parameters", e))?;
    let mut decoder = context.decoder().subtitle().map_err(|e| decode_error(format, &format!("cannot open a {codec_name} subtitle decoder"), e))?;
    // SAFETY: the header is a NUL-free byte string of the given size, owned by the decoder.
    let header = unsafe {
        let raw = decoder.as_ptr();
        let (data, size) = ((*raw).subtitle_header, (*raw).subtitle_header_size);
        if data.is_null() || size <= 0 { String::new() } else { String::from_utf8_lossy(std::slice::from_raw_parts(data, size as usize)).into_owned() }
    };
    let mut cues = CueList::new(ctx);
    let script = read_script(&header, &mut cues)?;
    let ms = |ts: i64| (ts.max(0) as f64 * f64::from(time_base) * 1000.0).round() as u64;
    let mut seen = 0u64;
    for (packet_stream, packet) in input.context().packets() {
        seen += 1;
        if seen.is_multiple_of(4096) {
            ctx.checkpoint()?;
        }
        if packet_stream.index() != index {
            continue;
        }
        let mut decoded = Decoded(fileconv_ffmpeg::ffmpeg::Subtitle::new());
        if !decoder.decode(&packet, &mut decoded.0).map_err(|e| decode_error(format, "cannot decode a subtitle packet", e))? {
            continue;
        }
        let at = packet.pts().or(packet.dts()).map_or(0, ms);
        let start = at + u64::from(decoded.0.start());
        let end = match packet.duration() {
            d if d > 0 => at + ms(d),
            _ if decoded.0.end() != u32::MAX && decoded.0.end() > decoded.0.start() => at + u64::from(decoded.0.end()),
            _ => start,
        };
        for rect in decoded.0.rects() {
            let event = match rect {
                Rect::Ass(ass) => ass.get().to_string(),
                Rect::Text(text) => format!("0,0,Default,,0,0,0,,{}", text.get().replace('\n', "\\N")),
                Rect::Bitmap(_) => {
                    return Err(Error::cannot_keep(
                        "subtitles",
                        format!("the video's subtitle stream ({codec_name}) is pictures of text; reading them needs OCR, which fileconv does not do"),
                    ))
                }
                Rect::None(_) => continue,
            };
            // ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect, Text
            let fields: Vec<&str> = event.splitn(9, ',').collect();
            let [_, _, style, name, _, _, _, _, text] = fields[..] else { continue };
            let cue = script.cue(start, end, style, name, text);
            if !cue.is_blank() {
                cues.push(cue)?;
            }
        }
    }
    let mut subtitles = subtitles_of(script, cues.finish(format)?);
    subtitles.language = language;
    Ok(Value::Subtitles(subtitles))
}
