//! The codecs fileconv encodes video and audio with, and how each is driven.

use fileconv_core::{Context, Error, Result};

use crate::options::PRESET;

/// How a video codec's size/quality trade-off is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateControl {
    /// Constant rate factor (`crf` private option), default and maximum.
    Crf { default: u32, max: u32 },
    /// A fixed quantiser through `global_quality` (FFmpeg's `-q:v`).
    Quantiser(f64),
    /// Nothing to set (GIF: the palette decides).
    Fixed,
}

/// A video codec fileconv can encode.
#[derive(Debug)]
pub struct VideoCodec {
    /// The `videoCodec` option's word.
    pub name: &'static str,
    /// FFmpeg's encoder.
    pub encoder: &'static str,
    pub rate_control: RateControl,
    /// Private options for a `preset` value.
    pub preset: fn(&str) -> Vec<(&'static str, String)>,
}

fn no_preset(_: &str) -> Vec<(&'static str, String)> {
    Vec::new()
}

fn x26x_preset(preset: &str) -> Vec<(&'static str, String)> {
    vec![("preset", preset.to_string())]
}

/// x264's preset names on libvpx's deadline and cpu-used; row-mt spreads
/// one frame over every core (without it VP9 uses about 1.3 of 2 cores).
fn vp9_preset(preset: &str) -> Vec<(&'static str, String)> {
    let (deadline, cpu_used) = match preset {
        "ultrafast" => ("realtime", 8),
        "superfast" => ("realtime", 7),
        "veryfast" => ("good", 5),
        "faster" => ("good", 4),
        "fast" => ("good", 3),
        "medium" => ("good", 2),
        "slow" => ("good", 1),
        "slower" => ("good", 0),
        _ => ("best", 0),
    };
    vec![("deadline", deadline.to_string()), ("cpu-used", cpu_used.to_string()), ("row-mt", "1".to_string())]
}

pub static H264: VideoCodec =
    VideoCodec { name: "h264", encoder: "libx264", rate_control: RateControl::Crf { default: 23, max: 51 }, preset: x26x_preset };
pub static HEVC: VideoCodec =
    VideoCodec { name: "hevc", encoder: "libx265", rate_control: RateControl::Crf { default: 28, max: 51 }, preset: x26x_preset };
pub static VP9: VideoCodec =
    VideoCodec { name: "vp9", encoder: "libvpx-vp9", rate_control: RateControl::Crf { default: 32, max: 63 }, preset: vp9_preset };
pub static MPEG4: VideoCodec =
    VideoCodec { name: "mpeg4", encoder: "mpeg4", rate_control: RateControl::Quantiser(4.0), preset: no_preset };
pub static MPEG2: VideoCodec =
    VideoCodec { name: "mpeg2", encoder: "mpeg2video", rate_control: RateControl::Quantiser(4.0), preset: no_preset };
pub static WMV2: VideoCodec =
    VideoCodec { name: "wmv2", encoder: "wmv2", rate_control: RateControl::Quantiser(4.0), preset: no_preset };
/// libtheora's `-q:v` runs 0-10, best at 10.
pub static THEORA: VideoCodec =
    VideoCodec { name: "theora", encoder: "libtheora", rate_control: RateControl::Quantiser(7.0), preset: no_preset };
/// Animated GIF, fed a palette by the filter graph.
pub static GIF: VideoCodec =
    VideoCodec { name: "gif", encoder: "gif", rate_control: RateControl::Fixed, preset: no_preset };
/// Animated WebP; libwebp's quality scale is 0-100.
pub static WEBP: VideoCodec =
    VideoCodec { name: "webp", encoder: "libwebp_anim", rate_control: RateControl::Quantiser(75.0), preset: no_preset };

/// Every video codec the `videoCodec` option names.
#[cfg(test)]
pub static VIDEO_CODECS: &[&VideoCodec] = &[&H264, &HEVC, &VP9, &MPEG4, &MPEG2, &WMV2, &THEORA];

/// An audio codec fileconv can encode.
#[derive(Debug)]
pub struct AudioCodec {
    pub name: &'static str,
    pub encoder: &'static str,
    pub bitrate: u64,
    pub max_channels: u16,
}

pub static AAC: AudioCodec = AudioCodec { name: "aac", encoder: "aac", bitrate: 160_000, max_channels: 8 };
pub static MP3: AudioCodec = AudioCodec { name: "mp3", encoder: "libmp3lame", bitrate: 192_000, max_channels: 2 };
pub static OPUS: AudioCodec = AudioCodec { name: "opus", encoder: "libopus", bitrate: 128_000, max_channels: 8 };
pub static VORBIS: AudioCodec = AudioCodec { name: "vorbis", encoder: "libvorbis", bitrate: 160_000, max_channels: 8 };
pub static MP2: AudioCodec = AudioCodec { name: "mp2", encoder: "mp2", bitrate: 192_000, max_channels: 2 };
pub static AC3: AudioCodec = AudioCodec { name: "ac3", encoder: "ac3", bitrate: 192_000, max_channels: 6 };
pub static WMA: AudioCodec = AudioCodec { name: "wma", encoder: "wmav2", bitrate: 128_000, max_channels: 2 };

/// Every audio codec the `audioCodec` option names.
#[cfg(test)]
pub static AUDIO_CODECS: &[&AudioCodec] = &[&AAC, &MP3, &OPUS, &VORBIS, &MP2, &AC3, &WMA];

/// The codec `name` among those `allowed` by the target, or the error that lists them.
///
/// # Errors
/// [`Error::InvalidOption`] when the target cannot hold it.
pub fn pick<'a, T>(option: &str, name: &str, allowed: &[&'a T], name_of: fn(&T) -> &'static str) -> Result<&'a T> {
    allowed.iter().copied().find(|c| name_of(c) == name).ok_or_else(|| Error::InvalidOption {
        name: option.to_string(),
        reason: format!("this target cannot hold {name}"),
        valid: allowed.iter().map(|c| name_of(c)).chain(["copy"]).collect::<Vec<_>>().join(", "),
    })
}

/// The `preset` option's value.
///
/// # Errors
/// [`Error::InvalidOption`] for a word outside the list.
pub fn preset(ctx: &Context<'_>) -> Result<String> {
    PRESET.choice(ctx.options).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{AUDIO_CODEC, VIDEO_CODEC};
    use fileconv_core::OptionKind;

    fn words(kind: OptionKind) -> Vec<&'static str> {
        match kind {
            OptionKind::Choice(w) => w.iter().copied().filter(|w| *w != "copy").collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_codec_options_list_exactly_the_codecs() {
        assert_eq!(words(VIDEO_CODEC.kind), VIDEO_CODECS.iter().map(|c| c.name).collect::<Vec<_>>());
        assert_eq!(words(AUDIO_CODEC.kind), AUDIO_CODECS.iter().map(|c| c.name).collect::<Vec<_>>());
    }
}
