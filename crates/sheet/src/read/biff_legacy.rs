//! Excel 2.x to 4.0 worksheets: a bare BIFF2, BIFF3 or BIFF4 record stream
//! (no compound file), which calamine does not read. One sheet: the cells
//! of the worksheet up to its EOF record, numbers, text (in the file's
//! CODEPAGE, Windows-1252 when it names none), booleans, errors and
//! formula results. Number formats are not applied: a date stays its
//! Excel serial number, and a note says so when the file defines date
//! formats. A BIFF4 workbook (several sheets in one stream) is refused.

use std::collections::BTreeMap;

use fileconv_core::{Cell, CellBudget, Context, Error, Result, Row, Table, Value};
use super::biff::{u16_at, EOF};

const FORMAT: &str = "xls";
const CODEPAGE: u16 = 0x0042;
/// BOF of BIFF2, BIFF3 and BIFF4.
pub const BOFS: [u16; 3] = [0x0009, 0x0209, 0x0409];
/// The BOF's document type of a BIFF4 workbook's globals.
const WORKBOOK_GLOBALS: u16 = 0x0100;

/// Whether `bytes` starts with a BIFF2-4 BOF record.
pub fn is_legacy_biff(bytes: &[u8]) -> bool {
    let u16_at = |at: usize| u16_at(bytes, at);
    u16_at(0).is_some_and(|t| BOFS.contains(&t)) && u16_at(2).is_some_and(|len| (4..=16).contains(&len))
}

/// Reads the worksheet of a BIFF2-4 stream as a one-sheet [`Table`].
///
/// # Errors
/// [`Error::InvalidInput`] for a BIFF4 workbook or a stream with no cells;
/// [`Error::LimitExceeded`] past [`fileconv_core::Limits::max_cells`].
pub fn decode(bytes: &[u8], ctx: &Context<'_>) -> Result<Value> {
    let mut budget = CellBudget::new(ctx.limits);
    let mut cells: BTreeMap<u32, BTreeMap<u16, Cell>> = BTreeMap::new();
    let mut encoding = encoding_rs::WINDOWS_1252;
    let mut date_formats = false;
    // A formula whose string result follows in the next STRING record.
    let mut pending_string: Option<(u32, u16)> = None;
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 4) {
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let Some(data) = bytes.get(at + 4..at + 4 + len) else {
            ctx.note("the worksheet is truncated; the cells before the cut are kept");
            break;
        };
        at += 4 + len;
        let u16_at = |i: usize| u16_at(data, i);
        let f64_at = |i: usize| data.get(i..i + 8).map(|b| f64::from_le_bytes(b.try_into().expect("eight bytes")));
        let place = || Some((u32::from(u16_at(0)?), u16_at(2)?));
        let text = |raw: &[u8]| encoding.decode_without_bom_handling(raw).0.into_owned();
        let cell = match kind {
            EOF => break,
            kind if BOFS.contains(&kind) && at > 4 + len => return Err(Error::invalid_input(FORMAT, "a BIFF4 workbook of several sheets is not read; save it as Excel 97-2003")),
            kind if BOFS.contains(&kind) => {
                if u16_at(2) == Some(WORKBOOK_GLOBALS) {
                    return Err(Error::invalid_input(FORMAT, "a BIFF4 workbook of several sheets is not read; save it as Excel 97-2003"));
                }
                None
            }
            CODEPAGE => {
                encoding = u16_at(0).and_then(codepage).unwrap_or(encoding);
                None
            }
            // FORMAT (BIFF2-3, BIFF4): a date format mentions days or years.
            0x001E | 0x041E => {
                date_formats |= data.iter().any(|b| matches!(b, b'd' | b'D' | b'y' | b'Y'));
                None
            }
            // INTEGER (BIFF2)
            0x0002 => place().zip(u16_at(7)).map(|(p, v)| (p, Cell::Int(i64::from(v)))),
            // NUMBER (BIFF2; BIFF3-4)
            0x0003 => place().zip(f64_at(7)).map(|(p, v)| (p, number(v))),
            0x0203 => place().zip(f64_at(6)).map(|(p, v)| (p, number(v))),
            // RK (BIFF3-4)
            0x027E => place().zip(data.get(6..10)).map(|(p, rk)| (p, number(rk_value(u32::from_le_bytes(rk.try_into().expect("four bytes")))))),
            // LABEL (BIFF2: one-byte length; BIFF3-4: two)
            0x0004 => place().and_then(|p| {
                let n = usize::from(*data.get(7)?);
                Some((p, Cell::String(text(data.get(8..8 + n)?))))
            }),
            0x0204 => place().and_then(|p| {
                let n = usize::from(u16_at(6)?);
                Some((p, Cell::String(text(data.get(8..8 + n)?))))
            }),
            // BOOLERR (BIFF2; BIFF3-4)
            0x0005 => place().zip(data.get(7..9)).map(|(p, v)| (p, bool_or_error(v[0], v[1]))),
            0x0205 => place().zip(data.get(6..8)).map(|(p, v)| (p, bool_or_error(v[0], v[1]))),
            // FORMULA (BIFF2; BIFF3; BIFF4): its last computed result.
            0x0006 | 0x0206 | 0x0406 => {
                let offset = if kind == 0x0006 { 7 } else { 6 };
                place().zip(data.get(offset..offset + 8)).and_then(|(p, result)| {
                    if result[6..8] != [0xFF, 0xFF] {
                        return Some((p, number(f64::from_le_bytes(result.try_into().expect("eight bytes")))));
                    }
                    match result[0] {
                        0 => {
                            pending_string = Some(p);
                            None
                        }
                        1 => Some((p, Cell::Bool(result[2] != 0))),
                        2 => Some((p, error_cell(result[2]))),
                        _ => None,
                    }
                })
            }
            // STRING (BIFF2; BIFF3-4): the string result of the formula before it.
            0x0007 | 0x0207 => pending_string.take().and_then(|p| {
                let (n, from) = if kind == 0x0007 { (usize::from(*data.first()?), 1) } else { (usize::from(u16_at(0)?), 2) };
                Some((p, Cell::String(text(data.get(from..from + n)?))))
            }),
            _ => None,
        };
        if let Some(((row, column), value)) = cell {
            let row_cells = cells.entry(row).or_default();
            if row_cells.insert(column, value).is_none() {
                budget.take(1)?;
            }
        }
    }
    if cells.is_empty() {
        return Err(Error::invalid_input(FORMAT, "the BIFF worksheet holds no cells"));
    }
    if date_formats {
        ctx.note("this Excel 2.x-4.0 worksheet defines date formats; its dates are given as Excel serial numbers");
    }
    // Rows are padded to their last cell: the padding counts against the
    // cell limit too (one cell at column 65535 in every row is 4 billion).
    let mut padded = CellBudget::new(ctx.limits);
    let mut rows = Vec::with_capacity(cells.len());
    for (index, row) in cells {
        let width = row.keys().next_back().map_or(0, |last| usize::from(*last) + 1);
        padded.take(width as u64)?;
        ctx.charge_memory((width * std::mem::size_of::<Cell>()) as u64, "memory for spreadsheet cells (bytes)")?;
        let mut values = vec![Cell::Empty; width];
        for (column, value) in row {
            values[usize::from(column)] = value;
        }
        rows.push(Row { index, cells: values });
    }
    Ok(Value::Table(Table::from_rows(vec![(fileconv_core::table::UNNAMED_SHEET.to_string(), rows)])))
}

/// A whole number as an integer cell, as the other readers give them.
fn number(value: f64) -> Cell {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        Cell::Int(value as i64)
    } else {
        Cell::Float(value)
    }
}

/// An RK number: a 30-bit integer or the top of a double, maybe divided by 100.
fn rk_value(rk: u32) -> f64 {
    let value = if rk & 2 != 0 { f64::from((rk as i32) >> 2) } else { f64::from_bits(u64::from(rk & 0xFFFF_FFFC) << 32) };
    if rk & 1 != 0 {
        value / 100.0
    } else {
        value
    }
}

fn bool_or_error(value: u8, is_error: u8) -> Cell {
    if is_error != 0 {
        error_cell(value)
    } else {
        Cell::Bool(value != 0)
    }
}

fn error_cell(code: u8) -> Cell {
    let text = match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0F => "#VALUE!",
        0x17 => "#REF!",
        0x1D => "#NAME?",
        0x24 => "#NUM!",
        _ => "#N/A",
    };
    Cell::Error(text.to_string())
}

/// The encoding of a CODEPAGE record's value: a Windows code page, or one
/// of Excel's own numbers (367 ASCII, 32768 Mac Roman, 32769 Windows-1252).
fn codepage(page: u16) -> Option<&'static encoding_rs::Encoding> {
    match page {
        367 | 32769 => Some(encoding_rs::WINDOWS_1252),
        32768 => Some(encoding_rs::MACINTOSH),
        page => fileconv_core::code_page::encoding(u32::from(page)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk_numbers() {
        // 1 as a 30-bit integer; 1.5 as the top of a double; 0.25 as 25 / 100.
        assert_eq!(rk_value((1 << 2) | 2), 1.0);
        assert_eq!(rk_value((1.5f64.to_bits() >> 32) as u32), 1.5);
        assert_eq!(rk_value((25 << 2) | 3), 0.25);
        assert_eq!(rk_value(((-3i32 << 2) | 2) as u32), -3.0);
    }

    #[test]
    fn far_columns_in_many_rows_hit_the_cell_limit() {
        use fileconv_core::{Control, Limits, MemoryBudget, Notes, Options};
        // BIFF4 BOF, then a NUMBER at column 65535 in each of 65536 rows.
        let mut bytes = vec![0x09, 0x04, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00];
        for row in 0..=u16::MAX {
            bytes.extend([0x03, 0x02, 14, 0]);
            bytes.extend(row.to_le_bytes());
            bytes.extend(u16::MAX.to_le_bytes());
            bytes.extend([0, 0]);
            bytes.extend(1.0f64.to_le_bytes());
        }
        let (options, limits, control, budget, notes) = (Options::default(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        assert!(is_legacy_biff(&bytes));
        assert!(matches!(decode(&bytes, &ctx), Err(Error::LimitExceeded { .. })));
    }
}
