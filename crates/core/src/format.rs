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
    Subtitle,
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
            Category::Subtitle => "subtitle",
        }
    }
}

/// A container several formats share. Its signature says the bytes are that
/// kind of file, whatever the brand or first entry inside claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Container {
    /// ISO base media (`ftyp`): mp4, m4a, m4v, mov, 3gp.
    IsoBmff,
    /// Matroska's EBML: mkv, mka, webm.
    Ebml,
    /// Ogg pages: Vorbis, Opus, FLAC, Theora.
    Ogg,
    /// Microsoft's ASF: wma, wmv.
    Asf,
    /// A zip package: OOXML, OpenDocument, EPUB.
    Zip,
    /// A TIFF file: TIFF itself and the camera raw formats built on it (DNG, CR2, NEF, ARW).
    Tiff,
}

impl Container {
    /// True when `bytes` start like this container.
    pub fn matches(self, bytes: &[u8]) -> bool {
        use crate::sniff::starts_with;
        match self {
            Container::IsoBmff => {
                bytes.len() >= 12
                    && matches!(&bytes[4..8], b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot")
            }
            Container::Ebml => starts_with(bytes, &[0x1A, 0x45, 0xDF, 0xA3]),
            Container::Ogg => starts_with(bytes, b"OggS"),
            Container::Asf => starts_with(bytes, &crate::sniff::ASF),
            Container::Zip => starts_with(bytes, b"PK\x03\x04"),
            Container::Tiff => [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"].iter().any(|m| starts_with(bytes, *m)),
        }
    }

    /// True when the formats inside differ only by a label (a brand, a doc
    /// type) that one demuxer reads past, so a claim of any member is honoured
    /// for a file of another. False for zip packages, whose entries say
    /// truly different content.
    pub fn labels_only(self) -> bool {
        !matches!(self, Container::Zip)
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
    /// The container the format lives in, when others share it.
    pub container: Option<Container>,
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
