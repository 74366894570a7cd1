//! fileconv's video formats, on FFmpeg's libraries (Debian's 5.1).
//!
//! A video file decodes to a [`fileconv_core::Media`] value: the demuxer,
//! open, with a description of its tracks. Nothing is decoded until an
//! encoder pulls from it, so every conversion is one streaming pipeline:
//!
//! - **to a container** (`transcode`): each kept stream is copied as it is
//!   when the target holds its codec and no option asks for a change (a
//!   remux: milliseconds), else decoded, filtered (trim, fps, scale, pixel or
//!   sample format) and re-encoded with the target's default or the chosen codec;
//!   subtitle streams are copied where the target holds their codec, and
//!   text ones re-encoded into the text codec it holds (`subtitle_lane`:
//!   mov_text for mp4, mov, m4v and 3gp, ASS for mkv, WebVTT for webm);
//! - **to audio**: the audio plugin's `audio-track` adapter decodes the audio
//!   track for every audio encoder;
//! - **to subtitles** (`subtitles`): the `subtitle-track` adapter reads a
//!   text subtitle stream into cues for every subtitle target, txt and json;
//! - **to an image**: the `frame` adapter takes one frame (`time`, 10% in by default);
//! - **to an animated GIF or WebP** (`animation`): fps, scale and, for GIF,
//!   FFmpeg's palette generation;
//! - **from images** (`from_raster`): an animation keeps its timing, a still
//!   image shows for `duration`.
//!
//! | container | default video + audio | also encodes |
//! |---|---|---|
//! | mp4, mov | H.264 + AAC | HEVC, MPEG-4; MP3, AC-3 |
//! | m4v | H.264 + AAC | |
//! | 3gp | H.264 + AAC | MPEG-4 |
//! | mkv | H.264 + AAC | HEVC, VP9, MPEG-4, MPEG-2, Theora; Opus, Vorbis, MP3, AC-3, MP2 |
//! | webm | VP9 + Opus | Vorbis |
//! | avi | MPEG-4 Part 2 + MP3 | H.264; AC-3, MP2 |
//! | flv | H.264 + AAC | MP3 |
//! | wmv | WMV2 + WMA v2 | MP3 |
//! | mpeg | MPEG-2 + MP2 | AC-3 |
//! | ts | H.264 + AAC | HEVC, MPEG-2; MP2, AC-3, MP3 |
//! | ogv | Theora + Vorbis | Opus |

mod animation;
mod codecs;
mod container;
mod containers;
mod from_raster;
mod image_fallback;
pub mod options;
mod pipeline;
mod subtitle_lane;
mod subtitles;
mod still;
mod transcode;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
