//! A bound on what calamine will allocate for an xls file, computed before
//! calamine reads it. calamine parses every sheet of an xls at open time and
//! sizes each one from its DIMENSIONS record and from its first and last
//! cells, so a few hundred bytes can ask for gigabytes, and cells out of row
//! order make its arithmetic wrap. This scan walks the same records and
//! refuses such files with a clear error.

use std::io::{Cursor, Read};

use fileconv_core::{Error, Limits, Result};

// BIFF8 record types ([MS-XLS] 2.3), for this scan and the page reader
// (`crate::pages::xls`).
pub(crate) const BOF: u16 = 0x0809;
/// Also BIFF2-4's.
pub(crate) const EOF: u16 = 0x000A;
pub(crate) const BOUND_SHEET: u16 = 0x0085;
pub(crate) const DIMENSIONS: u16 = 0x0200;
pub(crate) const FONT: u16 = 0x0031;
pub(crate) const FORMAT_RECORD: u16 = 0x041E;
pub(crate) const XF: u16 = 0x00E0;
pub(crate) const PALETTE: u16 = 0x0092;
pub(crate) const NAME: u16 = 0x0018;
pub(crate) const DATE_MODE: u16 = 0x0022;
pub(crate) const DEF_COL_WIDTH: u16 = 0x0055;
pub(crate) const STANDARD_WIDTH: u16 = 0x0099;
pub(crate) const COL_INFO: u16 = 0x007D;
pub(crate) const DEFAULT_ROW_HEIGHT: u16 = 0x0225;
pub(crate) const ROW: u16 = 0x0208;
pub(crate) const MERGED_CELLS: u16 = 0x00E5;
pub(crate) const BLANK: u16 = 0x0201;
pub(crate) const MUL_RK: u16 = 0x00BD;
pub(crate) const MUL_BLANK: u16 = 0x00BE;
/// Records that hold one cell's value and start with its row, column and
/// format index (u16 each).
pub(crate) const CELL_RECORDS: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];
/// Left, right, top and bottom margin.
pub(crate) const MARGINS: [u16; 4] = [0x0026, 0x0028, 0x0027, 0x0029];
pub(crate) const SETUP: u16 = 0x00A1;
pub(crate) const HCENTER: u16 = 0x0083;
pub(crate) const VCENTER: u16 = 0x0084;
pub(crate) const PRINT_GRIDLINES: u16 = 0x002B;
pub(crate) const HEADER: u16 = 0x0014;
pub(crate) const FOOTER: u16 = 0x0015;
pub(crate) const WS_BOOL: u16 = 0x0081;
pub(crate) const OBJ: u16 = 0x005D;

/// Little-endian numbers in a record's data; `None` past its end.
pub(crate) fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at.checked_add(2)?).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Checks an xls file's sheets against [`Limits::max_cells`].
///
/// # Errors
/// [`Error::InvalidInput`] when the bytes are not a compound file with a
/// workbook stream, or a sheet's records are inconsistent (cells out of row
/// order, an inverted DIMENSIONS record); [`Error::LimitExceeded`] when the
/// sheets would occupy more cells than allowed.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<()> {
    let invalid = |reason: String| Error::invalid_input("xls", reason);
    let stream = workbook_stream(bytes)?;

    let mut total: u64 = 0;
    for (typ, data) in records(&stream) {
        if typ == EOF {
            break;
        }
        if typ == BOUND_SHEET && data.len() >= 4 {
            let pos = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
            // calamine slices the stream at this offset unchecked.
            let sheet = stream.get(pos..).ok_or_else(|| invalid(format!("a sheet starts at byte {pos}, past the workbook stream's {}", stream.len())))?;
            let cells = sheet_cells(sheet).map_err(invalid)?;
            total = total.saturating_add(cells);
            if total > limits.max_cells {
                return Err(Error::limit("cells", limits.max_cells, total));
            }
        }
    }
    Ok(())
}

/// The workbook stream of an xls compound file.
///
/// # Errors
/// [`Error::InvalidInput`] when the bytes are not a compound file with one.
pub(crate) fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>> {
    let invalid = |reason: String| Error::invalid_input("xls", reason);
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| invalid(format!("not a compound file: {e}")))?;
    let name = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)).ok_or_else(|| invalid("no Workbook stream".to_string()))?;
    let mut stream = Vec::new();
    file.open_stream(name)
        .map_err(|e| invalid(format!("workbook stream: {e}")))?
        .take(bytes.len() as u64)
        .read_to_end(&mut stream)
        .map_err(|e| invalid(format!("workbook stream: {e}")))?;
    Ok(stream)
}

/// The records (type, data) of a BIFF stream from its start, up to the first one cut short.
pub(crate) fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let head = stream.get(at..at + 4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// The cells calamine will reserve or lay out for the sheet starting at
/// `stream`: the larger of its DIMENSIONS area and its cells' area.
fn sheet_cells(stream: &[u8]) -> std::result::Result<u64, String> {
    let mut reserved: u64 = 0;
    // Excel writes rows in order; other writers do not, and calamine lays
    // cells out by their bounds, so the bounds are what it will reserve.
    let (mut first_row, mut last_row) = (u32::MAX, 0u32);
    let (mut min_col, mut max_col) = (u32::MAX, 0u32);
    let mut depth = 0usize;
    let mut seen_bof = false;
    for (typ, data) in records(stream) {
        if depth > 0 {
            match typ {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let (row, col_first, col_last) = match typ {
            BOF if seen_bof => {
                depth += 1;
                continue;
            }
            BOF => {
                seen_bof = true;
                continue;
            }
            EOF => break,
            DIMENSIONS => {
                reserved = reserved.max(dimensions_area(data)?);
                continue;
            }
            MUL_RK if data.len() >= 6 => {
                let (Some(row), Some(first), Some(last)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, data.len() - 2)) else { continue };
                (u32::from(row), u32::from(first), u32::from(last.max(first)))
            }
            t if CELL_RECORDS.contains(&t) => {
                let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) else { continue };
                (u32::from(row), u32::from(col), u32::from(col))
            }
            _ => continue,
        };
        first_row = first_row.min(row);
        last_row = last_row.max(row);
        min_col = min_col.min(col_first);
        max_col = max_col.max(col_last);
    }
    let laid_out = if first_row == u32::MAX { 0 } else { u64::from(last_row - first_row + 1) * u64::from(max_col - min_col + 1) };
    Ok(reserved.max(laid_out))
}

/// The area calamine reserves for a DIMENSIONS record, as it reads one.
fn dimensions_area(data: &[u8]) -> std::result::Result<u64, String> {
    let u16_at = |at: usize| u16_at(data, at).map(u32::from);
    let fields = match data.len() {
        10 => [u16_at(0), u16_at(2), u16_at(4), u16_at(6)],
        14 | 16 => [u32_at(data, 0), u32_at(data, 4), u16_at(8), u16_at(10)],
        _ => return Ok(0),
    };
    let [Some(first_row), Some(last_row_plus_one), Some(mut first_col), Some(last_col_plus_one)] = fields else {
        return Err("short DIMENSIONS record".to_string());
    };
    if first_col > 0xFF || last_col_plus_one < first_col {
        first_col = 0;
    }
    if last_row_plus_one == 0 || last_col_plus_one == 0 {
        return Ok(1);
    }
    if last_row_plus_one - 1 < first_row || last_col_plus_one - 1 < first_col {
        return Err(format!("DIMENSIONS record ends (row {last_row_plus_one}) before it starts (row {first_row})"));
    }
    Ok(u64::from(last_row_plus_one - first_row) * u64::from(last_col_plus_one - first_col))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0u8; 10]);
        record(0x0203, &d)
    }

    #[test]
    fn far_apart_cells_count_their_whole_area() {
        let sheet = [record(BOF, &[0; 16]), number(0, 0), number(65_535, 255), record(EOF, &[])].concat();
        assert_eq!(sheet_cells(&sheet).unwrap(), 65_536 * 256);
    }

    #[test]
    fn rows_out_of_order_count_their_bounds() {
        let sheet = [record(BOF, &[0; 16]), number(5, 0), number(2, 3), record(EOF, &[])].concat();
        assert_eq!(sheet_cells(&sheet).unwrap(), 4 * 4);
    }

    #[test]
    fn dimensions_are_checked_as_calamine_reads_them() {
        let dims = |r0: u32, r1: u32, c0: u16, c1: u16| {
            let mut d = r0.to_le_bytes().to_vec();
            d.extend(r1.to_le_bytes());
            d.extend(c0.to_le_bytes());
            d.extend(c1.to_le_bytes());
            d.extend([0, 0]);
            d
        };
        assert_eq!(dimensions_area(&dims(0, 10, 0, 4)).unwrap(), 40);
        assert_eq!(dimensions_area(&dims(0, 1_000_000, 0, 256)).unwrap(), 256_000_000);
        assert!(dimensions_area(&dims(10, 5, 0, 4)).is_err());
    }
}
