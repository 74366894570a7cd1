//! OGV: Ogg with Theora + Vorbis, the free-format pair.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{OPUS, THEORA, VORBIS};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "ogv",
    demuxer: "ogg",
    muxer: "ogg",
    video: &[&THEORA],
    audio: &[&VORBIS, &OPUS],
    video_copy: &["theora", "vp8"],
    audio_copy: &["vorbis", "opus", "flac"],
    subtitles: &[],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "ogv", aliases: &[], name: "Ogg video", mime: "video/ogg", category: Category::Video, container: Some(fileconv_core::Container::Ogg), sniff: Some(|b| sniff::starts_with(b, b"OggS") && b.get(28..35) == Some(b"\x80theora")) });
