//! `fileconv probe`: what a file is.

use std::io::Read;
use std::path::Path;

use fileconv_core::{Engine, Options, Source, Value};
use serde_json::json;

use crate::emit;
use crate::exit::Failure;

pub fn print(engine: &Engine, file: &Path, as_json: bool) -> Result<(), Failure> {
    let mut head = Vec::new();
    std::fs::File::open(file)?.take(4096).read_to_end(&mut head)?;
    let format = match engine.detect(&head) {
        Some(f) => f,
        None => {
            let ext = file.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
            engine.format(&ext).map_err(|_| Failure { message: format!("{}: unknown format", file.display()), code: crate::exit::INVALID_INPUT })?
        }
    };
    let size = std::fs::metadata(file)?.len();
    let mut value = engine.decode(Source::Path(file), format.id, &Options::new())?;
    #[allow(unreachable_patterns)]
    let details = match &mut value {
        Value::Raster(r) => json!({
            "width": r.width(),
            "height": r.height(),
            "frames": r.frames.len(),
            "duration_ms": r.frames.iter().map(|f| f.delay.as_millis() as u64).sum::<u64>(),
            "color": format!("{:?}", r.first().color()),
            "icc_profile_bytes": r.icc_profile.as_ref().map_or(0, Vec::len),
            "exif_bytes": r.exif.as_ref().map_or(0, Vec::len),
        }),
        Value::Audio(a) => {
            let mut v = json!({
                "sample_rate": a.spec.sample_rate,
                "channels": a.spec.channels,
                "bits_per_sample": a.spec.bits_per_sample,
                "duration_ms": a.duration().map(|s| (s * 1000.0).round() as u64),
            });
            for (key, value) in a.tags.text_fields() {
                if let Some(text) = value {
                    v[key] = json!(text);
                }
            }
            if let Some(cover) = &a.tags.cover {
                v["cover"] = json!(format!("{}, {} bytes", cover.mime, cover.data.len()));
            }
            v
        }
        Value::Media(m) => {
            let mut v = json!({ "duration_ms": m.duration.map(|s| (s * 1000.0).round() as u64) });
            if let Some(video) = &m.video {
                v["video"] = json!(format!("{} {}x{}", video.codec, video.width, video.height));
                v["fps"] = json!(video.frame_rate.map(|f| (f * 1000.0).round() / 1000.0));
            }
            if let Some(audio) = &m.audio {
                v["audio"] = json!(format!("{} {} Hz, {} channels", audio.codec, audio.sample_rate, audio.channels));
            }
            v
        }
        Value::Table(t) => {
            let mut sheets = Vec::new();
            for index in 0..t.sheets.len() {
                let (mut rows, mut columns) = (0u32, 0usize);
                t.read_sheet(index, &mut |row| {
                    rows = row.index + 1;
                    columns = columns.max(row.cells.len());
                    Ok(())
                })?;
                sheets.push(json!({ "name": t.sheets[index].name, "rows": rows, "columns": columns }));
            }
            json!({ "sheets": sheets })
        }
        Value::Document(d) => json!({
            "title": d.display_title(),
            "author": d.author,
            "blocks": d.blocks.len(),
        }),
        other => json!({ "kind": other.kind().name() }),
    };
    if as_json {
        let mut v = json!({ "file": file.display().to_string(), "format": format.id, "mime": format.mime, "bytes": size });
        if let (Some(obj), Some(extra)) = (v.as_object_mut(), details.as_object()) {
            obj.extend(extra.clone());
        }
        emit(&format!("{v:#}\n"));
    } else {
        let mut text = format!("file:   {}\nformat: {} ({}, {})\nbytes:  {size}\n", file.display(), format.id, format.name, format.mime);
        if let Some(obj) = details.as_object() {
            for (k, v) in obj {
                text.push_str(&format!("{:<7} {v}\n", format!("{k}:")));
            }
        }
        emit(&text);
    }
    Ok(())
}
