//! The audio track of a video: the `media` to `audio` adapter, so every video
//! container converts to every audio target through the same encoders.

use fileconv_core::{Adapter, Context, Error, Result, Value, ValueKind};
use fileconv_ffmpeg::MediaInput;

inventory::submit! {
    Adapter { name: "audio-track", from: ValueKind::Media, to: ValueKind::Audio, cost: 5, lossy: false, options: &[], adapt }
}

fn adapt(value: Value, _ctx: &Context<'_>) -> Result<Value> {
    let media = value.into_media()?;
    if media.audio.is_none() {
        return Err(Error::invalid_input(media.format, "the file has no audio track"));
    }
    let format = media.format;
    crate::decode::decode_media_input(MediaInput::from_media(media)?, format).map(Value::Audio)
}
