//! One file per format: its [`fileconv_core::FormatInfo`], its reader and
//! writer, and their registrations. What they share is here.

use std::borrow::Cow;
use std::io::Write;

use fileconv_core::{Context, Cue, Error, Input, Result, Subtitles};

mod ass;
mod json;
mod sbv;
mod srt;
mod ttml;
mod txt;
mod vtt;

pub use ass::{read_script, subtitles_of, Script};

/// Relative costs.
pub const READ: u32 = 10;
pub const WRITE: u32 = 10;

/// Bytes of memory one cue is charged besides its text: the cue, its line
/// and span vectors.
const CUE_OVERHEAD: u64 = 160;

/// The input as text with `\n` line ends (see [`fileconv_core::text::decode`]).
///
/// # Errors
/// [`Error::InvalidInput`] for empty or binary input.
pub fn text<'a>(input: &Input<'a>, format: &str, ctx: &Context<'_>) -> Result<Cow<'a, str>> {
    let text = fileconv_core::text::decode(input.bytes, format, ctx)?;
    Ok(if text.contains('\r') { Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n")) } else { text })
}

/// Collects cues as a reader finds them, charging each to the memory
/// budget, so a file of millions of tiny cues stops at the limit.
pub struct CueList<'c, 'a> {
    pub subtitles: Subtitles,
    ctx: &'c Context<'a>,
    /// Cues whose end came before their start (shown for no time).
    reversed: usize,
}

impl<'c, 'a> CueList<'c, 'a> {
    pub fn new(ctx: &'c Context<'a>) -> Self {
        CueList { subtitles: Subtitles::default(), ctx, reversed: 0 }
    }

    /// Adds `cue`; an end before the start becomes the start.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past the memory budget.
    pub fn push(&mut self, mut cue: Cue) -> Result<()> {
        let text: usize = cue.lines.iter().flatten().map(|s| s.text.len()).sum();
        self.ctx.charge_memory(CUE_OVERHEAD + text as u64, "memory for subtitle cues (bytes)")?;
        if cue.end_ms < cue.start_ms {
            cue.end_ms = cue.start_ms;
            self.reversed += 1;
        }
        self.subtitles.cues.push(cue);
        Ok(())
    }

    /// The cues read, or an error naming `format` when there are none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no cue was found.
    pub fn finish(self, format: &str) -> Result<Subtitles> {
        if self.subtitles.cues.is_empty() {
            return Err(Error::invalid_input(format, "no subtitle cues found"));
        }
        if self.reversed > 0 {
            self.ctx.note(format!("{} cues end before they start; they were read as ending at their start", self.reversed));
        }
        Ok(self.subtitles)
    }
}

/// What a target format can hold of a [`Subtitles`] value.
#[derive(Clone, Copy)]
pub struct Holds {
    pub name: &'static str,
    /// Bold, italic, underline.
    pub emphasis: bool,
    pub color: bool,
    /// Named styles with fonts and sizes.
    pub styles: bool,
    pub speakers: bool,
    pub top: bool,
}

/// Notes what `target` cannot hold of `subtitles`: the one place that
/// says what a subtitle conversion dropped.
pub fn note_losses(subtitles: &Subtitles, target: Holds, ctx: &Context<'_>) {
    let spans = || subtitles.cues.iter().flat_map(|c| c.lines.iter().flatten());
    let count = |test: &dyn Fn(&Cue) -> bool| subtitles.cues.iter().filter(|c| test(c)).count();
    let mut lost = Vec::new();
    if !target.emphasis && spans().any(|s| s.bold || s.italic || s.underline) {
        lost.push("bold, italic and underline".to_string());
    }
    if !target.color && spans().any(|s| s.color.is_some()) {
        lost.push("text colours".to_string());
    }
    let styled = subtitles.styles.iter().filter(|s| s.font.is_some() || s.size.is_some()).count();
    if !target.styles && styled > 0 {
        lost.push(format!("the fonts and sizes of {styled} styles"));
    }
    let speakers = count(&|c| c.speaker.is_some());
    if !target.speakers && speakers > 0 {
        lost.push(format!("the speaker names of {speakers} cues"));
    }
    let top = count(&|c| c.top);
    if !target.top && top > 0 {
        lost.push(format!("the top placement of {top} cues"));
    }
    if !lost.is_empty() {
        ctx.note(format!("{} cannot hold {}; they were left out", target.name, lost.join(", ")));
    }
}

/// Writes `text` to `out`.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_all(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes()).map_err(Error::from)
}

/// The cues worth writing: those with text.
pub fn shown(subtitles: &Subtitles) -> impl Iterator<Item = &Cue> {
    subtitles.cues.iter().filter(|c| !c.is_blank())
}
