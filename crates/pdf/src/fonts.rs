//! The fonts PDFs are written with: DejaVu Sans (regular, bold, oblique,
//! bold oblique) and DejaVu Sans Mono, from Debian's `fonts-dejavu-core`,
//! with fallbacks for what DejaVu does not cover (Droid Sans Fallback for
//! Chinese, Japanese and Korean; Symbola for emoji and symbols) when they
//! are installed. Files are found once per process under
//! `$FILECONV_FONT_DIR` (colon-separated), `/usr/share/fonts` and
//! `/usr/local/share/fonts`, read once and kept: every conversion after
//! the first shares them. krilla embeds only the glyphs a PDF uses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fileconv_core::{Error, Result};
use krilla::text::Font;

/// Hebrew, Arabic and their presentation forms: scripts written right to
/// left, which the PDF writer lays out unshaped and the reader gets in
/// drawing order.
pub(crate) fn is_right_to_left(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Faces by role; fallbacks follow [`MONO_BOLD`].
pub const REGULAR: usize = 0;
pub const BOLD: usize = 1;
pub const ITALIC: usize = 2;
pub const BOLD_ITALIC: usize = 3;
pub const MONO: usize = 4;
pub const MONO_BOLD: usize = 5;

const REQUIRED: [&str; 6] = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"];
const FALLBACKS: [&str; 4] = ["DroidSansFallbackFull.ttf", "DroidSansFallback.ttf", "Symbola.ttf", "Symbola_hint.ttf"];

/// A loaded face: krilla's handle for embedding, ttf-parser's for measuring.
pub struct Face {
    pub font: Font,
    parsed: ttf_parser::Face<'static>,
    units_per_em: f32,
    /// Ascender and descender (positive, below the baseline) in ems.
    pub ascent: f32,
    pub descent: f32,
}

impl Face {
    fn load(path: &Path) -> Option<Face> {
        let data: &'static [u8] = Box::leak(std::fs::read(path).ok()?.into_boxed_slice());
        let parsed = ttf_parser::Face::parse(data, 0).ok()?;
        let font = Font::new(krilla::Data::from(data), 0)?;
        let units_per_em = f32::from(parsed.units_per_em());
        Some(Face { ascent: f32::from(parsed.ascender()) / units_per_em, descent: -f32::from(parsed.descender()) / units_per_em, font, parsed, units_per_em })
    }

    /// The glyph of `c` and its advance in ems, when the face has it.
    pub fn glyph(&self, c: char) -> Option<(u16, f32)> {
        let id = self.parsed.glyph_index(c)?;
        let advance = f32::from(self.parsed.glyph_hor_advance(id).unwrap_or(0)) / self.units_per_em;
        Some((id.0, advance))
    }
}

pub struct FontSet {
    pub faces: Vec<Face>,
}

static FONTS: OnceLock<std::result::Result<FontSet, String>> = OnceLock::new();

/// The process's font set, loaded on first use.
///
/// # Errors
/// [`Error::Unsupported`] naming the missing files when DejaVu is not installed.
pub fn fonts() -> Result<&'static FontSet> {
    FONTS.get_or_init(load).as_ref().map_err(|missing| Error::backend("pdf", format!("PDF output needs the DejaVu fonts (Debian: fonts-dejavu-core), or FILECONV_FONT_DIR pointing at them; missing: {missing}")))
}

fn load() -> std::result::Result<FontSet, String> {
    let mut dirs: Vec<PathBuf> = std::env::var("FILECONV_FONT_DIR").map(|v| v.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).collect()).unwrap_or_default();
    dirs.extend(["/usr/share/fonts", "/usr/local/share/fonts"].map(PathBuf::from));
    let mut found: HashMap<String, PathBuf> = HashMap::new();
    for dir in &dirs {
        index(dir, 0, &mut found);
    }
    let mut faces = Vec::new();
    let mut missing = Vec::new();
    for name in REQUIRED {
        match found.get(name).and_then(|p| Face::load(p)) {
            Some(face) => faces.push(face),
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        return Err(missing.join(", "));
    }
    faces.extend(FALLBACKS.iter().filter_map(|name| found.get(*name)).filter_map(|p| Face::load(p)));
    Ok(FontSet { faces })
}

/// Font files by file name, first found wins (the directories are in preference order).
fn index(dir: &Path, depth: usize, found: &mut HashMap<String, PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth < 4 {
                index(&path, depth + 1, found);
            }
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            if name.ends_with(".ttf") || name.ends_with(".otf") {
                found.entry(name.to_string()).or_insert(path);
            }
        }
    }
}

impl FontSet {
    /// The face for a style.
    pub fn styled(bold: bool, italic: bool, mono: bool) -> usize {
        match (mono, bold, italic) {
            (true, false, _) => MONO,
            (true, true, _) => MONO_BOLD,
            (false, false, false) => REGULAR,
            (false, true, false) => BOLD,
            (false, false, true) => ITALIC,
            (false, true, true) => BOLD_ITALIC,
        }
    }

    /// The face, glyph and advance (ems) that draw `c` in `preferred`:
    /// that face, else the regular face, else the first fallback that has
    /// it, else the regular face's missing-glyph box.
    pub fn glyph(&self, preferred: usize, c: char) -> (usize, u16, f32) {
        if let Some((id, advance)) = self.faces[preferred].glyph(c) {
            return (preferred, id, advance);
        }
        for (index, face) in self.faces.iter().enumerate().skip(MONO_BOLD + 1).chain([(REGULAR, &self.faces[REGULAR])]) {
            if let Some((id, advance)) = face.glyph(c) {
                return (index, id, advance);
            }
        }
        let notdef = self.faces[REGULAR].parsed.glyph_hor_advance(ttf_parser::GlyphId(0)).unwrap_or(0);
        (REGULAR, 0, f32::from(notdef) / self.faces[REGULAR].units_per_em)
    }
}
