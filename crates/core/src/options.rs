//! Conversion options: what a caller passes (`quality=85`) and what a plugin
//! declares it accepts. Parsing and validation live here, once.

use std::collections::BTreeMap;
use std::fmt;

use crate::{Error, Result};

/// The type and range of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// A whole number within `min..=max`.
    Integer { min: i64, max: i64 },
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Boolean,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// A colour: `#rgb`, `#rrggbb`, `#rrggbbaa`, or a name (`white`, `black`, `transparent`...).
    Color,
    /// Bits per second within `min..=max`: `192k`, `192000`, `1.5M`.
    Bitrate { min: u64, max: u64 },
    /// A time within `0..=max` seconds: `90`, `1.5`, `01:30`, `00:01:30.250`.
    Seconds { max: u32 },
    /// Free text of at most `max_len` characters (a sheet name, a pattern).
    Text { max_len: usize },
}

/// An option a decoder, encoder, adapter or transform accepts.
#[derive(Debug, PartialEq, Eq)]
pub struct OptionSpec {
    /// camelCase, as in the service's JSON (`sampleRate`).
    pub name: &'static str,
    pub kind: OptionKind,
    /// Value used when the option is not given, in the same syntax as a given value.
    pub default: &'static str,
    pub help: &'static str,
}

impl OptionSpec {
    /// Describes the accepted values, for error messages and listings.
    pub fn valid_values(&self) -> String {
        match self.kind {
            OptionKind::Integer { min, max } => format!("an integer from {min} to {max}"),
            OptionKind::Boolean => "true or false".to_string(),
            OptionKind::Choice(words) => format!("one of {}", words.join(", ")),
            OptionKind::Color => "a colour: #rgb, #rrggbb, #rrggbbaa or a name like white".to_string(),
            OptionKind::Bitrate { min, max } => {
                format!("a bitrate from {}k to {}k bits/s, like 192k or 192000", min / 1000, max / 1000)
            }
            OptionKind::Seconds { max } => format!("a time from 0 to {max} seconds: 90, 1.5, 01:30 or 00:01:30.250"),
            OptionKind::Text { max_len } => format!("text of up to {max_len} characters"),
        }
    }

    fn raw<'a>(&'a self, options: &'a Options) -> &'a str {
        options.get(self.name).unwrap_or(self.default)
    }

    fn invalid(&self, value: &str) -> Error {
        Error::InvalidOption {
            name: self.name.to_string(),
            reason: format!("'{value}' is not valid"),
            valid: self.valid_values(),
        }
    }

    /// Checks that `value` is acceptable for this option.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] with the valid range.
    pub fn validate(&self, value: &str) -> Result<()> {
        let ok = match self.kind {
            OptionKind::Integer { min, max } => value.trim().parse::<i64>().is_ok_and(|v| (min..=max).contains(&v)),
            OptionKind::Boolean => parse_bool(value).is_some(),
            OptionKind::Choice(words) => words.iter().any(|w| w.eq_ignore_ascii_case(value.trim())),
            OptionKind::Color => Rgba::parse(value).is_some(),
            OptionKind::Bitrate { min, max } => parse_bitrate(value).is_some_and(|v| (min..=max).contains(&v)),
            OptionKind::Seconds { max } => parse_seconds(value).is_some_and(|v| v <= f64::from(max)),
            OptionKind::Text { max_len } => value.chars().count() <= max_len,
        };
        if ok { Ok(()) } else { Err(self.invalid(value)) }
    }

    /// The integer value given in `options`, or the default.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the value is not an integer in range.
    pub fn integer(&self, options: &Options) -> Result<i64> {
        let raw = self.raw(options);
        self.validate(raw)?;
        raw.trim().parse().map_err(|_| self.invalid(raw))
    }

    /// Like [`Self::integer`], `None` when the option was not given and has no default.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the value is not an integer in range.
    pub fn integer_opt(&self, options: &Options) -> Result<Option<i64>> {
        if options.get(self.name).is_none() && self.default.is_empty() {
            return Ok(None);
        }
        self.integer(options).map(Some)
    }

    /// # Errors
    /// [`Error::InvalidOption`] when the value is not a boolean.
    pub fn boolean(&self, options: &Options) -> Result<bool> {
        let raw = self.raw(options);
        parse_bool(raw).ok_or_else(|| self.invalid(raw))
    }

    /// The chosen word, as spelled in the spec.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the value is not one of the choices.
    pub fn choice(&self, options: &Options) -> Result<&'static str> {
        let raw = self.raw(options);
        match self.kind {
            OptionKind::Choice(words) => words
                .iter()
                .copied()
                .find(|w| w.eq_ignore_ascii_case(raw.trim()))
                .ok_or_else(|| self.invalid(raw)),
            _ => Err(self.invalid(raw)),
        }
    }

    /// Like [`Self::choice`], `None` when the option was not given and has no default.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the value is not one of the choices.
    pub fn choice_opt(&self, options: &Options) -> Result<Option<&'static str>> {
        if options.get(self.name).is_none() && self.default.is_empty() {
            return Ok(None);
        }
        self.choice(options).map(Some)
    }

    /// # Errors
    /// [`Error::InvalidOption`] when the value is not a colour.
    pub fn color(&self, options: &Options) -> Result<Rgba> {
        let raw = self.raw(options);
        Rgba::parse(raw).ok_or_else(|| self.invalid(raw))
    }

    /// The bitrate in bits per second, `None` when not given and without default.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the value is not a bitrate in range.
    pub fn bitrate(&self, options: &Options) -> Result<Option<u64>> {
        let raw = self.raw(options);
        if raw.is_empty() {
            return Ok(None);
        }
        self.validate(raw)?;
        parse_bitrate(raw).map(Some).ok_or_else(|| self.invalid(raw))
    }

    /// The text given, or the default; `None` when neither is there.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the text is too long.
    pub fn text<'a>(&'a self, options: &'a Options) -> Result<Option<&'a str>> {
        let raw = self.raw(options);
        self.validate(raw)?;
        Ok((!raw.is_empty()).then_some(raw))
    }

    /// The time in seconds, `None` when not given and without default.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when the value is not a time in range.
    pub fn seconds(&self, options: &Options) -> Result<Option<f64>> {
        let raw = self.raw(options);
        if raw.is_empty() {
            return Ok(None);
        }
        self.validate(raw)?;
        parse_seconds(raw).map(Some).ok_or_else(|| self.invalid(raw))
    }
}

/// `192k`, `192000`, `1.5M` (case-insensitive, optional `b`/`bps` suffix) to bits per second.
fn parse_bitrate(value: &str) -> Option<u64> {
    let t = value.trim().to_ascii_lowercase();
    let t = t.strip_suffix("bps").or_else(|| t.strip_suffix('b')).unwrap_or(&t);
    let (number, scale) = match t.as_bytes().last()? {
        b'k' => (&t[..t.len() - 1], 1e3),
        b'm' => (&t[..t.len() - 1], 1e6),
        _ => (t, 1.0),
    };
    let v: f64 = number.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0 && v * scale < 1e12).then(|| (v * scale).round() as u64)
}

/// `90`, `1.5`, `01:30`, `1:02:03.5` to seconds.
fn parse_seconds(value: &str) -> Option<f64> {
    let t = value.trim().trim_end_matches('s');
    let parts: Vec<&str> = t.split(':').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut total = 0.0;
    for (i, part) in parts.iter().enumerate() {
        let v: f64 = part.parse().ok()?;
        let last = i + 1 == parts.len();
        if !v.is_finite() || v < 0.0 || (!last && v.fract() != 0.0) || (i > 0 && v >= 60.0) {
            return None;
        }
        total = total * 60.0 + v;
    }
    Some(total)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Options given by the caller: names to values, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    values: BTreeMap<String, String>,
}

impl Options {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an option; returns `self` for chaining.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when any of `specs` was given.
    pub fn any_of(&self, specs: &[OptionSpec]) -> bool {
        specs.iter().any(|s| self.values.contains_key(s.name))
    }

    /// Parses `KEY=VALUE`, as given on a command line.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] when there is no `=`.
    pub fn parse_pair(pair: &str) -> Result<(String, String)> {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(Error::InvalidOption {
                name: pair.to_string(),
                reason: "expected KEY=VALUE".to_string(),
                valid: "KEY=VALUE".to_string(),
            }),
        }
    }

    /// Checks every given option against the accepted `specs`.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for the first unknown option (listing the
    /// accepted names) or the first out-of-range value (stating the range).
    pub fn validate<'s>(&self, specs: impl IntoIterator<Item = &'s OptionSpec> + Clone) -> Result<()> {
        for (name, value) in self.iter() {
            match specs.clone().into_iter().find(|s| s.name == name) {
                Some(spec) => spec.validate(value)?,
                None => {
                    let mut names: Vec<&str> = specs.clone().into_iter().map(|s| s.name).collect();
                    names.sort_unstable();
                    names.dedup();
                    return Err(Error::InvalidOption {
                        name: name.to_string(),
                        reason: "unknown option for this conversion".to_string(),
                        valid: if names.is_empty() { "none".to_string() } else { names.join(", ") },
                    });
                }
            }
        }
        Ok(())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Options {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Options { values: iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }
}

/// An 8-bit RGBA colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgba(pub [u8; 4]);

impl Rgba {
    pub const WHITE: Rgba = Rgba([255, 255, 255, 255]);

    /// Parses `#rgb`, `#rrggbb`, `#rrggbbaa` (the `#` optional) or a basic colour name.
    pub fn parse(text: &str) -> Option<Rgba> {
        let t = text.trim().to_ascii_lowercase();
        let named = match t.as_str() {
            "white" => Some([255, 255, 255, 255]),
            "black" => Some([0, 0, 0, 255]),
            "transparent" => Some([0, 0, 0, 0]),
            "red" => Some([255, 0, 0, 255]),
            "green" => Some([0, 128, 0, 255]),
            "blue" => Some([0, 0, 255, 255]),
            "gray" | "grey" => Some([128, 128, 128, 255]),
            _ => None,
        };
        if let Some(c) = named {
            return Some(Rgba(c));
        }
        let hex = t.strip_prefix('#').unwrap_or(&t);
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok();
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        match hex.len() {
            3 => Some(Rgba([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17, 255])),
            6 => Some(Rgba([pair(0)?, pair(2)?, pair(4)?, 255])),
            8 => Some(Rgba([pair(0)?, pair(2)?, pair(4)?, pair(6)?])),
            _ => None,
        }
    }
}

impl fmt::Display for Rgba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b, a] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}{a:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUALITY: OptionSpec =
        OptionSpec { name: "quality", kind: OptionKind::Integer { min: 1, max: 100 }, default: "85", help: "" };
    const FIT: OptionSpec =
        OptionSpec { name: "fit", kind: OptionKind::Choice(&["contain", "cover"]), default: "contain", help: "" };

    #[test]
    fn defaults_and_given_values() {
        let none = Options::new();
        assert_eq!(QUALITY.integer(&none).unwrap(), 85);
        let given = Options::new().with("quality", "40").with("fit", "COVER");
        assert_eq!(QUALITY.integer(&given).unwrap(), 40);
        assert_eq!(FIT.choice(&given).unwrap(), "cover");
    }

    #[test]
    fn unknown_option_lists_valid_names() {
        let err = Options::new().with("qualty", "5").validate([&QUALITY, &FIT]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("qualty") && text.contains("fit, quality"), "{text}");
    }

    #[test]
    fn out_of_range_states_range() {
        let err = Options::new().with("quality", "101").validate([&QUALITY]).unwrap_err();
        assert!(err.to_string().contains("from 1 to 100"), "{err}");
        assert!(Options::new().with("quality", "abc").validate([&QUALITY]).is_err());
    }

    #[test]
    fn bitrates_and_times() {
        assert_eq!(parse_bitrate("192k"), Some(192_000));
        assert_eq!(parse_bitrate("1.5M"), Some(1_500_000));
        assert_eq!(parse_bitrate("320000"), Some(320_000));
        assert_eq!(parse_bitrate("128kbps"), Some(128_000));
        assert_eq!(parse_bitrate("fast"), None);
        assert_eq!(parse_bitrate("-5k"), None);
        assert_eq!(parse_seconds("90"), Some(90.0));
        assert_eq!(parse_seconds("01:30"), Some(90.0));
        assert_eq!(parse_seconds("1:02:03.5"), Some(3723.5));
        assert_eq!(parse_seconds("2.5s"), Some(2.5));
        assert_eq!(parse_seconds("1:75"), None);
        assert_eq!(parse_seconds("1::2"), None);
        assert_eq!(parse_seconds("nan"), None);
        let rate = OptionSpec { name: "bitrate", kind: OptionKind::Bitrate { min: 8_000, max: 320_000 }, default: "", help: "" };
        let err = Options::new().with("bitrate", "999k").validate([&rate]).unwrap_err();
        assert!(err.to_string().contains("8k to 320k"), "{err}");
        assert_eq!(rate.bitrate(&Options::new()).unwrap(), None);
    }

    #[test]
    fn colours() {
        assert_eq!(Rgba::parse("#fff"), Some(Rgba::WHITE));
        assert_eq!(Rgba::parse("00ff0080"), Some(Rgba([0, 255, 0, 128])));
        assert_eq!(Rgba::parse("black"), Some(Rgba([0, 0, 0, 255])));
        assert_eq!(Rgba::parse("#12"), None);
        assert_eq!(Rgba::parse("#ééé"), None);
    }
}
