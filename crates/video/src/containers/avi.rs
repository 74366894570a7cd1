//! AVI: MPEG-4 Part 2 + MP3 by default, what old players and TVs read. H.264 is
//! re-encoded rather than copied: MP4-style (avcC) H.264 needs a bitstream
//! filter to Annex B that the AVI muxer does not insert.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{AC3, H264, MP2, MP3, MPEG4};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "avi",
    demuxer: "avi",
    muxer: "avi",
    video: &[&MPEG4, &H264],
    audio: &[&MP3, &AC3, &MP2],
    video_copy: &["mpeg4", "mjpeg", "msmpeg4v3", "mpeg2video"],
    audio_copy: &["mp3", "ac3", "mp2", "pcm_s16le", "pcm_u8"],
    subtitles: &[],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "avi", aliases: &[], name: "AVI video", mime: "video/x-msvideo", category: Category::Video, container: None, sniff: Some(|b| sniff::starts_with(b, b"RIFF") && b.get(8..12) == Some(b"AVI ")) });
