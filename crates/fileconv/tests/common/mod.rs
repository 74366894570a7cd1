//! Helpers shared by the integration tests: fixtures and independent checks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use fileconv::image::{DynamicImage, GrayImage, RgbImage};
use fileconv::{Options, Raster, Source};

/// The text poppler's pdftotext finds in a PDF.
pub fn pdftotext(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("fileconv-pdf-{}-{:?}.pdf", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext").args(["-raw", "-enc", "UTF-8"]).arg(&path).arg("-").output().expect("pdftotext runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One part of a zip package (DOCX, ODT, EPUB...) as text.
pub fn zip_entry(package: &[u8], name: &str) -> String {
    let mut archive = fileconv_zip::zip::ZipArchive::new(std::io::Cursor::new(package)).expect("a zip package");
    let mut entry = archive.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
    text
}

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every image fixture: (file name, format id from its extension, bytes).
pub fn image_fixtures() -> Vec<(String, String, Vec<u8>)> {
    fixtures("image")
}

/// Every audio fixture except the cover pictures: (file name, format id, bytes).
pub fn audio_fixtures() -> Vec<(String, String, Vec<u8>)> {
    fixtures("audio").into_iter().filter(|(name, _, _)| !name.starts_with("cover.")).collect()
}

/// Every spreadsheet fixture: (file name, format id, bytes).
/// LibreOffice's PDFs of the print fixtures are references, not workbooks.
pub fn sheet_fixtures() -> Vec<(String, String, Vec<u8>)> {
    fixtures("sheet").into_iter().filter(|(name, _, _)| !name.ends_with(".libreoffice.pdf")).collect()
}

/// Every document fixture: (file name, format id, bytes).
pub fn document_fixtures() -> Vec<(String, String, Vec<u8>)> {
    fixtures("document")
}

/// Every subtitle fixture, the subtitled videos included: (file name, format id, bytes).
pub fn subtitle_fixtures() -> Vec<(String, String, Vec<u8>)> {
    fixtures("subtitle")
}

/// A sheet as an independent reader sees it: cells as text.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct SheetText {
    pub name: String,
    pub rows: Vec<Vec<String>>,
    /// openpyxl's cell types (`n`, `s`, `d`, `b`, `e`), for xlsx only.
    pub types: Vec<Vec<String>>,
    pub bold_first_row: bool,
    pub frozen: Option<String>,
}

/// Reads a spreadsheet file with independent readers (openpyxl, odfpy,
/// Python's csv, json and html.parser, a GFM parser): `tests/tools/read_table.py`.
pub fn read_table(bytes: &[u8], format: &str) -> Vec<SheetText> {
    let path = std::env::temp_dir().join(format!(
        "fileconv-table-{}-{:?}.{format}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, bytes).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/read_table.py");
    let out = Command::new("/usr/bin/python3").arg(&script).arg(format).arg(&path).output().expect("python3 runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "read_table.py {format}: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let grid = |v: &serde_json::Value| -> Vec<Vec<String>> {
        v.as_array()
            .map(|rows| rows.iter().map(|r| r.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()).collect())
            .unwrap_or_default()
    };
    json.as_array()
        .unwrap()
        .iter()
        .map(|s| SheetText {
            name: s["name"].as_str().unwrap_or_default().to_string(),
            rows: grid(&s["rows"]),
            types: grid(&s["types"]),
            bold_first_row: s["bold_first_row"].as_bool().unwrap_or(false),
            frozen: s["frozen"].as_str().map(str::to_string),
        })
        .collect()
}

/// The formats of `category` that fileconv writes, sorted.
pub fn writable(category: fileconv::Category) -> Vec<&'static str> {
    let engine = fileconv::engine();
    let mut targets: Vec<&str> = engine
        .registry()
        .encoders
        .iter()
        .map(|e| e.format)
        .filter(|id| engine.format(id).is_ok_and(|f| f.category == category))
        .collect();
    targets.sort_unstable();
    targets.dedup();
    targets
}

fn fixtures(folder: &str) -> Vec<(String, String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(testdata().join(folder))
        .expect("testdata folder exists")
        .map(|e| e.expect("readable dir").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let ext = p.extension().unwrap().to_string_lossy().into_owned();
            let format = fileconv::engine().format(&ext).expect("fixture extension is a format").id.to_string();
            (name, format, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Decodes bytes back into a raster: AVIF with libavif's `avifdec`, HEIC
/// with libheif's `heif-convert`, JPEG XL with libjxl's `djxl` (an APNG for
/// animations), PSD's composite with Pillow or ImageMagick (readers besides
/// fileconv's own), the other formats with fileconv.
pub fn decode_raster(bytes: &[u8], format: &str) -> Raster {
    let tool = match format {
        "avif" => Some("avifdec"),
        "heic" => Some("heif-convert"),
        "jxl" => Some("djxl"),
        "psd" => Some("convert"),
        _ => None,
    };
    if let Some(tool) = tool {
        let dir = std::env::temp_dir().join(format!("fileconv-{format}-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, dst) = (dir.join(format!("in.{format}")), dir.join("out.png"));
        std::fs::write(&src, bytes).unwrap();
        let mut command = Command::new(tool);
        if format == "psd" {
            // Pillow reads 8-bit composites as stored (its transparency
            // too, where ImageMagick blends it); ImageMagick the 16-bit ones
            // (its first image is the composite). CMYK by the same formula fileconv uses.
            let pillow = "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.convert('RGBA' if 'A' in im.mode else ('L' if im.mode == 'L' else 'RGB')).save(sys.argv[2])";
            let by_pillow = Command::new("/usr/bin/python3").args(["-c", pillow]).arg(&src).arg(&dst).output().is_ok_and(|o| o.status.success());
            command = Command::new(if by_pillow { "true" } else { tool });
            if !by_pillow {
                command.arg(format!("{}[0]", src.display())).args(["-colorspace", "sRGB"]).arg(&dst);
            }
        } else {
            command.arg(&src).arg(&dst);
        }
        let status = command.output().unwrap_or_else(|e| panic!("{tool} is installed (scripts/install-deps): {e}"));
        assert!(status.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&status.stderr));
        // heif-convert writes out-1.png, out-2.png... for several top-level images.
        let pages: Vec<PathBuf> = if dst.exists() { vec![dst] } else { (1..).map(|n| dir.join(format!("out-{n}.png"))).take_while(|p| p.exists()).collect() };
        assert!(!pages.is_empty(), "{tool} wrote nothing");
        // heif-convert's PNG read as its pixels are: the EXIF it copies in
        // keeps an orientation that HEIF readers (and the tool) ignore. The
        // others' PNGs (djxl's APNG of an animation) through fileconv.
        let mut rasters = pages.iter().map(|p| {
            let png = std::fs::read(p).unwrap();
            if format == "heic" { Raster::still(fileconv::image::load_from_memory(&png).unwrap()) } else { decode_raster(&png, "png") }
        });
        let mut raster = rasters.next().unwrap();
        // heif-convert's pages of a burst show for 1 s each, as fileconv reads them.
        if pages.len() > 1 {
            raster.frames[0].delay = std::time::Duration::from_secs(1);
        }
        for more in rasters {
            raster.frames.extend(more.frames.into_iter().map(|f| fileconv::Frame { delay: std::time::Duration::from_secs(1), ..f }));
        }
        let _ = std::fs::remove_dir_all(&dir);
        return raster;
    }
    let value = fileconv::engine().decode(Source::Bytes(bytes), format, &Options::new()).unwrap_or_else(|e| panic!("{format} output does not decode: {e}"));
    value.into_raster().unwrap()
}

/// The image composited onto white, as 8-bit RGB: what a viewer shows.
pub fn on_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba32f();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = p.0[3].clamp(0.0, 1.0);
        let c = |v: f32| ((v.clamp(0.0, 1.0) * a + (1.0 - a)) * 255.0).round() as u8;
        out.put_pixel(x, y, fileconv::image::Rgb([c(p.0[0]), c(p.0[1]), c(p.0[2])]));
    }
    out
}

/// BT.709 luma of [`on_white`].
pub fn luma(image: &DynamicImage) -> GrayImage {
    DynamicImage::ImageRgb8(on_white(image)).to_luma8()
}

/// Mean absolute difference per sample, 0 to 255.
pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "sizes differ");
    a.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / a.len().max(1) as f64
}

/// A decoded audio file: its spec, tags and all its samples (interleaved).
pub struct Decoded {
    pub spec: fileconv::AudioSpec,
    pub tags: fileconv::Tags,
    pub samples: Vec<f32>,
}

impl Decoded {
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.spec.channels)
    }

    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.spec.sample_rate)
    }

    /// Power of `freq` Hz in `channel` over the middle of the clip (Goertzel).
    pub fn power(&self, channel: usize, freq: f64) -> f64 {
        let ch = usize::from(self.spec.channels);
        let frames = self.frames();
        let (start, end) = (frames / 4, frames * 3 / 4);
        let w = 2.0 * std::f64::consts::PI * freq / f64::from(self.spec.sample_rate);
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for i in start..end {
            let s0 = f64::from(self.samples[i * ch + channel]) + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((end - start).max(1) as f64).powi(2)
    }

    /// True when `freq` stands well above its neighbours in `channel`.
    pub fn has_tone(&self, channel: usize, freq: f64) -> bool {
        let p = self.power(channel, freq);
        let others = [freq * 0.8, freq * 1.25].map(|f| self.power(channel, f));
        others.iter().all(|&o| p > 20.0 * o) && p > 1e-4
    }
}

/// Decodes an audio file with fileconv.
pub fn decode_audio(bytes: &[u8], format: &str) -> Decoded {
    let value = fileconv::engine().decode(Source::Bytes(bytes), format, &Options::new()).unwrap_or_else(|e| panic!("{format} does not decode: {e}"));
    let audio = value.into_audio().unwrap();
    let tags = audio.tags.clone();
    let (spec, samples) = audio.collect_samples().unwrap_or_else(|e| panic!("{format} fails while decoding: {e}"));
    Decoded { spec, tags, samples }
}

/// `ffprobe`'s view of a file's first audio stream: (codec, rate, channels, seconds).
pub fn ffprobe(bytes: &[u8], ext: &str) -> (String, u32, u16, f64) {
    let dir = std::env::temp_dir().join(format!("fileconv-probe-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("in.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    // Decoding to null counts the samples really there, not a header's estimate.
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe is installed (scripts/install-deps)");
    assert!(out.status.success(), "ffprobe failed on {ext}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let fields: Vec<&str> = text.split(',').collect();
    let decoded = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-map", "0:a:0", "-f", "s16le", "-ac", "1", "-"])
        .output()
        .expect("ffmpeg is installed");
    let _ = std::fs::remove_dir_all(&dir);
    let rate: u32 = fields.get(1).and_then(|r| r.parse().ok()).unwrap_or(0);
    let seconds = decoded.stdout.len() as f64 / 2.0 / f64::from(rate.max(1));
    (fields[0].to_string(), rate, fields.get(2).and_then(|c| c.parse().ok()).unwrap_or(0), seconds)
}

/// A file ffmpeg makes as `name` from `inputs` (its input arguments),
/// with two chapters, "One" (0-1 s) and `second` (1-2 s), then `output`
/// (its output arguments).
pub fn with_two_chapters(inputs: &[&str], second: &str, output: &[&str], name: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("fileconv-chaptered-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chapters = format!(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle={second}\n");
    std::fs::write(dir.join("chapters.txt"), chapters).unwrap();
    let metadata = inputs.iter().filter(|a| **a == "-i").count().to_string();
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(inputs)
        .arg("-i")
        .arg(dir.join("chapters.txt"))
        .args(["-map_metadata", &metadata])
        .args(output)
        .arg(dir.join(name))
        .status()
        .expect("ffmpeg is installed");
    assert!(made.success(), "ffmpeg made no {name}");
    let bytes = std::fs::read(dir.join(name)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// ffprobe's chapters of a file: (start, end, title), times in ms.
pub fn chapters(bytes: &[u8], ext: &str) -> Vec<(i64, i64, String)> {
    let path = std::env::temp_dir().join(format!("fileconv-chapters-{}-{:?}.{ext}", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("ffprobe").args(["-v", "error", "-show_chapters", "-of", "json"]).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ms = |v: &serde_json::Value| (v.as_str().unwrap().parse::<f64>().unwrap() * 1000.0).round() as i64;
    json["chapters"].as_array().unwrap().iter().map(|c| (ms(&c["start_time"]), ms(&c["end_time"]), c["tags"]["title"].as_str().unwrap_or_default().to_string())).collect()
}

/// Every video fixture: (file name, format id, bytes).
pub fn video_fixtures() -> Vec<(String, String, Vec<u8>)> {
    fixtures("video")
}

/// `ffprobe`'s view of a media file.
#[derive(Debug, Default)]
pub struct MediaProbe {
    pub seconds: f64,
    /// (codec, width, height, frames per second)
    pub video: Option<(String, u32, u32, f64)>,
    /// Video frames ffprobe decoded.
    pub frames: u64,
    /// (codec, sample rate, channels)
    pub audio: Option<(String, u32, u16)>,
}

/// Probes a media file with `ffprobe`, independently of fileconv.
pub fn probe_media(bytes: &[u8], ext: &str) -> MediaProbe {
    let dir = std::env::temp_dir().join(format!("fileconv-media-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("in.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels,nb_read_frames"])
        .args(["-of", "default=nw=0"])
        .arg(&path)
        .output()
        .expect("ffprobe is installed (scripts/install-deps)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "ffprobe failed on {ext}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut probe = MediaProbe::default();
    let mut fields: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for line in text.lines() {
        match line {
            "[STREAM]" | "[FORMAT]" => fields.clear(),
            "[/STREAM]" => {
                let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
                let num = |k: &str| get(k).parse::<u32>().unwrap_or(0);
                match get("codec_type").as_str() {
                    "video" if probe.video.is_none() => {
                        let rate = get("r_frame_rate");
                        probe.frames = get("nb_read_frames").parse().unwrap_or(0);
                        let fps = match rate.split_once('/') {
                            Some((n, d)) => n.parse::<f64>().unwrap_or(0.0) / d.parse::<f64>().unwrap_or(1.0).max(1e-9),
                            None => 0.0,
                        };
                        probe.video = Some((get("codec_name"), num("width"), num("height"), fps));
                    }
                    "audio" if probe.audio.is_none() => probe.audio = Some((get("codec_name"), num("sample_rate"), num("channels") as u16)),
                    _ => {}
                }
            }
            "[/FORMAT]" => probe.seconds = fields.get("duration").and_then(|d| d.parse().ok()).unwrap_or(0.0),
            _ => {
                if let Some((k, v)) = line.split_once('=') {
                    fields.insert(k.to_string(), v.to_string());
                }
            }
        }
    }
    probe
}
