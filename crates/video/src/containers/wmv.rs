//! WMV: ASF with Windows Media Video 8 (WMV2) + WMA v2.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{MP3, WMA, WMV2};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "wmv",
    demuxer: "asf",
    muxer: "asf",
    video: &[&WMV2],
    audio: &[&WMA, &MP3],
    video_copy: &["wmv1", "wmv2", "wmv3", "vc1", "msmpeg4v3"],
    audio_copy: &["wmav1", "wmav2", "wmapro", "mp3"],
    subtitles: &[],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "wmv", aliases: &[], name: "Windows Media video", mime: "video/x-ms-wmv", category: Category::Video, container: Some(fileconv_core::Container::Asf), sniff: Some(|b| sniff::starts_with(b, &sniff::ASF)) });
