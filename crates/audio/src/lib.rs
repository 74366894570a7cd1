//! fileconv's audio formats. Audio is a [`fileconv_core::Audio`] stream of
//! interleaved `f32` chunks pulled from the decoder by the encoder, so memory
//! stays bounded whatever the duration.
//!
//! | format | read | write |
//! |---|---|---|
//! | wav | symphonia (PCM 8-32 bit, float, mu-law, A-law, ADPCM) | hound: 16/24-bit, 32-bit float, INFO tags |
//! | mp3 | FFmpeg (speed) | LAME (FFmpeg), CBR or VBR, ID3v2.3 with cover; long files in parallel segments |
//! | flac | FFmpeg | FFmpeg, 16/24-bit, cover |
//! | ogg (Vorbis) | FFmpeg | libvorbis (FFmpeg), cover as METADATA_BLOCK_PICTURE |
//! | opus | FFmpeg | libopus (FFmpeg), 48 kHz |
//! | m4a (AAC, ALAC) | FFmpeg (edit lists) | FFmpeg AAC, iTunes tags, cover |
//! | aac (ADTS) | FFmpeg | FFmpeg AAC |
//! | aiff | FFmpeg (tags) | FFmpeg PCM 16/24/32-bit, ID3 chunk |
//! | caf | FFmpeg | no |
//! | wma | FFmpeg | WMA v2 (FFmpeg) |
//! | ac3 | FFmpeg | no |
//!
//! Symphonia reads wav and falls back to FFmpeg when it lacks the codec; the other formats are read by FFmpeg, for the reasons their files give.
//! Chapters read by FFmpeg are written to M4A, MP3 (ID3v2 `CHAP`) and Opus, cut with a trim, and named as left out by the other targets.
//! The `audio` transform (trim, resample, remix) applies before every encoder.
//! The `audio-track` adapter reads the audio of a video (a `Media` value).

mod codecs;
mod decode;
mod encode;
mod from_media;
pub mod options;
mod tags;
mod transform;

pub use decode::decode_ffmpeg;
pub use transform::convert;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
