//! fileconv: convert files between formats, in-process.
//!
//! ```no_run
//! let png = std::fs::read("photo.png")?;
//! let jpg = fileconv::convert(&png, "png", "jpg")?;
//! std::fs::write("photo.jpg", jpg)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! For options, limits, progress, cancellation and streaming, use an [`Engine`]:
//!
//! ```no_run
//! use fileconv::{Limits, Options};
//! let engine = fileconv::default_engine().with_limits(Limits { max_pixels: 50_000_000, ..Limits::default() });
//! let options = Options::new().with("quality", "80").with("width", "1024");
//! let png = std::fs::read("photo.png")?;
//! let jpg = engine.convert_with(&png, "png", "jpg", &options)?;
//! println!("{}", engine.path("png", "jpg")?); // png --png--> raster --turbojpeg--> jpg
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each format family is a plugin crate behind a cargo feature (`image`,
//! `audio`, `video`, `sheet`, `document`, `pdf`, `subtitle`; all on by default). This crate references every enabled plugin, so their
//! `inventory` registrations are always linked in.

use std::sync::OnceLock;

pub use fileconv_core::*;

/// The plugins compiled in, by feature name.
pub const ENABLED_PLUGINS: &[&str] = &[
    #[cfg(feature = "image")]
    "image",
    #[cfg(feature = "audio")]
    "audio",
    #[cfg(feature = "video")]
    "video",
    #[cfg(feature = "sheet")]
    "sheet",
    #[cfg(feature = "document")]
    "document",
    #[cfg(feature = "pdf")]
    "pdf",
    #[cfg(feature = "subtitle")]
    "subtitle",
];

fn link_plugins() {
    #[cfg(feature = "image")]
    fileconv_image::link();
    #[cfg(feature = "image")]
    fileconv_heif::link();
    #[cfg(feature = "image")]
    fileconv_raw::link();
    #[cfg(feature = "audio")]
    fileconv_audio::link();
    #[cfg(feature = "video")]
    fileconv_video::link();
    #[cfg(feature = "sheet")]
    fileconv_sheet::link();
    #[cfg(feature = "document")]
    fileconv_document::link();
    #[cfg(feature = "pdf")]
    fileconv_pdf::link();
    #[cfg(feature = "subtitle")]
    fileconv_subtitle::link();
}

/// A new engine over every enabled plugin, with default limits.
pub fn default_engine() -> Engine {
    link_plugins();
    Engine::from_inventory()
}

/// A shared engine over every enabled plugin, built on first use.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(default_engine)
}

/// Converts `input`, a file of format `from`, to format `to`, with default
/// options and limits. Formats are file extensions (`png`, `jpg`) or aliases (`jpeg`).
///
/// # Errors
/// [`Error::UnknownFormat`] / [`Error::NoPath`] for unsupported pairs,
/// [`Error::FormatMismatch`] / [`Error::InvalidInput`] for bad input,
/// [`Error::LimitExceeded`] when the input is too large (see [`Limits`]).
pub fn convert(input: &[u8], from: &str, to: &str) -> Result<Vec<u8>> {
    engine().convert(input, from, to)
}

#[doc(hidden)]
pub mod hostile;

/// Harnesses shared by the cargo-fuzz targets under `fuzz/`, the tests that
/// replay their regression inputs on stable, and the benches. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Small limits, so that a fuzzer's bombs fail fast instead of exhausting memory.
    pub fn limits() -> Limits {
        Limits {
            max_input_bytes: 4 << 20,
            max_dimension: 8192,
            max_pixels: 4_000_000,
            max_frames: 64,
            max_memory_bytes: 256 << 20,
            max_pages: 500,
            max_output_bytes: 64 << 20,
            max_cells: 2_000_000,
            max_zip_entries: 1000,
            max_unzipped_bytes: 64 << 20,
            max_zip_ratio: 200,
            // What a render or decode is priced against: work that would
            // take longer is refused (a correct answer), so the fuzzer
            // spends its time on bugs rather than on slow files.
            max_wall_time: Some(std::time::Duration::from_secs(5)),
        }
    }

    /// The engine the harnesses share. cargo-fuzz's panic hook aborts at the
    /// panic, before the engine's `catch_unwind` or a plugin's own guard can
    /// turn it into an error; the hook is replaced by one that only prints,
    /// so a contained panic is judged by its error (an `Internal` error still
    /// fails the run, through `assert_no_bug`, as does an uncaught panic).
    fn fuzz_engine() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(|| {
            std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
            default_engine().with_limits(limits())
        })
    }

    /// Panics when a call failed in a way that only a bug explains (a contained
    /// panic or a broken contract); every other error is a correct answer to bad input.
    pub fn assert_no_bug<T>(result: Result<T>) {
        if let Err(e) = result {
            assert!(e.kind() != ErrorKind::Internal, "internal error: {e}");
        }
    }

    /// Decodes bytes of unknown kind as the format they look like, as a service does
    /// with an upload; bytes with no signature are tried as each signature-less format.
    pub fn decode_any(data: &[u8]) {
        let engine = fuzz_engine();
        let candidates: Vec<&FormatInfo> = match engine.detect(data) {
            Some(f) => vec![f],
            None => engine.formats().iter().copied().filter(|f| f.sniff.is_none()).collect(),
        };
        for format in candidates {
            let decoded = engine.decode(Source::Bytes(data), format.id, &Options::new());
            match decoded {
                // A stream decodes as it is pulled: pull it, within a budget.
                Ok(Value::Audio(audio)) => assert_no_bug(pull(audio.source, 20_000_000)),
                Ok(Value::Table(table)) => assert_no_bug(drain(table)),
                other => assert_no_bug(other),
            }
        }
    }

    /// Pulls up to `budget` samples from a stream.
    fn pull(mut source: Box<dyn AudioSource>, budget: usize) -> Result<()> {
        let mut seen = 0;
        while let Some(chunk) = source.next_chunk()? {
            seen += chunk.len();
            if seen > budget {
                break;
            }
        }
        Ok(())
    }

    /// Reads every row of every sheet.
    fn drain(mut table: Table) -> Result<()> {
        for index in 0..table.sheets.len() {
            table.read_sheet(index, &mut |_| Ok(()))?;
        }
        Ok(())
    }

    /// The first byte picks a readable spreadsheet format; the rest is read
    /// as it and written as JSON, every sheet, every row.
    pub fn decode_sheet(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some(from) = pick_readable(pick, Category::Spreadsheet) {
            assert_no_bug(fuzz_engine().convert(rest, from, "json"));
        }
    }

    /// The first byte picks a readable document format (its low 6 bits; high
    /// bit set: a presentation format); the rest is read as it and written
    /// as HTML, or for PDF with bit 6 set, its first page drawn as PNG.
    pub fn decode_document(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some(from) = document_pick(pick) {
            let to = if from == "pdf" && pick & 0x40 != 0 { "png" } else { "html" };
            assert_no_bug(fuzz_engine().convert(rest, from, to));
        }
    }

    fn document_pick(pick: u8) -> Option<&'static str> {
        let category = if pick & 0x80 != 0 { Category::Presentation } else { Category::Document };
        pick_readable(pick & 0x3f, category)
    }

    /// The format a harness reads its input as (what its first byte picks),
    /// for the regression tests to check that each input still reaches the
    /// reader it was made for as formats are added; `None` for harnesses
    /// that do not pick.
    pub fn picked(target: &str, data: &[u8]) -> Option<&'static str> {
        let &pick = data.first()?;
        match target {
            "decode_sheet" => pick_readable(pick, Category::Spreadsheet),
            "decode_image" => pick_readable(pick, Category::Image),
            "decode_raw" => pick_raw(pick),
            "decode_subtitle" => pick_readable(pick, Category::Subtitle),
            "decode_document" => document_pick(pick),
            "decode_pages" => pages_pick(pick).map(|(format, _)| format),
            _ => None,
        }
    }

    /// The format `decode_pages` reads, and whether it asks for notes pages.
    fn pages_pick(pick: u8) -> Option<(&'static str, bool)> {
        let category = match pick & 0xC0 {
            0xC0 => Category::Spreadsheet,
            0x80 => Category::Presentation,
            _ => Category::Document,
        };
        // A presentation picked with 0x20 also gets its notes pages.
        let (index, notes) = if category == Category::Presentation { (pick & 0x1f, pick & 0x20 != 0) } else { (pick & 0x3f, false) };
        pick_readable(index, category).filter(|f| *f != "pdf").map(|f| (f, notes))
    }

    /// The first byte picks a readable document, presentation (0x80; with
    /// 0x20, notes pages too) or spreadsheet (0xC0) format; the rest is read
    /// as it and written as PDF on its own pages: the readers' page layers
    /// (slides, page flows, sheet grids) and their layout.
    pub fn decode_pages(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some((from, notes)) = pages_pick(pick) {
            let options = if notes { Options::new().with("notes", "true") } else { Options::new() };
            assert_no_bug(fuzz_engine().convert_with(rest, from, "pdf", &options));
        }
    }

    /// The first byte picks a subtitle format; the rest is read as it and
    /// written as the format the second byte picks (shifted by a second
    /// when its high bit is set).
    pub fn decode_subtitle(data: &[u8]) {
        let [pick, target, rest @ ..] = data else { return };
        let (Some(from), Some(to)) = (pick_readable(*pick, Category::Subtitle), pick_readable(*target, Category::Subtitle)) else { return };
        let options = if target & 0x80 != 0 { Options::new().with("shift", "-1") } else { Options::new() };
        assert_no_bug(fuzz_engine().convert_with(rest, from, to, &options));
    }

    /// The first byte picks a readable image format; the rest is decoded as it
    /// and re-encoded to PNG, exercising decoders, transforms and an encoder.
    pub fn decode_image(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some(from) = pick_readable(pick, Category::Image) {
            assert_no_bug(fuzz_engine().convert(rest, from, "png"));
        }
    }

    /// The first byte picks a camera raw format (LibRaw's, which `decode_image`
    /// leaves to this harness); the rest is developed and written as PNG.
    pub fn decode_raw(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some(from) = pick_raw(pick) {
            assert_no_bug(fuzz_engine().convert(rest, from, "png"));
        }
    }

    /// An SVG rendered to PNG: the bytes themselves when they start with
    /// `<`, otherwise a document built from them, two bytes a step, so the
    /// fuzzer explores nesting, references (`use`, masks, clip paths,
    /// patterns, filters) and filter primitives rather than XML syntax.
    pub fn decode_svg(data: &[u8]) {
        if data.first() == Some(&b'<') {
            assert_no_bug(fuzz_engine().convert(data, "svg", "png"));
            return;
        }
        assert_no_bug(fuzz_engine().convert(svg_from_steps(data).as_bytes(), "svg", "png"));
    }

    /// The SVG [`decode_svg`] builds from steps of (operation, argument).
    pub fn svg_from_steps(data: &[u8]) -> String {
        let size = 16 + u32::from(data.first().copied().unwrap_or(0)) * 4;
        let mut svg = format!("<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' width='{size}' height='{size}'>");
        let mut open: Vec<&str> = Vec::new();
        let mut ids = 0u32;
        for step in data.get(1..).unwrap_or(&[]).chunks(2) {
            let (op, arg) = (step[0], u32::from(step.get(1).copied().unwrap_or(0)));
            let target = if ids == 0 { 0 } else { arg % ids };
            match op % 10 {
                0 => {
                    svg.push_str(&format!("<g id='e{ids}' opacity='0.5'>"));
                    ids += 1;
                    open.push("g");
                }
                1 => {
                    if let Some(tag) = open.pop() {
                        svg.push_str(&format!("</{tag}>"));
                    }
                }
                2 => svg.push_str(&format!("<use xlink:href='#e{target}' x='{}'/>", arg % 7)),
                3 => svg.push_str(&format!("<rect width='{arg}' height='{arg}' mask='url(#e{target})' clip-path='url(#e{target})'/>")),
                4 => {
                    svg.push_str(&format!("<mask id='e{ids}'>"));
                    ids += 1;
                    open.push("mask");
                }
                5 => {
                    svg.push_str(&format!("<clipPath id='e{ids}'>"));
                    ids += 1;
                    open.push("clipPath");
                }
                6 => {
                    svg.push_str(&format!("<pattern id='e{ids}' patternUnits='userSpaceOnUse' width='{}' height='{}'>", arg + 1, arg / 2 + 1));
                    ids += 1;
                    open.push("pattern");
                }
                7 => {
                    let primitive = match arg % 6 {
                        0 => format!("<feGaussianBlur stdDeviation='{arg}'/>"),
                        1 => format!("<feMorphology radius='{}'/>", arg / 4),
                        2 => format!("<feTurbulence baseFrequency='0.05' numOctaves='{}'/>", arg % 9),
                        3 => "<feConvolveMatrix order='3' kernelMatrix='1 1 1 1 1 1 1 1 1'/>".to_string(),
                        4 => format!("<feOffset dx='{arg}' result='a'/><feMerge><feMergeNode in='a'/><feMergeNode in='SourceGraphic'/></feMerge>"),
                        _ => format!("<feDropShadow dx='2' dy='2' stdDeviation='{}'/>", arg % 20),
                    };
                    svg.push_str(&format!("<filter id='e{ids}' x='-{arg}' y='-1' width='{}' height='3'>{primitive}</filter>", arg + 1));
                    ids += 1;
                }
                8 => svg.push_str(&format!("<rect width='{size}' height='{size}' filter='url(#e{target})' fill='url(#e{target})'/>")),
                _ => svg.push_str(&format!("<circle r='{arg}' cx='{}' cy='{}' stroke='url(#e{target})'/>", arg / 2, arg / 3)),
            }
        }
        while let Some(tag) = open.pop() {
            svg.push_str(&format!("</{tag}>"));
        }
        svg.push_str("</svg>");
        svg
    }

    /// The first byte picks a readable audio format; the rest is decoded as it
    /// and written as 16-bit WAV, pulling every chunk through the decoder.
    pub fn decode_audio(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some(from) = pick_readable(pick, Category::Audio) {
            assert_no_bug(fuzz_engine().convert(rest, from, "wav"));
        }
    }

    /// The first byte picks a readable video format; the rest is remuxed to
    /// Matroska (even bytes: demuxers and the muxer) or has a frame taken as
    /// PNG (odd bytes: demuxers and decoders).
    pub fn decode_media(data: &[u8]) {
        let Some((&pick, rest)) = data.split_first() else { return };
        if let Some(from) = pick_readable(pick >> 1, Category::Video) {
            assert_no_bug(fuzz_engine().convert(rest, from, if pick & 1 == 0 { "mkv" } else { "png" }));
        }
    }

    /// A 16-bit PCM WAV of interleaved `samples`, for benches and tests that
    /// need long inputs without committing them.
    pub fn pcm16_wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data = (samples.len() * 2) as u32;
        let block = channels * 2;
        let mut wav = Vec::with_capacity(44 + samples.len() * 2);
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt \x10\x00\x00\x00\x01\x00");
        wav.extend_from_slice(&channels.to_le_bytes());
        wav.extend_from_slice(&rate.to_le_bytes());
        wav.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        wav.extend_from_slice(&block.to_le_bytes());
        wav.extend_from_slice(b"\x10\x00data");
        wav.extend_from_slice(&data.to_le_bytes());
        for s in samples {
            wav.extend_from_slice(&s.to_le_bytes());
        }
        wav
    }

    /// The readable format of `category` that `pick` selects (by id order),
    /// `None` when the category has none compiled in.
    /// The formats a harness picks from: readable ones of `category`, camera
    /// raw formats (LibRaw's) apart, in a harness of their own.
    fn readable(category: Category, raw: bool) -> Vec<&'static str> {
        static READABLE: OnceLock<Vec<(Category, bool, &'static str)>> = OnceLock::new();
        let readable = READABLE.get_or_init(|| {
            let engine = fuzz_engine();
            let decoders = |id: &'static str| engine.registry().decoders.iter().filter(move |d| d.format == id);
            engine
                .formats()
                .iter()
                .filter(|f| decoders(f.id).next().is_some())
                .map(|f| (f.category, decoders(f.id).all(|d| d.name == "libraw"), f.id))
                .collect()
        });
        readable.iter().filter(|(c, r, _)| *c == category && *r == raw).map(|(_, _, id)| *id).collect()
    }

    fn pick_readable(pick: u8, category: Category) -> Option<&'static str> {
        pick_of(pick, &readable(category, false))
    }

    fn pick_raw(pick: u8) -> Option<&'static str> {
        pick_of(pick, &readable(Category::Image, true))
    }

    fn pick_of(pick: u8, of: &[&'static str]) -> Option<&'static str> {
        (!of.is_empty()).then(|| of[usize::from(pick) % of.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Formats each plugin registers; the registry must hold exactly these.
    fn expected_formats() -> Vec<&'static str> {
        let mut ids = Vec::new();
        if cfg!(feature = "image") {
            ids.extend([
                "avif", "bmp", "dds", "exr", "gif", "hdr", "heic", "ico", "jpg", "jxl", "pam", "pbm", "pgm", "png", "ppm", "psd", "qoi", "svg",
                "tga", "tiff", "webp",
            ]);
            // Camera RAW, through LibRaw.
            ids.extend(["arw", "cr2", "cr3", "dng", "nef", "orf", "raf", "rw2"]);
        }
        if cfg!(feature = "audio") {
            ids.extend(["aac", "ac3", "aiff", "caf", "flac", "m4a", "mp3", "ogg", "opus", "wav", "wma"]);
        }
        if cfg!(feature = "video") {
            ids.extend(["3gp", "avi", "flv", "m4v", "mkv", "mov", "mp4", "mpeg", "ogv", "ts", "webm", "wmv"]);
        }
        if cfg!(feature = "sheet") {
            ids.extend(["csv", "json", "ods", "tsv", "xls", "xlsb", "xlsm", "xlsx"]);
        }
        if cfg!(feature = "document") {
            ids.extend(["azw3", "doc", "docx", "epub", "html", "md", "mobi", "odp", "odt", "ppt", "pptx", "rtf", "txt"]);
        }
        if cfg!(feature = "pdf") {
            ids.push("pdf");
        }
        if cfg!(feature = "subtitle") {
            ids.extend(["ass", "sbv", "srt", "ssa", "ttml", "vtt"]);
        }
        ids.sort_unstable();
        ids
    }

    #[test]
    fn registered_formats_equal_enabled_plugins() {
        let ids: Vec<&str> = engine().formats().iter().map(|f| f.id).collect();
        assert_eq!(ids, expected_formats());
    }

    #[test]
    fn every_format_id_and_alias_is_unique() {
        let mut names: Vec<String> = engine()
            .formats()
            .iter()
            .flat_map(|f| std::iter::once(f.id).chain(f.aliases.iter().copied()))
            .map(str::to_ascii_lowercase)
            .collect();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total, "a name is used twice");
    }
}
