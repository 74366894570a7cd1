//! M4V: the iTunes flavour of MP4 (FFmpeg's ipod muxer): H.264 + AAC only.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{AAC, H264};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "m4v",
    demuxer: "mov",
    muxer: "ipod",
    video: &[&H264],
    audio: &[&AAC],
    video_copy: &["h264"],
    audio_copy: &["aac", "alac", "ac3"],
    subtitles: &["mov_text"],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "m4v", aliases: &[], name: "Apple MPEG-4 video", mime: "video/x-m4v", category: Category::Video, container: Some(fileconv_core::Container::IsoBmff), sniff: Some(|b| sniff::iso_brand(b, &[b"M4V ", b"M4VH", b"M4VP"])) });
