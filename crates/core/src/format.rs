//! File formats as the registry knows them.

/// The family a format belongs to; used for listing and grouping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    Image,
    Audio,
    Video,
    Document,
    Spreadsheet,
    Presentation,
}

impl Category {
    /// Lower-case name, as used in JSON listings.
    pub fn name(self) -> &'static str {
        match self {
            Category::Image => "image",
            Category::Audio => "audio",
            Category::Video => "video",
            Category::Document => "document",
            Category::Spreadsheet => "spreadsheet",
            Category::Presentation => "presentation",
        }
    }
}

/// A file format, submitted by a plugin with `inventory::submit!`.
#[derive(Debug)]
pub struct FormatInfo {
    /// Canonical id: the usual file extension, lower case (`jpg`, `tiff`).
    pub id: &'static str,
    /// Other names accepted for it (`jpeg`, `tif`).
    pub aliases: &'static [&'static str],
    /// Human-readable name.
    pub name: &'static str,
    /// MIME type of files of this format.
    pub mime: &'static str,
    pub category: Category,
    /// Recognises the format from the first bytes of a file. `None` when the
    /// format has no reliable signature (TGA); such formats are never detected,
    /// only trusted when claimed.
    pub sniff: Option<fn(&[u8]) -> bool>,
}

inventory::collect!(FormatInfo);

impl FormatInfo {
    /// True when `name` (any case) is the id or one of the aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.id.eq_ignore_ascii_case(name) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// True when the bytes carry this format's signature.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        self.sniff.is_some_and(|sniff| sniff(bytes))
    }
}
