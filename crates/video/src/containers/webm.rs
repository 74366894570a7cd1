//! WebM: VP9 + Opus. VP9 runs with row-mt (every core on each frame) and the `preset` mapped onto libvpx's deadline and cpu-used.

use fileconv_core::{Category, FormatInfo};

use crate::codecs::{OPUS, VORBIS, VP9};
use crate::container::Container;

use super::is_ebml;

pub const CONTAINER: Container = Container {
    id: "webm",
    demuxer: "matroska",
    muxer: "webm",
    video: &[&VP9],
    audio: &[&OPUS, &VORBIS],
    video_copy: &["vp8", "vp9", "av1"],
    audio_copy: &["opus", "vorbis"],
    subtitles: &["webvtt"],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "webm", aliases: &[], name: "WebM video", mime: "video/webm", category: Category::Video, container: Some(fileconv_core::Container::Ebml), sniff: Some(is_ebml) });
