//! The fonts PDFs are written with: DejaVu Sans (regular, bold, oblique,
//! bold oblique) and DejaVu Sans Mono, from Debian's `fonts-dejavu-core`,
//! with fallbacks for what DejaVu does not cover (Droid Sans Fallback for
//! Chinese, Japanese and Korean; Symbola for emoji and symbols) when they
//! are installed. Files are found once per process under
//! `$FILECONV_FONT_DIR` (colon-separated), `/usr/share/fonts` and
//! `/usr/local/share/fonts`; each face is read when a conversion first
//! draws with it (a fallback when a character is missing from the faces
//! before it) and kept: every conversion after the first shares them. Documents that name their fonts (slides) are
//! drawn in the installed family that stands in for each, by the one
//! substitution table [`SUBSTITUTES`] (metric-compatible families first:
//! Liberation for Arial, Times New Roman and Courier New, Carlito for
//! Calibri, Caladea for Cambria), loaded on first use; the rest in DejaVu.
//! krilla embeds only the glyphs a PDF uses. Text
//! is shaped with rustybuzz (kerning, ligatures, Arabic joining, marks),
//! each run of characters in the face that has them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fileconv_core::{Error, Result};
use krilla::text::Font;

/// Hebrew, Arabic and their presentation forms: scripts written right to
/// left, which the PDF reader gets in drawing order.
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

/// Where the faces of substitute families are numbered from.
pub const FAMILY_FACES: usize = 64;

/// A family that stands in for the names documents ask for (lowercase):
/// its files for regular, bold, italic and bold italic.
pub struct Substitute {
    pub family: &'static str,
    pub files: [&'static str; 4],
    pub stands_for: &'static [&'static str],
}

/// The substitution table. Names not in it are drawn in DejaVu Sans (as
/// fontconfig picks on Debian), names of monospaced families in DejaVu
/// Sans Mono. `FILECONV_FONT_SUBSTITUTES="Segoe UI=Carlito;Georgia=Liberation Serif"`
/// adds or overrides entries for one process.
pub const SUBSTITUTES: &[Substitute] = &[
    Substitute {
        family: "Liberation Sans",
        files: ["LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf", "LiberationSans-BoldItalic.ttf"],
        stands_for: &["liberation sans", "arial", "helvetica", "arimo", "helvetica neue", "arial unicode ms"],
    },
    Substitute {
        family: "Liberation Serif",
        files: ["LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf"],
        stands_for: &["liberation serif", "times new roman", "times", "tinos", "times roman"],
    },
    Substitute {
        family: "Liberation Mono",
        files: ["LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf", "LiberationMono-Italic.ttf", "LiberationMono-BoldItalic.ttf"],
        stands_for: &["liberation mono", "courier new", "courier", "cousine"],
    },
    Substitute { family: "Carlito", files: ["Carlito-Regular.ttf", "Carlito-Bold.ttf", "Carlito-Italic.ttf", "Carlito-BoldItalic.ttf"], stands_for: &["carlito", "calibri", "calibri light"] },
    Substitute { family: "Caladea", files: ["Caladea-Regular.ttf", "Caladea-Bold.ttf", "Caladea-Italic.ttf", "Caladea-BoldItalic.ttf"], stands_for: &["caladea", "cambria"] },
    Substitute {
        family: "DejaVu Serif",
        files: ["DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"],
        stands_for: &["dejavu serif", "georgia", "garamond", "book antiqua", "palatino", "palatino linotype", "constantia", "century schoolbook", "bookman old style"],
    },
];

/// Monospaced families without a metric-compatible stand-in: DejaVu Sans Mono.
const MONOSPACED: &[&str] = &["dejavu sans mono", "consolas", "lucida console", "monaco", "menlo", "andale mono", "source code pro"];

/// The family a document's font name is drawn in: `Some(index into
/// SUBSTITUTES)`, `None` for DejaVu Sans; and whether it is monospaced.
fn substitute(name: &str) -> (Option<usize>, bool) {
    static OVERRIDES: OnceLock<HashMap<String, String>> = OnceLock::new();
    let overrides = OVERRIDES.get_or_init(|| {
        std::env::var("FILECONV_FONT_SUBSTITUTES")
            .unwrap_or_default()
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .map(|(from, to)| (from.trim().to_lowercase(), to.trim().to_lowercase()))
            .collect()
    });
    let wanted = name.trim().to_lowercase();
    let wanted = overrides.get(&wanted).cloned().unwrap_or(wanted);
    if let Some(index) = SUBSTITUTES.iter().position(|s| s.family.eq_ignore_ascii_case(&wanted) || s.stands_for.contains(&wanted.as_str())) {
        return (Some(index), false);
    }
    (None, MONOSPACED.contains(&wanted.as_str()))
}

/// A loaded face: krilla's handle for embedding, ttf-parser's for
/// looking glyphs up, rustybuzz's for shaping.
pub struct Face {
    pub font: Font,
    parsed: ttf_parser::Face<'static>,
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
    /// Ascender and descender (positive, below the baseline) in ems.
    pub ascent: f32,
    pub descent: f32,
}

impl Face {
    fn load(path: &Path) -> Option<Face> {
        let data: &'static [u8] = Box::leak(std::fs::read(path).ok()?.into_boxed_slice());
        let parsed = ttf_parser::Face::parse(data, 0).ok()?;
        let shaper = rustybuzz::Face::from_slice(data, 0)?;
        let font = Font::new(krilla::Data::from(data), 0)?;
        let units_per_em = f32::from(parsed.units_per_em());
        Some(Face { ascent: f32::from(parsed.ascender()) / units_per_em, descent: -f32::from(parsed.descender()) / units_per_em, font, parsed, shaper, units_per_em })
    }

    /// The glyph of `c` and its advance in ems, when the face has it.
    pub fn glyph(&self, c: char) -> Option<(u16, f32)> {
        let id = self.parsed.glyph_index(c)?;
        let advance = f32::from(self.parsed.glyph_hor_advance(id).unwrap_or(0)) / self.units_per_em;
        Some((id.0, advance))
    }
}

pub struct FontSet {
    /// DejaVu's faces by role, then the fallbacks installed, each loaded
    /// on first use (the regular face at once: it draws what nothing else can).
    faces: Vec<(PathBuf, OnceLock<Option<Face>>)>,
    /// Font files found, by file name.
    files: HashMap<String, PathBuf>,
    /// The faces of [`SUBSTITUTES`], four per family, loaded on first use.
    family_faces: Vec<OnceLock<Option<Face>>>,
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
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|name| !found.contains_key(*name)).collect();
    if !missing.is_empty() {
        return Err(missing.join(", "));
    }
    let faces: Vec<(PathBuf, OnceLock<Option<Face>>)> = REQUIRED.iter().chain(&FALLBACKS).filter_map(|name| found.get(*name)).map(|path| (path.clone(), OnceLock::new())).collect();
    if faces[REGULAR].1.get_or_init(|| Face::load(&faces[REGULAR].0)).is_none() {
        return Err(format!("{} (unreadable)", REQUIRED[REGULAR]));
    }
    let family_faces = (0..SUBSTITUTES.len() * 4).map(|_| OnceLock::new()).collect();
    Ok(FontSet { faces, files: found, family_faces })
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
    /// The face with index `index` (a base face, or a substitute family's
    /// that [`FontSet::face_for`] handed out).
    pub fn face(&self, index: usize) -> &Face {
        let face = match index.checked_sub(FAMILY_FACES) {
            None => self.base(index),
            Some(i) => self.family_faces.get(i).and_then(|f| f.get()).and_then(Option::as_ref),
        };
        face.unwrap_or_else(|| self.regular())
    }

    /// A DejaVu or fallback face, loaded now if it was not; `None` when
    /// there is no such face or its file cannot be read.
    fn base(&self, index: usize) -> Option<&Face> {
        let (path, face) = self.faces.get(index)?;
        face.get_or_init(|| Face::load(path)).as_ref()
    }

    fn regular(&self) -> &Face {
        self.faces[REGULAR].1.get().and_then(Option::as_ref).expect("the regular face is loaded with the set")
    }

    /// The face that draws text of the font family `name` (as a document
    /// names it) in a style: its substitute's when that is installed, else
    /// DejaVu's.
    pub fn face_for(&self, name: Option<&str>, bold: bool, italic: bool) -> usize {
        let (family, mono) = name.map_or((None, false), substitute);
        if let Some(family) = family {
            let style = usize::from(bold) + 2 * usize::from(italic);
            for style in [style, 0] {
                let slot = family * 4 + style;
                let loaded = self.family_faces[slot].get_or_init(|| self.files.get(SUBSTITUTES[family].files[style]).and_then(|p| Face::load(p)));
                if loaded.is_some() {
                    return FAMILY_FACES + slot;
                }
            }
        }
        Self::styled(bold, italic, mono)
    }

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
        if let Some((id, advance)) = self.face(preferred).glyph(c) {
            return (preferred, id, advance);
        }
        if preferred >= FAMILY_FACES {
            // A substitute family without the character: DejaVu in the same style.
            let style = (preferred - FAMILY_FACES) % 4;
            return self.glyph(Self::styled(style & 1 == 1, style & 2 == 2, false), c);
        }
        for index in (MONO_BOLD + 1..self.faces.len()).chain([REGULAR]) {
            if let Some((id, advance)) = self.base(index).and_then(|face| face.glyph(c)) {
                return (index, id, advance);
            }
        }
        let regular = self.regular();
        let notdef = regular.parsed.glyph_hor_advance(ttf_parser::GlyphId(0)).unwrap_or(0);
        (REGULAR, 0, f32::from(notdef) / regular.units_per_em)
    }
}

/// A glyph as shaped: its id, advance and offsets in ems, and the byte
/// range of the text it draws.
#[derive(Clone, Debug)]
pub struct ShapedGlyph {
    pub id: u16,
    pub advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
    pub text: std::ops::Range<usize>,
}

/// Text in one face, shaped: glyphs in drawing order (right-to-left
/// scripts come out right to left), their text (for right-to-left text, each
/// cluster's characters in drawing order: see `visual_cluster_text`), and
/// their width in ems.
#[derive(Clone, Debug)]
pub struct ShapedRun {
    pub face: usize,
    pub text: String,
    pub glyphs: Vec<ShapedGlyph>,
    pub width: f32,
    /// Characters no face has (drawn as the missing-glyph box).
    pub missing: Vec<char>,
}

impl FontSet {
    /// `text` shaped in `preferred`, cut into runs of the face that draws
    /// each character (as [`FontSet::glyph`] picks it; combining marks and
    /// joiners stay with the character before them).
    pub fn shape(&self, preferred: usize, text: &str) -> Vec<ShapedRun> {
        let mut runs = Vec::new();
        let mut current: Option<(usize, usize)> = None;
        let mut missing = Vec::new();
        for (at, c) in text.char_indices() {
            let follows = current.is_some() && (is_mark_or_joiner(c) || c.is_whitespace());
            let (face, glyph, _) = self.glyph(preferred, c);
            if glyph == 0 && !c.is_whitespace() && !c.is_control() && !is_mark_or_joiner(c) {
                missing.push(c);
            }
            match current {
                Some((open, _)) if follows || open == face => {}
                Some((open, start)) => {
                    runs.push(self.shape_run(open, &text[start..at], std::mem::take(&mut missing)));
                    current = Some((face, at));
                }
                None => current = Some((face, at)),
            }
        }
        if let Some((face, start)) = current {
            runs.push(self.shape_run(face, &text[start..], missing));
        }
        runs
    }

    fn shape_run(&self, face: usize, text: &str, missing: Vec<char>) -> ShapedRun {
        let shaper = &self.face(face).shaper;
        let units = self.face(face).units_per_em;
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let ltr = buffer.direction() != rustybuzz::Direction::RightToLeft;
        let output = rustybuzz::shape(shaper, &[], buffer);
        let (infos, positions) = (output.glyph_infos(), output.glyph_positions());
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = 0.0;
        for (i, (info, position)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // A cluster's text runs to the next cluster in logical order.
            let next = if ltr {
                infos[i..].iter().map(|g| g.cluster as usize).find(|&c| c > start)
            } else {
                infos[..i].iter().rev().map(|g| g.cluster as usize).find(|&c| c > start)
            };
            let advance = position.x_advance as f32 / units;
            width += advance;
            glyphs.push(ShapedGlyph {
                id: u16::try_from(info.glyph_id).unwrap_or(0),
                advance,
                x_offset: position.x_offset as f32 / units,
                y_offset: position.y_offset as f32 / units,
                text: start..next.unwrap_or(text.len()),
            });
        }
        let text = if ltr { text.to_string() } else { visual_cluster_text(text, &glyphs) };
        ShapedRun { face, text, glyphs, width, missing }
    }
}

/// `text` with the characters of every cluster of more than one (a lam-alef
/// ligature, a letter and its marks) in reverse: readers put a right-to-left
/// line's glyphs back in logical order by reversing them, the characters of
/// each glyph's text included (pdftotext read "بنغلاديش" as "بنغالديش"), so
/// a cluster's text is given right to left as its glyphs are drawn. Each
/// cluster keeps its byte range.
fn visual_cluster_text(text: &str, glyphs: &[ShapedGlyph]) -> String {
    let mut visual = text.to_string();
    let mut last = None;
    for glyph in glyphs {
        let range = glyph.text.clone();
        if last.as_ref() == Some(&range) || text[range.clone()].chars().nth(1).is_none() {
            continue;
        }
        let reversed: String = text[range.clone()].chars().rev().collect();
        visual.replace_range(range.clone(), &reversed);
        last = Some(range);
    }
    visual
}

/// Combining marks and zero-width joiners (bidi classes NSM and BN):
/// shaped with what they attach to.
fn is_mark_or_joiner(c: char) -> bool {
    matches!(unicode_bidi::bidi_class(c), unicode_bidi::BidiClass::NSM | unicode_bidi::BidiClass::BN)
}
