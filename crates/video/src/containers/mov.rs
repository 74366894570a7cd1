//! MOV: QuickTime, H.264 + AAC by default; holds ProRes, MJPEG and PCM as they are.

use fileconv_core::{Category, FormatInfo};

use crate::codecs::{AAC, AC3, H264, HEVC, MP3, MPEG4};
use crate::container::Container;

use super::is_quicktime;

pub const CONTAINER: Container = Container {
    id: "mov",
    demuxer: "mov",
    muxer: "mov",
    video: &[&H264, &HEVC, &MPEG4],
    audio: &[&AAC, &MP3, &AC3],
    video_copy: &["h264", "hevc", "mpeg4", "mjpeg", "prores", "av1"],
    audio_copy: &["aac", "mp3", "alac", "ac3", "pcm_s16le", "pcm_s16be", "pcm_s24le"],
    subtitles: &["mov_text"],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "mov", aliases: &["qt"], name: "QuickTime movie", mime: "video/quicktime", category: Category::Video, container: Some(fileconv_core::Container::IsoBmff), sniff: Some(is_quicktime) });
