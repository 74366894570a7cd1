//! The values decoders produce, adapters transform and encoders consume.

use std::time::Duration;

use image::DynamicImage;

use crate::{Audio, Context, Document, Error, Media, Result, Subtitles, Table};

/// The kind of a [`Value`]: a node of the format graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ValueKind {
    /// A [`Raster`]: one or more frames of pixels.
    Raster,
    /// An [`Audio`] stream of PCM chunks.
    Audio,
    /// A [`Media`] handle on a video file, read lazily by its backend.
    Media,
    /// A [`Table`]: sheets of rows of typed cells, streamed.
    Table,
    /// A [`Document`]: a tree of blocks and metadata.
    Document,
    /// [`Subtitles`]: timed text cues.
    Subtitles,
}

impl ValueKind {
    /// Lower-case name, as printed in conversion paths.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Raster => "raster",
            ValueKind::Audio => "audio",
            ValueKind::Media => "media",
            ValueKind::Table => "table",
            ValueKind::Document => "document",
            ValueKind::Subtitles => "subtitles",
        }
    }
}

/// Data in flight between a decoder and an encoder.
#[derive(Debug)]
#[non_exhaustive]
pub enum Value {
    Raster(Raster),
    Audio(Audio),
    Media(Media),
    Table(Table),
    Document(Document),
    Subtitles(Subtitles),
}

impl Value {
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Raster(_) => ValueKind::Raster,
            Value::Audio(_) => ValueKind::Audio,
            Value::Media(_) => ValueKind::Media,
            Value::Table(_) => ValueKind::Table,
            Value::Document(_) => ValueKind::Document,
            Value::Subtitles(_) => ValueKind::Subtitles,
        }
    }

    /// The audio stream inside.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind (a plugin bug).
    pub fn into_audio(self) -> Result<Audio> {
        match self {
            Value::Audio(a) => Ok(a),
            other => Err(Error::Internal(format!("expected audio, got {}", other.kind().name()))),
        }
    }

    /// The media handle inside.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind (a plugin bug).
    pub fn into_media(self) -> Result<Media> {
        match self {
            Value::Media(m) => Ok(m),
            other => Err(Error::Internal(format!("expected media, got {}", other.kind().name()))),
        }
    }

    /// The table inside.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind (a plugin bug).
    pub fn into_table(self) -> Result<Table> {
        match self {
            Value::Table(t) => Ok(t),
            other => Err(Error::Internal(format!("expected a table, got {}", other.kind().name()))),
        }
    }

    /// The document inside, its flowing tree read if its reader deferred
    /// it: what writers of flowing text (Markdown, HTML...) take.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind (a plugin bug);
    /// what the deferred reader gives.
    pub fn into_document(self, ctx: &crate::Context<'_>) -> Result<Document> {
        let mut document = self.into_deferred_document()?;
        document.read_flow(ctx)?;
        Ok(document)
    }

    /// The document inside with what its reader deferred still unread
    /// (see [`crate::document::deferred`]): for a writer of pages.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind (a plugin bug).
    pub fn into_deferred_document(self) -> Result<Document> {
        match self {
            Value::Document(d) => Ok(d),
            other => Err(Error::Internal(format!("expected a document, got {}", other.kind().name()))),
        }
    }

    /// The subtitles inside.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind (a plugin bug).
    pub fn into_subtitles(self) -> Result<Subtitles> {
        match self {
            Value::Subtitles(s) => Ok(s),
            other => Err(Error::Internal(format!("expected subtitles, got {}", other.kind().name()))),
        }
    }

    /// The raster inside.
    ///
    /// # Errors
    /// [`Error::Internal`] when the value is of another kind: the graph never
    /// routes one there, so this is a plugin bug.
    #[allow(unreachable_patterns)]
    pub fn into_raster(self) -> Result<Raster> {
        match self {
            Value::Raster(r) => Ok(r),
            other => Err(Error::Internal(format!("expected a raster, got {}", other.kind().name()))),
        }
    }
}

/// A raster image: one frame, or several for an animation, all the same size,
/// each fully composited (no partial-frame disposal left to the encoder).
#[derive(Debug, Clone)]
pub struct Raster {
    /// At least one frame.
    pub frames: Vec<Frame>,
    /// Embedded ICC colour profile, kept where the target can hold one.
    pub icc_profile: Option<Vec<u8>>,
    /// Raw EXIF block (TIFF structure, without the `Exif\0\0` prefix). The
    /// orientation has already been applied to the pixels, and is reset to 1 here.
    pub exif: Option<Vec<u8>>,
}

/// One frame of a [`Raster`].
#[derive(Debug, Clone)]
pub struct Frame {
    pub image: DynamicImage,
    /// How long the frame shows in an animation; zero for a still image.
    pub delay: Duration,
}

impl Raster {
    /// A single still image without metadata.
    pub fn still(image: DynamicImage) -> Self {
        Raster { frames: vec![Frame { image, delay: Duration::ZERO }], icc_profile: None, exif: None }
    }

    /// The first frame: the whole image for still targets.
    pub fn first(&self) -> &DynamicImage {
        &self.frames[0].image
    }

    /// The first frame, for a target (`format`, as people name it) that
    /// holds one image: when there are more (an animation's frames, a
    /// document's pages), a note says how many were left out.
    pub fn into_still(self, format: &str, ctx: &Context<'_>) -> DynamicImage {
        let later = self.frames.len().saturating_sub(1);
        if later > 0 {
            ctx.note(format!("{format} holds one image: the first of {} frames was written, the {later} after it were left out", later + 1));
        }
        self.into_first()
    }

    /// Takes the colour profile off for a target that cannot store it
    /// (`why`: "BMP holds none"): a note says so unless the profile
    /// describes sRGB, which is what viewers assume of pixels without one.
    pub fn drop_profile(&mut self, why: &str, ctx: &Context<'_>) {
        if let Some(icc) = self.icc_profile.take() {
            let name = icc_description(&icc).unwrap_or_default();
            if !name.contains("sRGB") {
                let named = if name.is_empty() { String::new() } else { format!(" ({name})") };
                ctx.note(format!("the ICC colour profile{named} was left out: {why}, so the colours are shown as sRGB"));
            }
        }
    }

    /// Consumes the raster, keeping only its first frame.
    pub fn into_first(self) -> DynamicImage {
        self.frames.into_iter().next().map(|f| f.image).unwrap_or_default()
    }

    pub fn width(&self) -> u32 {
        self.first().width()
    }

    pub fn height(&self) -> u32 {
        self.first().height()
    }

    pub fn is_animated(&self) -> bool {
        self.frames.len() > 1
    }

    /// True when any frame has an alpha channel.
    pub fn has_alpha(&self) -> bool {
        self.frames.iter().any(|f| f.image.color().has_alpha())
    }
}

/// The description an ICC profile gives itself (its `desc` tag: ICC v2's
/// ASCII text or v4's first `mluc` record), `None` when it has none.
pub fn icc_description(icc: &[u8]) -> Option<String> {
    let u32_at = |at: usize| icc.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let count = u32_at(128)?.min(1024);
    let (offset, size) = (0..count).find_map(|i| {
        let at = 132 + i * 12;
        (icc.get(at..at + 4)? == b"desc").then(|| Some((u32_at(at + 4)?, u32_at(at + 8)?)))?
    })?;
    let tag = icc.get(offset..offset.checked_add(size)?)?;
    let text = match tag.get(0..4)? {
        b"desc" => {
            let length = tag.get(8..12).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
            String::from_utf8_lossy(tag.get(12..12usize.checked_add(length)?)?).into_owned()
        }
        b"mluc" => {
            let record = tag.get(16..28)?;
            let (length, start) = (u32::from_be_bytes(record[4..8].try_into().ok()?) as usize, u32::from_be_bytes(record[8..12].try_into().ok()?) as usize);
            let units: Vec<u16> = tag.get(start..start.checked_add(length)?)?.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        }
        _ => return None,
    };
    let text = text.trim_matches(char::from(0)).trim().to_string();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod icc_tests {
    use super::icc_description;

    /// A profile of one tag, `desc`, holding `tag`.
    fn profile(tag: &[u8]) -> Vec<u8> {
        let mut icc = vec![0u8; 128];
        icc.extend_from_slice(&1u32.to_be_bytes());
        icc.extend_from_slice(b"desc");
        icc.extend_from_slice(&144u32.to_be_bytes());
        icc.extend_from_slice(&(tag.len() as u32).to_be_bytes());
        icc.extend_from_slice(tag);
        icc
    }

    #[test]
    fn descriptions_of_v2_and_v4_profiles() {
        let mut v2 = b"desc\0\0\0\0".to_vec();
        v2.extend_from_slice(&18u32.to_be_bytes());
        v2.extend_from_slice(b"sRGB IEC61966-2.1\0");
        assert_eq!(icc_description(&profile(&v2)).as_deref(), Some("sRGB IEC61966-2.1"));
        let text: Vec<u8> = "Display P3".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut v4 = b"mluc\0\0\0\0".to_vec();
        v4.extend_from_slice(&1u32.to_be_bytes());
        v4.extend_from_slice(&12u32.to_be_bytes());
        v4.extend_from_slice(b"enUS");
        v4.extend_from_slice(&(text.len() as u32).to_be_bytes());
        v4.extend_from_slice(&28u32.to_be_bytes());
        v4.extend_from_slice(&text);
        assert_eq!(icc_description(&profile(&v4)).as_deref(), Some("Display P3"));
        // Cut, or pointing outside: no description, no panic.
        assert_eq!(icc_description(&profile(&v4)[..150]), None);
        assert_eq!(icc_description(&[0u8; 10]), None);
        let mut lying = profile(&v2);
        lying[140..144].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(icc_description(&lying), None);
    }
}
