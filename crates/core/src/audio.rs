//! The [`Audio`] value: a pull stream of PCM chunks with its spec and tags.
//! Memory stays bounded whatever the duration: a decoder hands out one chunk at
//! a time and an encoder asks for the next when it is done with the last.

use std::fmt;

use crate::Result;

/// What the samples of a stream are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioSpec {
    /// Frames (one sample per channel) per second.
    pub sample_rate: u32,
    /// Channels, interleaved in each chunk in the usual order (L, R, C, LFE, ...).
    pub channels: u16,
    /// Bits per sample of the source when it was PCM or lossless (8, 16, 24, 32);
    /// `None` for lossy sources. Lossless targets keep it by default.
    pub bits_per_sample: Option<u16>,
}

/// A cover picture.
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    /// `image/jpeg` or `image/png`.
    pub mime: String,
    pub data: Vec<u8>,
}

impl fmt::Debug for Picture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Picture({}, {} bytes)", self.mime, self.data.len())
    }
}

/// A titled span of a recording's timeline, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    pub start: f64,
    pub end: f64,
    pub title: String,
}

/// `chapters` for the part of the timeline from `from` seconds to `to`
/// (a cut): shifted to start at `from`, clipped to the part, and those
/// wholly outside it left out.
pub fn cut_chapters(chapters: &[Chapter], from: f64, to: f64) -> Vec<Chapter> {
    chapters
        .iter()
        .map(|c| Chapter { start: c.start.max(from) - from, end: c.end.min(to) - from, title: c.title.clone() })
        .filter(|c| c.end > c.start)
        .collect()
}

/// Notes that `count` chapters of the source are not written: `format` holds none.
pub fn chapters_left_out(count: usize, format: &str, ctx: &crate::Context<'_>) {
    if count > 0 {
        ctx.note(format!("{count} chapter(s) of the source are left out: {} holds none", format.to_uppercase()));
    }
}

/// Tags carried from source to target wherever both can hold them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    /// Year or full date, as written in the source (`2024`, `2024-05-01`).
    pub date: Option<String>,
    /// Track number, optionally `n/total`.
    pub track: Option<String>,
    pub genre: Option<String>,
    pub comment: Option<String>,
    pub cover: Option<Picture>,
    /// The recording's chapters, in order (M4A and MP3 write them).
    pub chapters: Vec<Chapter>,
}

impl Tags {
    /// The text fields by their common (FFmpeg / Vorbis comment) key.
    pub fn text_fields(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("title", self.title.as_deref()),
            ("artist", self.artist.as_deref()),
            ("album", self.album.as_deref()),
            ("album_artist", self.album_artist.as_deref()),
            ("date", self.date.as_deref()),
            ("track", self.track.as_deref()),
            ("genre", self.genre.as_deref()),
            ("comment", self.comment.as_deref()),
        ]
    }

    /// Sets a field from a key in any of the common spellings (FFmpeg, Vorbis
    /// comments, ID3 frame ids, RIFF INFO ids); unknown keys are ignored.
    /// Empty values are ignored, and a field already set is kept.
    pub fn set_by_key(&mut self, key: &str, value: &str) {
        let value = value.trim_matches(char::from(0)).trim();
        if value.is_empty() {
            return;
        }
        let field = match key.to_ascii_lowercase().as_str() {
            "title" | "tit2" | "inam" | "name" => &mut self.title,
            "artist" | "tpe1" | "iart" | "auth" | "author" => &mut self.artist,
            "album" | "talb" | "iprd" => &mut self.album,
            "album_artist" | "albumartist" | "album artist" | "tpe2" => &mut self.album_artist,
            "date" | "year" | "tdrc" | "tyer" | "icrd" => &mut self.date,
            "track" | "tracknumber" | "trck" | "itrk" | "iprt" => &mut self.track,
            "genre" | "tcon" | "ignr" => &mut self.genre,
            "comment" | "description" | "comm" | "icmt" => &mut self.comment,
            _ => return,
        };
        if field.is_none() {
            *field = Some(value.to_string());
        }
    }
}

/// A chunk of interleaved `f32` samples, nominally within -1.0..=1.0; its
/// length is a whole number of frames.
pub type Samples = Vec<f32>;

/// Hands out an audio stream's samples in order.
pub trait AudioSource: Send {
    /// The next chunk, `None` at the end of the stream.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when the source turns out to be corrupt
    /// part-way, or whatever the stage producing the samples fails with.
    fn next_chunk(&mut self) -> Result<Option<Samples>>;
}

/// A stream of PCM audio.
pub struct Audio {
    pub spec: AudioSpec,
    pub tags: Tags,
    /// Frames in the whole stream when the source tells; used for progress
    /// and preallocation hints only, never trusted for correctness.
    pub total_frames: Option<u64>,
    pub source: Box<dyn AudioSource>,
}

impl fmt::Debug for Audio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audio")
            .field("spec", &self.spec)
            .field("tags", &self.tags)
            .field("total_frames", &self.total_frames)
            .finish_non_exhaustive()
    }
}

impl Audio {
    /// Duration in seconds when the frame count is known.
    pub fn duration(&self) -> Option<f64> {
        self.total_frames.map(|n| n as f64 / f64::from(self.spec.sample_rate.max(1)))
    }

    /// Reads the whole stream into memory; for tests and small clips only.
    ///
    /// # Errors
    /// What [`AudioSource::next_chunk`] fails with.
    pub fn collect_samples(mut self) -> Result<(AudioSpec, Samples)> {
        let mut all = Vec::new();
        while let Some(chunk) = self.source.next_chunk()? {
            all.extend_from_slice(&chunk);
        }
        Ok((self.spec, all))
    }
}

/// An in-memory [`AudioSource`]: hands its samples out in chunks of `chunk` frames.
pub struct MemorySource {
    samples: Samples,
    position: usize,
    chunk_len: usize,
}

impl MemorySource {
    pub fn new(samples: Samples, channels: u16, chunk_frames: usize) -> Self {
        MemorySource { samples, position: 0, chunk_len: chunk_frames.max(1) * usize::from(channels.max(1)) }
    }
}

impl AudioSource for MemorySource {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        if self.position >= self.samples.len() {
            return Ok(None);
        }
        let end = (self.position + self.chunk_len).min(self.samples.len());
        let chunk = self.samples[self.position..end].to_vec();
        self.position = end;
        Ok(Some(chunk))
    }
}

/// Runs `source` on its own thread, up to `depth` batches ahead of the
/// consumer, so decoding overlaps encoding on a second core. Small chunks
/// (an MP3 frame is 1152 samples) are joined into batches of at least
/// [`READ_AHEAD_BATCH`] samples, so threads hand over rarely. Memory grows by
/// at most `depth + 1` batches. Dropping the returned source stops the thread
/// at its next chunk; a panic there is reported as [`crate::Error::Internal`].
pub fn read_ahead(source: Box<dyn AudioSource>, depth: usize) -> Box<dyn AudioSource> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<Samples>>>(depth.max(1));
    let spawned = std::thread::Builder::new().name("fileconv-decode".into()).spawn(move || {
        let mut source = source;
        let mut batch: Samples = Vec::new();
        loop {
            let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| source.next_chunk()))
                .unwrap_or_else(|p| Err(crate::Error::Internal(format!("the audio decoder panicked: {}", crate::panic_text(&*p)))));
            let message = match next {
                Ok(Some(chunk)) => {
                    if batch.is_empty() {
                        batch = chunk;
                    } else {
                        batch.extend_from_slice(&chunk);
                    }
                    if batch.len() < READ_AHEAD_BATCH {
                        continue;
                    }
                    Ok(Some(std::mem::take(&mut batch)))
                }
                Ok(None) if !batch.is_empty() => {
                    if tx.send(Ok(Some(std::mem::take(&mut batch)))).is_err() {
                        return;
                    }
                    Ok(None)
                }
                other => other,
            };
            let end = !matches!(message, Ok(Some(_)));
            if tx.send(message).is_err() || end {
                return;
            }
        }
    });
    match spawned {
        Ok(_) => Box::new(ReadAhead { rx, done: false }),
        // No thread to be had: the consumer will see an error, not a hang.
        Err(e) => Box::new(ReadAhead::failed(e)),
    }
}

/// Samples per batch handed between threads by [`read_ahead`] (128 KB of `f32`).
pub const READ_AHEAD_BATCH: usize = 32_768;

struct ReadAhead {
    rx: std::sync::mpsc::Receiver<Result<Option<Samples>>>,
    done: bool,
}

impl ReadAhead {
    fn failed(e: std::io::Error) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let _ = tx.send(Err(crate::Error::Io(e)));
        ReadAhead { rx, done: false }
    }
}

impl AudioSource for ReadAhead {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        if self.done {
            return Ok(None);
        }
        match self.rx.recv() {
            Ok(Ok(Some(chunk))) => Ok(Some(chunk)),
            Ok(other) => {
                self.done = true;
                other
            }
            Err(_) => {
                self.done = true;
                Err(crate::Error::Internal("the audio decoder thread stopped".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Panics;

    impl AudioSource for Panics {
        fn next_chunk(&mut self) -> Result<Option<Samples>> {
            panic!("decoder bug")
        }
    }

    #[test]
    fn read_ahead_hands_out_every_sample_in_order() {
        let samples: Samples = (0..100_003).map(|i| i as f32).collect();
        let mut ahead = read_ahead(Box::new(MemorySource::new(samples.clone(), 1, 1152)), 2);
        let mut got = Vec::new();
        while let Some(chunk) = ahead.next_chunk().unwrap() {
            assert!(chunk.len() >= READ_AHEAD_BATCH || got.len() + chunk.len() == samples.len(), "small batch");
            got.extend(chunk);
        }
        assert_eq!(got, samples);
        assert!(ahead.next_chunk().unwrap().is_none(), "stays ended");
    }

    #[test]
    fn read_ahead_reports_a_panic_and_stops_when_dropped() {
        let mut ahead = read_ahead(Box::new(Panics), 2);
        assert!(matches!(ahead.next_chunk(), Err(crate::Error::Internal(_))));
        // Dropping a consumer early must not block the producer forever.
        let endless = MemorySource::new(vec![0.0; 10_000_000], 2, 4096);
        let mut ahead = read_ahead(Box::new(endless), 1);
        ahead.next_chunk().unwrap();
        drop(ahead);
    }
}
