//! Option specs of the audio plugin, declared once.

use fileconv_core::{OptionKind, OptionSpec};

/// Longest input, in seconds, that `start` and `duration` may name (a day).
const MAX_SECONDS: u32 = 86_400;

pub const SAMPLE_RATE: OptionSpec = OptionSpec {
    name: "sampleRate",
    kind: OptionKind::Integer { min: 8_000, max: 192_000 },
    default: "",
    help: "Output sample rate in Hz, resampled with a band-limited filter; the source's by default \
           (or the nearest the target codec supports).",
};

pub const CHANNELS: OptionSpec = OptionSpec {
    name: "channels",
    kind: OptionKind::Integer { min: 1, max: 8 },
    default: "",
    help: "Output channels: 1 downmixes to mono, 2 to stereo; more upmixes. The source's by default.",
};

pub const START: OptionSpec = OptionSpec {
    name: "start",
    kind: OptionKind::Seconds { max: MAX_SECONDS },
    default: "",
    help: "Skip this much of the source first: seconds (12.5) or [hh:]mm:ss[.ms].",
};

pub const DURATION: OptionSpec = OptionSpec {
    name: "duration",
    kind: OptionKind::Seconds { max: MAX_SECONDS },
    default: "",
    help: "Keep at most this much audio: seconds (30) or [hh:]mm:ss[.ms].",
};

/// The options of the `audio` transform, valid for every audio target.
pub const TRANSFORM: &[OptionSpec] = &[SAMPLE_RATE, CHANNELS, START, DURATION];

/// Constant or average bitrate; the range is the codec's.
pub const fn bitrate(default: &'static str, min: u64, max: u64) -> OptionSpec {
    OptionSpec {
        name: "bitrate",
        kind: OptionKind::Bitrate { min, max },
        default,
        help: "Target bitrate, e.g. 192k. Ignored when quality is given.",
    }
}

/// Variable-bitrate quality, 0 (smallest) to 10 (best).
pub const QUALITY: OptionSpec = OptionSpec {
    name: "quality",
    kind: OptionKind::Integer { min: 0, max: 10 },
    default: "",
    help: "Variable-bitrate quality, 0 (smallest) to 10 (best); replaces bitrate when given. \
           MP3: LAME -V (10 - quality), capped at V0; Vorbis: -q quality.",
};

/// Bits per sample of a PCM or lossless target; the choices are the format's.
pub const fn bit_depth(choices: &'static [&'static str]) -> OptionSpec {
    OptionSpec {
        name: "bitDepth",
        kind: OptionKind::Choice(choices),
        default: "",
        help: "Bits per sample; the source's depth when the target holds it, else 16. \
               For WAV, 32 means 32-bit float.",
    }
}
