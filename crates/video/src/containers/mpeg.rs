//! MPEG: an MPEG-2 program stream (FFmpeg's vob muxer), MPEG-2 video + MP2, for DVD-era players. MPEG-2 takes only the standard frame rates; the nearest is used.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{AC3, MP2, MPEG2};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "mpeg",
    demuxer: "mpeg",
    muxer: "vob",
    video: &[&MPEG2],
    audio: &[&MP2, &AC3],
    video_copy: &["mpeg1video", "mpeg2video"],
    audio_copy: &["mp2", "mp3", "ac3"],
    subtitles: &[],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "mpeg", aliases: &["mpg", "vob"], name: "MPEG-2 program stream", mime: "video/mpeg", category: Category::Video, container: None, sniff: Some(|b| sniff::starts_with(b, &[0, 0, 1, 0xBA])) });
