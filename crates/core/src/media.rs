//! [`Media`]: a lazy handle on a video (or any multi-stream) file, open in
//! the backend that will read it. Nothing is decoded until an encoder or an
//! adapter pulls from it, so a media-to-media conversion is one streaming
//! pipeline inside the backend, never frames copied into Rust values.

use std::any::Any;
use std::fmt;

/// The video track a [`Media`] source offers.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoTrack {
    /// The backend's codec name (`h264`, `vp9`).
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// Average frames per second, when the container says.
    pub frame_rate: Option<f64>,
}

/// The audio track a [`Media`] source offers.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioTrack {
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
}

/// An open media file. `demuxer` is the backend's own handle (for FFmpeg,
/// `fileconv_ffmpeg::MediaInput`), taken back by the plugins that read it.
pub struct Media {
    /// The source format id (`mp4`, `mkv`).
    pub format: &'static str,
    /// Seconds, when the container knows.
    pub duration: Option<f64>,
    pub video: Option<VideoTrack>,
    pub audio: Option<AudioTrack>,
    pub demuxer: Box<dyn Any + Send>,
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("format", &self.format)
            .field("duration", &self.duration)
            .field("video", &self.video)
            .field("audio", &self.audio)
            .finish_non_exhaustive()
    }
}
