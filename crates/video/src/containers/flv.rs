//! FLV: Flash video, H.264 + AAC (what RTMP servers take).

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{AAC, H264, MP3};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "flv",
    demuxer: "flv",
    muxer: "flv",
    video: &[&H264],
    audio: &[&AAC, &MP3],
    video_copy: &["h264", "flv1"],
    audio_copy: &["aac", "mp3"],
    subtitles: &[],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "flv", aliases: &[], name: "Flash video", mime: "video/x-flv", category: Category::Video, container: None, sniff: Some(|b| sniff::starts_with(b, b"FLV\x01")) });
