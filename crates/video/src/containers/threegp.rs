//! 3GP: the mobile MP4 profile, H.264 + AAC by default.

use fileconv_core::{sniff, Category, FormatInfo};

use crate::codecs::{AAC, H264, MPEG4};
use crate::container::Container;

pub const CONTAINER: Container = Container {
    id: "3gp",
    demuxer: "mov",
    muxer: "3gp",
    video: &[&H264, &MPEG4],
    audio: &[&AAC],
    video_copy: &["h264", "mpeg4", "h263"],
    audio_copy: &["aac", "amr_nb", "amr_wb"],
    subtitles: &["mov_text"],
    muxer_options: &[],
};

crate::register!(CONTAINER, FormatInfo { id: "3gp", aliases: &["3g2"], name: "3GPP video", mime: "video/3gpp", category: Category::Video, container: Some(fileconv_core::Container::IsoBmff), sniff: Some(|b| sniff::iso_brand(b, &[b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gp8", b"3g2a", b"3g2b", b"3g2c", b"3ge6", b"3ge7", b"3gg6"])) });
