//! TS: MPEG transport stream, H.264 + AAC by default (what HLS and broadcast use).

use fileconv_core::{Category, FormatInfo};

use crate::codecs::{AAC, AC3, H264, HEVC, MP2, MP3, MPEG2};
use crate::container::Container;

use super::is_transport_stream;

pub const CONTAINER: Container = Container {
    id: "ts",
    demuxer: "mpegts",
    muxer: "mpegts",
    video: &[&H264, &HEVC, &MPEG2],
    audio: &[&AAC, &MP2, &AC3, &MP3],
    video_copy: &["h264", "hevc", "mpeg2video", "mpeg1video"],
    audio_copy: &["aac", "mp3", "mp2", "ac3", "eac3", "opus"],
    subtitles: &[],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "ts", aliases: &["m2ts", "mts"], name: "MPEG transport stream", mime: "video/mp2t", category: Category::Video, container: None, sniff: Some(is_transport_stream) });
