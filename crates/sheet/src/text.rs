//! Cells as text, the one way every text target (csv, tsv, json, html, md)
//! writes them, and the reverse for csv input.

use std::fmt::Write as _;

use fileconv_core::{Cell, DateTime};

/// How a text target writes cells.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextStyle<'a> {
    /// strftime-style pattern for dates and times; ISO 8601 when `None`.
    pub date_format: Option<&'a str>,
}

impl TextStyle<'_> {
    /// Appends the cell's text to `out`: as [`Cell`]'s `Display` writes it,
    /// dates in the chosen pattern when there is one.
    pub fn write(&self, cell: &Cell, out: &mut String) {
        match (cell, self.date_format) {
            (Cell::DateTime(d), Some(pattern)) => out.push_str(&d.format(pattern)),
            (Cell::String(s), _) => out.push_str(s),
            _ => {
                let _ = write!(out, "{cell}");
            }
        }
    }

    pub fn text(&self, cell: &Cell) -> String {
        let mut s = String::new();
        self.write(cell, &mut s);
        s
    }
}

/// The typed cell a csv field stands for, when writing that cell back gives
/// exactly the same text (so csv to csv is lossless): integers, floats,
/// `TRUE`/`FALSE`, ISO 8601 dates and times (and `2024-03-01 13:45:30`);
/// anything else stays a string. Leading zeros (`007`), `+5`, `1.50` or
/// `1e3` stay strings.
pub fn infer(field: &str) -> Cell {
    if field.is_empty() {
        return Cell::Empty;
    }
    let bytes = field.as_bytes();
    let first = bytes[0];
    if first.is_ascii_digit() || (first == b'-' && bytes.len() > 1) || first == b'.' {
        if let Ok(i) = field.parse::<i64>() {
            let cell = Cell::Int(i);
            return if renders_as(&cell, field) { cell } else { Cell::String(field.to_string()) };
        }
        if let Some(d) = DateTime::parse_iso(field) {
            let cell = Cell::DateTime(d);
            // `2024-03-01 13:45:30`, as most tools write date-times, is taken
            // too (and written back with ISO's `T`).
            if renders_as(&cell, field) || renders_as(&cell, &field.replacen(' ', "T", 1)) {
                return cell;
            }
        }
        if let Ok(f) = field.parse::<f64>() {
            let cell = Cell::number(f);
            if f.is_finite() && renders_as(&cell, field) {
                return cell;
            }
        }
        return Cell::String(field.to_string());
    }
    match field {
        "TRUE" => Cell::Bool(true),
        "FALSE" => Cell::Bool(false),
        _ => Cell::String(field.to_string()),
    }
}

fn renders_as(cell: &Cell, text: &str) -> bool {
    let mut s = String::with_capacity(text.len());
    TextStyle::default().write(cell, &mut s);
    s == text
}

/// The column's letters (`0` is `A`, `26` is `AA`).
pub fn column_name(mut col: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_spreadsheets_show_them() {
        let s = TextStyle::default();
        assert_eq!(s.text(&Cell::Int(42)), "42");
        assert_eq!(s.text(&Cell::Float(0.1)), "0.1");
        assert_eq!(s.text(&Cell::Float(-2.5)), "-2.5");
        assert_eq!(s.text(&Cell::Float(1.5e300)), "1.5e300");
        assert_eq!(s.text(&Cell::Float(f64::NAN)), "#NUM!");
        assert_eq!(s.text(&Cell::Bool(true)), "TRUE");
        let date = DateTime::parse_iso("2024-03-01T13:45:00").unwrap();
        assert_eq!(s.text(&Cell::DateTime(date)), "2024-03-01T13:45:00");
        assert_eq!(TextStyle { date_format: Some("%d.%m.%Y") }.text(&Cell::DateTime(date)), "01.03.2024");
    }

    #[test]
    fn inference_is_lossless() {
        assert_eq!(infer("42"), Cell::Int(42));
        assert_eq!(infer("-7"), Cell::Int(-7));
        assert_eq!(infer("3.25"), Cell::Float(3.25));
        assert_eq!(infer("TRUE"), Cell::Bool(true));
        assert_eq!(infer("2024-03-01"), Cell::DateTime(DateTime::parse_iso("2024-03-01").unwrap()));
        assert_eq!(infer("2024-03-01 13:45:30"), Cell::DateTime(DateTime::parse_iso("2024-03-01T13:45:30").unwrap()));
        assert_eq!(infer(""), Cell::Empty);
        for text in ["007", "+5", "1.50", "1e3", "-", ".5", "true", "1,5", "2024-3-1", "12345678901234567890", "NaN", "inf"] {
            assert_eq!(infer(text), Cell::String(text.to_string()), "{text}");
        }
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }
}
