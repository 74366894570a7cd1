//! MP4: H.264 + AAC by default, plays everywhere. Also takes HEVC and MPEG-4 Part 2 (encode), and AV1 and VP9 as they are (remux).

use fileconv_core::{Category, FormatInfo};

use crate::codecs::{AAC, AC3, H264, HEVC, MP3, MPEG4};
use crate::container::Container;

use super::iso_video;

pub const CONTAINER: Container = Container {
    id: "mp4",
    demuxer: "mov",
    muxer: "mp4",
    video: &[&H264, &HEVC, &MPEG4],
    audio: &[&AAC, &MP3, &AC3],
    video_copy: &["h264", "hevc", "mpeg4", "av1", "vp9"],
    audio_copy: &["aac", "mp3", "ac3", "eac3", "alac"],
    subtitles: &["mov_text"],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "mp4", aliases: &[], name: "MPEG-4 video", mime: "video/mp4", category: Category::Video, container: Some(fileconv_core::Container::IsoBmff), sniff: Some(iso_video) });
