//! MKV: Matroska holds nearly any codec, so most sources remux into it; H.264 + AAC when encoding.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{AAC, AC3, H264, HEVC, MP2, MP3, MPEG2, MPEG4, OPUS, THEORA, VORBIS, VP9};
use crate::container::Container;

use super::is_ebml;

pub const CONTAINER: Container = Container {
    id: "mkv",
    demuxer: "matroska",
    muxer: "matroska",
    video: &[&H264, &HEVC, &VP9, &MPEG4, &MPEG2, &THEORA],
    audio: &[&AAC, &OPUS, &VORBIS, &MP3, &AC3, &MP2],
    video_copy: &["h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "mpeg1video", "theora", "mjpeg", "ffv1", "prores"],
    audio_copy: &["aac", "mp3", "opus", "vorbis", "flac", "ac3", "eac3", "dts", "mp2", "alac", "pcm_s16le", "pcm_s24le", "pcm_f32le"],
    subtitles: &["ass", "subrip", "ssa", "webvtt", "hdmv_pgs_subtitle", "dvd_subtitle"],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "mkv", aliases: &["mka"], name: "Matroska video", mime: "video/x-matroska", category: Category::Video, container: Some(fileconv_core::Container::Ebml), sniff: Some(|b| is_ebml(b) && !sniff::contains_early(b, b"webm", 64)) });
