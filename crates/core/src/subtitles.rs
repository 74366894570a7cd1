//! [`Subtitles`]: timed text cues, the value subtitle formats (SRT, WebVTT,
//! ASS/SSA, SBV, TTML) and a video's subtitle streams exchange.

/// A subtitle track: cues in the order the file gives them (players sort by
/// time; writers keep this order), and the named styles some formats carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Subtitles {
    pub cues: Vec<Cue>,
    /// Named styles (ASS/SSA `[V4+ Styles]`, TTML `<styling>`), referred to by
    /// [`Cue::style`]. Formats without named styles ignore them.
    pub styles: Vec<SubtitleStyle>,
    /// The track's title, when the file names one (ASS `Title:`, TTML `<ttm:title>`).
    pub title: Option<String>,
    /// The language, as a BCP 47 tag, when the file or stream says.
    pub language: Option<String>,
    /// The width and height style sizes and positions are relative to
    /// (ASS `PlayResX`/`PlayResY`), when the source says.
    pub canvas: Option<(u32, u32)>,
}

/// One cue: text shown from `start_ms` to `end_ms`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cue {
    /// Milliseconds from the start of the media.
    pub start_ms: u64,
    /// Milliseconds from the start of the media; not before `start_ms`.
    pub end_ms: u64,
    /// The name of one of [`Subtitles::styles`], when the source names one.
    pub style: Option<String>,
    /// Who speaks (ASS `Name`, WebVTT `<v>`), when the source says.
    pub speaker: Option<String>,
    /// Shown at the top of the picture instead of the bottom (ASS `\an8`,
    /// WebVTT `line:0`, TTML `tts:displayAlign="before"`).
    pub top: bool,
    /// Lines of styled text, at least one.
    pub lines: Vec<Vec<Span>>,
}

/// A run of text with one style.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    /// Text colour, as RGB.
    pub color: Option<[u8; 3]>,
}

/// A named style.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubtitleStyle {
    pub name: String,
    pub font: Option<String>,
    /// Font size in the format's own unit (ASS: script pixels).
    pub size: Option<f32>,
    pub color: Option<[u8; 3]>,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    /// Shown at the top of the picture.
    pub top: bool,
}

impl Span {
    pub fn plain(text: impl Into<String>) -> Self {
        Span { text: text.into(), ..Span::default() }
    }

    /// True when the two runs have the same style.
    pub fn same_style(&self, other: &Span) -> bool {
        (self.bold, self.italic, self.underline, self.color) == (other.bold, other.italic, other.underline, other.color)
    }
}

impl Cue {
    /// The cue's text without styling, lines joined by `\n`.
    pub fn plain_text(&self) -> String {
        let mut text = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            for span in line {
                text.push_str(&span.text);
            }
        }
        text
    }

    /// True when no line has any text but spaces.
    pub fn is_blank(&self) -> bool {
        self.lines.iter().flatten().all(|span| span.text.trim().is_empty())
    }

    /// Appends `span` to the last line, merging it into the previous run
    /// when both have the same style.
    pub fn push_span(&mut self, span: Span) {
        if self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        let line = self.lines.last_mut().expect("a line");
        match line.last_mut() {
            Some(last) if last.same_style(&span) => last.text.push_str(&span.text),
            _ if span.text.is_empty() => {}
            _ => line.push(span),
        }
    }

    /// Starts a new line.
    pub fn new_line(&mut self) {
        self.lines.push(Vec::new());
    }
}

impl Subtitles {
    /// The style named `name`.
    pub fn style(&self, name: &str) -> Option<&SubtitleStyle> {
        self.styles.iter().find(|s| s.name == name)
    }

    /// True when any cue has styling beyond plain text, or styles exist.
    pub fn is_styled(&self) -> bool {
        !self.styles.is_empty()
            || self.cues.iter().flat_map(|c| c.lines.iter().flatten()).any(|s| s.bold || s.italic || s.underline || s.color.is_some())
    }
}

/// `h:mm:ss.mmm`-style clock text of `ms`: hours at least `hour_digits`
/// wide, `separator` before the milliseconds, `fraction_digits` of them (3
/// for milliseconds, 2 for ASS centiseconds, rounded down).
pub fn clock(ms: u64, hour_digits: usize, separator: char, fraction_digits: u32) -> String {
    let (hours, minutes, seconds, millis) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let fraction = millis / 10u64.pow(3 - fraction_digits.min(3));
    format!("{hours:0hour_digits$}:{minutes:02}:{seconds:02}{separator}{fraction:0width$}", width = fraction_digits as usize)
}

/// Reads a clock `[[h:]mm:]ss[.,]fff`: hours optional, any number of
/// fraction digits (`.5` is half a second). `None` for anything else.
pub fn parse_clock(text: &str) -> Option<u64> {
    let text = text.trim();
    let (whole, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let mut parts = whole.split(':').rev();
    let seconds: u64 = digits(parts.next()?)?;
    let minutes: u64 = parts.next().map_or(Some(0), digits)?;
    let hours: u64 = parts.next().map_or(Some(0), digits)?;
    if parts.next().is_some() || seconds >= 60 && whole.contains(':') || minutes >= 60 && hours > 0 {
        return None;
    }
    if !fraction.is_empty() && !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = fraction.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
    hours.checked_mul(3_600_000)?.checked_add(minutes * 60_000 + seconds * 1000 + millis)
}

fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_and_write() {
        assert_eq!(parse_clock("00:01:02,345"), Some(62_345));
        assert_eq!(parse_clock("1:02:03.4"), Some(3_723_400));
        assert_eq!(parse_clock("02:03.456"), Some(123_456));
        assert_eq!(parse_clock("12.5"), Some(12_500));
        assert_eq!(parse_clock("0:00:61.000"), None);
        assert_eq!(parse_clock("a:00:01"), None);
        assert_eq!(parse_clock("99999999999:00:00"), None);
        assert_eq!(clock(3_723_456, 2, ',', 3), "01:02:03,456");
        assert_eq!(clock(3_723_456, 1, '.', 2), "1:02:03.45");
    }
}
