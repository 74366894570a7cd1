//! fileconv's subtitle formats. Every reader builds a
//! [`fileconv_core::Subtitles`] cue list and every writer takes one, so any
//! format converts to any other, keeping timings, line breaks, bold, italic,
//! underline, colour, speakers and top placement where both formats hold
//! them; a note names what the target cannot hold.
//!
//! | format | read | write |
//! |---|---|---|
//! | srt | SubRip: `<b> <i> <u> <font color>` tags, `{\an8}`, any cue numbering | the same |
//! | vtt | WebVTT: cue settings (`line`), `<v>` speakers, `::cue(.class)` colours, entities | the same, colours as classes in a `STYLE` block |
//! | ass, ssa | styles (font, size, colour, bold, italic, underline, alignment), override tags, `\N` | v4.00+ and v4 scripts |
//! | sbv | YouTube's SubViewer variant: times and text | the same |
//! | ttml | TTML/DFXP: clock, offset, frame and tick times; styles and spans; regions for placement | TTML 2 with styles and two regions |
//! | txt, json | - | the text of the cues; the cues with times in seconds |
//!
//! Text is read as [`fileconv_core::text::decode`] reads it (UTF-8, UTF-16,
//! legacy character sets detected). The `subtitle-timing` transform shifts
//! cues (`shift`) and changes their frame rate (`fps`). A video's subtitle
//! streams become cues in fileconv-video.

pub mod formats;
pub mod markup;
mod timing;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
