//! Zip containers (XLSX, XLSM, ODS, and later DOCX, EPUB, PPTX) opened
//! safely, in one place.
//!
//! [`open`] reads the central directory and refuses the archive, before a
//! byte is inflated, when its entry count, the sum of its declared sizes or
//! one entry's expansion ratio passes the [`Limits`]. The declared sizes can
//! be trusted after that: `zip` stops any entry that inflates past its
//! declared size with an error, so a lying header cannot get round the check.
//! Only stored and deflated entries are accepted (what office formats use).
//!
//! [`Package`] writes such containers (ODS, DOCX, ODT, EPUB) into a
//! size-limited [`Spool`]; [`xml`] holds the quick-xml helpers their readers
//! share, [`tree`] the roxmltree ones of the readers of page layouts.

pub mod tree;
pub mod xml;

use std::io::{Read, Seek, Write};

use fileconv_core::{Error, Limits, Result, Spool};
pub use quick_xml;
pub use roxmltree;
pub use zip;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Entries smaller than this are never refused for their ratio: small XML
/// parts of long runs of spaces legitimately compress a hundredfold.
const RATIO_FLOOR: u64 = 1 << 20;

/// Opens a zip archive after checking it against `limits`.
///
/// # Errors
/// [`Error::InvalidInput`] naming `format` when the bytes are not a readable
/// zip or use a compression method other than stored or deflate;
/// [`Error::LimitExceeded`] for too many entries, too many bytes once
/// inflated, or an entry inflating more than `max_zip_ratio` times.
pub fn open<R: Read + Seek>(reader: R, limits: &Limits, format: &str) -> Result<ZipArchive<R>> {
    let mut archive = ZipArchive::new(reader).map_err(|e| Error::invalid_input(format, format!("not a readable zip container: {e}")))?;
    let entries = archive.len() as u64;
    if entries > limits.max_zip_entries {
        return Err(Error::limit("zip entries", limits.max_zip_entries, entries));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| Error::invalid_input(format, format!("zip entry {i}: {e}")))?;
        match entry.compression() {
            CompressionMethod::Stored | CompressionMethod::Deflated => {}
            other => {
                return Err(Error::invalid_input(format, format!("zip entry {i} uses {other}, not stored or deflate")));
            }
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if total > limits.max_unzipped_bytes {
            return Err(Error::limit("unzipped size (bytes)", limits.max_unzipped_bytes, total));
        }
        if size > RATIO_FLOOR && size / packed.max(1) > limits.max_zip_ratio {
            return Err(Error::limit("zip expansion ratio", limits.max_zip_ratio, size / packed.max(1)));
        }
    }
    Ok(archive)
}

/// Inflates the entry `name` whole (its size was bounded by [`open`]).
///
/// # Errors
/// [`Error::InvalidInput`] when the entry is missing or corrupt.
pub fn read_entry<R: Read + Seek>(archive: &mut ZipArchive<R>, name: &str, format: &str) -> Result<Vec<u8>> {
    let mut entry = archive.by_name(name).map_err(|e| Error::invalid_input(format, format!("'{name}': {e}")))?;
    let mut data = Vec::with_capacity(entry.size().min(64 << 20) as usize);
    entry.read_to_end(&mut data).map_err(|e| Error::invalid_input(format, format!("'{name}': {e}")))?;
    Ok(data)
}

/// Inflates the entry `name` when the archive has it (an optional part:
/// styles, numbering, metadata), `None` when it does not.
///
/// # Errors
/// [`Error::InvalidInput`] when the entry is corrupt.
pub fn read_optional<R: Read + Seek>(archive: &mut ZipArchive<R>, name: &str, format: &str) -> Result<Option<Vec<u8>>> {
    match archive.index_for_name(name) {
        Some(_) => read_entry(archive, name, format).map(Some),
        None => Ok(None),
    }
}

/// For sniffers: true when `bytes` is a zip whose entry `name` (of at most
/// 64 KiB) contains `needle`. Never fails: anything unreadable is `false`.
pub fn entry_contains(bytes: &[u8], name: &str, needle: &[u8]) -> bool {
    const MAX: u64 = 64 << 10;
    let Ok(mut archive) = ZipArchive::new(std::io::Cursor::new(bytes)) else { return false };
    let Ok(entry) = archive.by_name(name) else { return false };
    if entry.size() > MAX {
        return false;
    }
    let mut data = Vec::new();
    if entry.take(MAX).read_to_end(&mut data).is_err() {
        return false;
    }
    data.windows(needle.len()).any(|w| w == needle)
}

/// A path inside a package: `href` (a relationship target, a manifest or
/// `src` reference; percent-escapes decoded, `#fragment` dropped) taken
/// relative to the folder `base_dir`, or from the root when it starts with `/`.
pub fn resolve(base_dir: &str, href: &str) -> String {
    let href = percent_decode(href.split('#').next().unwrap_or(""));
    let mut parts: Vec<&str> = if href.starts_with('/') { Vec::new() } else { base_dir.split('/').filter(|p| !p.is_empty()).collect() };
    for piece in href.split('/') {
        match piece {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A zip container being written, entries deflated at a fast level unless
/// stored, into a spool that stops at the output limit.
pub struct Package {
    zip: ZipWriter<Spool>,
    format: &'static str,
}

impl Package {
    pub fn new(limits: &Limits, format: &'static str) -> Self {
        Package { zip: ZipWriter::new(Spool::with_limit(limits.max_output_bytes)), format }
    }

    fn error(&self, e: zip::result::ZipError) -> Error {
        match e {
            zip::result::ZipError::Io(io) => Error::Io(io),
            other => Error::backend(self.format, other),
        }
    }

    /// Adds an entry stored uncompressed (an OpenDocument or EPUB `mimetype`, which must come first).
    ///
    /// # Errors
    /// [`Error::Io`] when the spool refuses the bytes.
    pub fn stored(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        self.zip.start_file(name, options).map_err(|e| self.error(e))?;
        Ok(self.zip.write_all(bytes)?)
    }

    /// Starts a deflated entry; write its bytes into the returned writer.
    ///
    /// # Errors
    /// [`Error::Io`] when the spool refuses the bytes.
    pub fn start(&mut self, name: &str) -> Result<&mut impl Write> {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).compression_level(Some(1));
        self.zip.start_file(name, options).map_err(|e| self.error(e))?;
        Ok(&mut self.zip)
    }

    /// Adds a deflated entry.
    ///
    /// # Errors
    /// As [`Package::start`].
    pub fn file(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        Ok(self.start(name)?.write_all(bytes)?)
    }

    /// Finishes the archive and copies it into `out`.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when the archive passed `max_output_bytes`;
    /// [`Error::Io`] when writing fails.
    pub fn finish(self, out: &mut dyn Write) -> Result<()> {
        let format = self.format;
        let spool = self.zip.finish().map_err(|e| match e {
            zip::result::ZipError::Io(io) => Error::Io(io),
            other => Error::backend(format, other),
        })?;
        if spool.exceeded() {
            return Err(Error::limit("output size (bytes)", spool.limit(), spool.limit()));
        }
        spool.copy_to(out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    fn archive(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_a_plain_archive() {
        let bytes = archive(&[("a.xml", b"<a/>".to_vec())]);
        let mut zip = open(Cursor::new(&bytes), &Limits::default(), "xlsx").unwrap();
        assert_eq!(read_entry(&mut zip, "a.xml", "xlsx").unwrap(), b"<a/>");
        assert!(matches!(read_entry(&mut zip, "b.xml", "xlsx"), Err(Error::InvalidInput { .. })));
    }

    #[test]
    fn refuses_bombs_before_inflating() {
        let bomb = archive(&[("sheet.xml", vec![b' '; 50 << 20])]);
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        let err = open(Cursor::new(&bomb), &Limits::default(), "xlsx").unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { what: "zip expansion ratio", .. }), "{err}");
        let small = Limits { max_unzipped_bytes: 1000, ..Limits::default() };
        let plain = archive(&[("a", vec![b'x'; 600]), ("b", vec![b'y'; 600])]);
        assert!(matches!(open(Cursor::new(&plain), &small, "ods"), Err(Error::LimitExceeded { what: "unzipped size (bytes)", .. })));
        let few = Limits { max_zip_entries: 1, ..Limits::default() };
        assert!(matches!(open(Cursor::new(&plain), &few, "ods"), Err(Error::LimitExceeded { what: "zip entries", .. })));
    }

    #[test]
    fn a_lying_size_stops_at_the_declared_size() {
        let mut bytes = archive(&[("a", vec![b'x'; 5000])]);
        // Declare 10 bytes in the central directory: reading stops there.
        let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
        let mut zip = open(Cursor::new(&bytes), &Limits::default(), "xlsx").unwrap();
        assert!(read_entry(&mut zip, "a", "xlsx").is_err());
    }

    #[test]
    fn sniffs_inside_an_entry() {
        let bytes = archive(&[("[Content_Types].xml", b"<Types>sheet.macroEnabled.main+xml</Types>".to_vec())]);
        assert!(entry_contains(&bytes, "[Content_Types].xml", b"macroEnabled"));
        assert!(!entry_contains(&bytes, "[Content_Types].xml", b"binary"));
        assert!(!entry_contains(&bytes, "other", b"x"));
        assert!(!entry_contains(b"PK\x03\x04junk", "a", b"x"));
    }

    #[test]
    fn resolves_package_paths() {
        assert_eq!(resolve("word/", "media/image1.png"), "word/media/image1.png");
        assert_eq!(resolve("word", "../media/a.png"), "media/a.png");
        assert_eq!(resolve("word/", "/word/media/b.png"), "word/media/b.png");
        assert_eq!(resolve("EPUB/text", "../media/a%20b.png#x"), "EPUB/media/a b.png");
        assert_eq!(resolve("", "OEBPS/content.opf"), "OEBPS/content.opf");
        assert_eq!(resolve("a", "%e2%82"), "a/\u{fffd}");
    }

    #[test]
    fn garbage_is_invalid_input() {
        assert!(matches!(open(Cursor::new(b"PK\x03\x04garbage"), &Limits::default(), "xlsx"), Err(Error::InvalidInput { .. })));
    }
}
