//! Workbooks as they print: each reader gives a
//! [`SheetGrid`](fileconv_core::document::grid::SheetGrid) per visible
//! sheet (widths, heights, cells as displayed with their looks, merges,
//! page setup), read only when a writer of pages asks
//! ([`fileconv_core::Table::pages`]). What the readers share lives here:
//! number formats, the `&`-coded headers and footers of XLSX and XLS, paper
//! sizes, pictures placed on sheets, the note about drawings left out.

pub mod number_format;
pub mod ods;
pub mod xls;
pub mod xlsx;

use std::io::{Read, Seek};

use fileconv_core::document::fixed::{Color, Picture, TextRun};
use fileconv_core::document::grid::{CellPoint, CellRange, HeaderFooter, SheetPicture};
use fileconv_core::Context;
use fileconv_zip::roxmltree::Node;
use fileconv_zip::zip::ZipArchive;

/// A paper size code of SpreadsheetML and BIFF (`paperSize`), in points.
pub fn paper_size(code: u32) -> Option<(f32, f32)> {
    Some(match code {
        1 | 2 => (612.0, 792.0),
        3 | 4 => (792.0, 1224.0),
        5 => (612.0, 1008.0),
        6 => (396.0, 612.0),
        7 => (522.0, 756.0),
        8 => (841.9, 1190.6),
        9 | 10 => (595.3, 841.9),
        11 => (419.5, 595.3),
        12 => (708.7, 1000.6),
        13 => (515.9, 728.5),
        14 => (612.0, 936.0),
        _ => return None,
    })
}

/// A header or footer in Excel's code (`&LLeft&CPage &P of &N&R&A`):
/// `&L`, `&C`, `&R` start the parts; `&P` is the page number, `&N` the
/// page count, `&A` the sheet's name, `&F` and `&D`/`&T` the file name and
/// date left out; `&B`, `&I`, `&U`, `&S` toggle bold, italic, underline,
/// strike; `&"Font,Bold"` and `&12` set the font and size; `&&` is `&`.
/// Text starts in `base`'s font and size. `None` when it shows nothing.
pub fn header_footer(code: &str, sheet: &str, base: &TextRun) -> Option<HeaderFooter> {
    let mut out = HeaderFooter::default();
    let mut part = 1;
    let mut run = TextRun { font: base.font.clone(), size: base.size, ..TextRun::default() };
    let mut chars = code.chars().peekable();
    let push = |out: &mut HeaderFooter, part: usize, run: &TextRun, text: &str, page_number: bool| {
        if text.is_empty() && !page_number {
            return;
        }
        out.parts[part].push(TextRun { text: text.to_string(), page_number, ..run.clone() });
    };
    let mut text = String::new();
    while let Some(c) = chars.next() {
        if c != '&' {
            text.push(c);
            continue;
        }
        let Some(code) = chars.next() else { break };
        let flush = |out: &mut HeaderFooter, text: &mut String, run: &TextRun| {
            push(out, part, run, text, false);
            text.clear();
        };
        match code {
            '&' => text.push('&'),
            'L' | 'C' | 'R' => {
                flush(&mut out, &mut text, &run);
                part = match code {
                    'L' => 0,
                    'C' => 1,
                    _ => 2,
                };
            }
            'P' => {
                flush(&mut out, &mut text, &run);
                push(&mut out, part, &run, "1", true);
            }
            'N' => {
                flush(&mut out, &mut text, &run);
                push(&mut out, part, &run, HeaderFooter::PAGE_COUNT, false);
            }
            'A' => text.push_str(sheet),
            'B' | 'I' | 'U' | 'S' | 'E' | 'X' | 'Y' => {
                flush(&mut out, &mut text, &run);
                match code {
                    'B' => run.bold = !run.bold,
                    'I' => run.italic = !run.italic,
                    'U' | 'E' => run.underline = !run.underline,
                    'S' => run.strike = !run.strike,
                    _ => {}
                }
            }
            '"' => {
                flush(&mut out, &mut text, &run);
                let spec: String = chars.by_ref().take_while(|c| *c != '"').collect();
                let (family, style) = spec.split_once(',').unwrap_or((&spec, ""));
                if family != "-" && !family.is_empty() {
                    run.font = Some(family.to_string());
                }
                let style = style.to_ascii_lowercase();
                run.bold = style.contains("bold");
                run.italic = style.contains("italic") || style.contains("oblique");
            }
            d if d.is_ascii_digit() => {
                flush(&mut out, &mut text, &run);
                let mut digits = d.to_string();
                while let Some(next) = chars.peek().filter(|c| c.is_ascii_digit()) {
                    digits.push(*next);
                    chars.next();
                }
                run.size = digits.parse::<f32>().unwrap_or(base.size).clamp(1.0, 400.0);
            }
            // Pictures (&G), the file's name and path, dates and times, colours (&K) are left out.
            'K' => {
                for _ in 0..6 {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    push(&mut out, part, &run, &text, false);
    (!out.is_empty()).then_some(out)
}

/// What a patterned fill (dots, hatching) prints as: its foreground colour
/// halfway to white, near enough to the pattern's mix over white paper.
pub(crate) fn pattern_shade((r, g, b): Color) -> Color {
    let mix = |c: u8| ((u16::from(c) + 255) / 2) as u8;
    (mix(r), mix(g), mix(b))
}

/// Charts and shapes the sheets hold, which their pages leave out
/// (pictures are drawn).
#[derive(Default)]
pub(crate) struct DrawingCount {
    drawings: usize,
    sheets: Vec<String>,
}

/// EMU per point.
const EMU: f32 = 12_700.0;

impl DrawingCount {
    /// A worksheet's drawing part: the cells its anchored objects cover,
    /// and its pictures (their bytes charged to the conversion's memory);
    /// the rest are counted.
    ///
    /// # Errors
    /// [`fileconv_core::Error::LimitExceeded`] when the pictures pass the memory budget.
    pub(crate) fn read_xlsx<R: Read + Seek>(&mut self, zip: &mut ZipArchive<R>, sheet_path: &str, root: Node<'_, '_>, name: &str, ctx: &Context<'_>) -> fileconv_core::Result<(Vec<CellRange>, Vec<SheetPicture>)> {
        let nothing = Ok((Vec::new(), Vec::new()));
        let Some(id) = fileconv_zip::tree::child(root, "drawing").and_then(|d| fileconv_zip::tree::related_id(d, "id")) else { return nothing };
        let Some(path) = related_part(zip, sheet_path, id) else { return nothing };
        let Ok(Some(drawing)) = fileconv_zip::read_optional(zip, &path, "xlsx") else { return nothing };
        let Ok(text) = String::from_utf8(drawing) else { return nothing };
        let Ok(xml) = fileconv_zip::tree::parse(&text, &path, "xlsx") else { return nothing };
        let (mut covered, mut pictures) = (Vec::new(), Vec::new());
        // Media parts by path: a picture placed many times is read once.
        let mut media: std::collections::HashMap<String, Option<std::sync::Arc<Vec<u8>>>> = std::collections::HashMap::new();
        let mut left_out = 0;
        for anchor in xml.root_element().children().filter(|n| n.is_element() && n.tag_name().name().ends_with("Anchor")) {
            let corner = |name: &str| -> Option<CellPoint> {
                let node = fileconv_zip::tree::child(anchor, name)?;
                let value = |n: &str| fileconv_zip::tree::child(node, n)?.text()?.trim().parse::<f64>().ok();
                let offset = |n: &str| value(n).map_or(0.0, |v| (v / f64::from(EMU)) as f32);
                Some(CellPoint { row: value("row")?.clamp(0.0, 1_048_575.0) as u32, column: value("col")?.clamp(0.0, 16_383.0) as u32, x: offset("colOff"), y: offset("rowOff") })
            };
            let from = corner("from");
            let to = corner("to");
            if let Some(from) = from {
                let last = to.unwrap_or(from);
                covered.push(CellRange { first_row: from.row, first_column: from.column, last_row: last.row.max(from.row), last_column: last.column.max(from.column) });
            }
            let extent = |name: &str| fileconv_zip::tree::child(anchor, name).map(|e| {
                let v = |k: &str| e.attribute(k).and_then(|v| v.parse::<f32>().ok()).unwrap_or(0.0) / EMU;
                (v("cx"), v("cy"), v("x"), v("y"))
            });
            let part = fileconv_zip::tree::child(anchor, "pic")
                .and_then(|pic| fileconv_zip::tree::child(pic, "blipFill"))
                .and_then(|fill| fileconv_zip::tree::child(fill, "blip"))
                .and_then(|blip| fileconv_zip::tree::related_id(blip, "embed"))
                .and_then(|id| related_part(zip, &path, id));
            let picture = match part {
                Some(part) => match media.get(&part) {
                    Some(found) => found.clone(),
                    None => {
                        let data = fileconv_zip::read_optional(zip, &part, "xlsx").ok().flatten();
                        if let Some(data) = &data {
                            ctx.charge_memory(data.len() as u64, "memory for pictures on sheets (bytes)")?;
                        }
                        let data = data.map(std::sync::Arc::new);
                        media.insert(part, data.clone());
                        data
                    }
                },
                None => None,
            };
            // An absolute anchor is placed from A1's corner.
            let from = from.or_else(|| extent("pos").map(|(_, _, x, y)| CellPoint { x, y, ..CellPoint::default() }));
            match (picture, from) {
                (Some(data), Some(from)) => {
                    let size = extent("ext").map_or((0.0, 0.0), |(w, h, _, _)| (w, h));
                    let to = to.filter(|_| anchor.tag_name().name() == "twoCellAnchor");
                    pictures.push(SheetPicture { from, to, size, picture: Picture { data, crop: [0.0; 4] } });
                }
                _ => left_out += 1,
            }
        }
        if left_out > 0 {
            self.add(left_out, name);
        }
        Ok((covered, pictures))
    }

    pub(crate) fn add(&mut self, count: usize, sheet: &str) {
        self.drawings += count;
        self.sheets.push(sheet.to_string());
    }

    pub(crate) fn note(&self, ctx: &Context<'_>) {
        if self.drawings > 0 {
            ctx.note(format!("{} chart(s), shape(s) or picture(s) placed on the sheets are left out of the pages", self.drawings));
        }
    }
}

/// The part a relationship of the part at `path` points to, resolved.
fn related_part<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &str, id: &str) -> Option<String> {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let rels = fileconv_zip::read_optional(zip, &format!("{dir}/_rels/{file}.rels"), "xlsx").ok()??;
    let (_, target) = crate::read::xlsx::relationships(&rels).ok()?.get(id).cloned()?;
    Some(fileconv_zip::resolve(dir, &target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_excel_code() {
        let base = TextRun { font: Some("Calibri".into()), size: 11.0, ..TextRun::default() };
        let hf = header_footer("&L&\"Arial,Bold\"&14Report &&co&CPage &P of &N&R&A", "Sales", &base).unwrap();
        assert_eq!(hf.parts[0][0].text, "Report &co");
        assert!(hf.parts[0][0].bold && hf.parts[0][0].size == 14.0 && hf.parts[0][0].font.as_deref() == Some("Arial"));
        let centre: Vec<_> = hf.parts[1].iter().map(|r| (r.text.as_str(), r.page_number)).collect();
        assert_eq!(centre, [("Page ", false), ("1", true), (" of ", false), (HeaderFooter::PAGE_COUNT, false)]);
        assert_eq!(hf.parts[2][0].text, "Sales");
        assert!(header_footer("&C&G", "x", &base).is_none());
    }
}
