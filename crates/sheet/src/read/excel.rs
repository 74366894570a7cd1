//! Excel's binary workbooks through calamine. xlsb is streamed cell by cell
//! with calamine's cell reader (never its dense `Range`, which two far-apart
//! cells would make enormous); xls is read whole by calamine, so
//! [`super::biff`] bounds its size before calamine sees it. (xlsx and xlsm
//! have their own reader, [`super::xlsx`].)

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use calamine::{CellErrorType, Data, ExcelDateTime, Reader, SheetType, Xls, Xlsb};
use fileconv_core::{panic_text, Cell, CellBudget, Context, Date, DateTime, Error, Input, ReadSeek, Result, RowOut, SheetInfo, Table, TableSource, Time, Unread, Value};

use super::rows::RowBuilder;

enum Book {
    Xlsb(Xlsb<Box<dyn ReadSeek>>),
    Xls(Xls<Box<dyn ReadSeek>>),
}

struct ExcelSource {
    book: Book,
    names: Vec<String>,
    format: &'static str,
    budget: CellBudget,
    /// The sheets read, whose formulas [`TableSource::formulas`] counts.
    read: Vec<usize>,
}

/// Which calamine reader a format takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Zipped binary records.
    Xlsb,
    /// BIFF in a compound file.
    Xls,
}

/// Opens an Excel workbook of `format` as a [`Table`].
///
/// # Errors
/// [`Error::InvalidInput`] when calamine cannot read it (or it is encrypted);
/// [`Error::LimitExceeded`] for a zip or an xls sheet past the limits.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str, kind: Kind) -> Result<Value> {
    let mut value = guarded(format, || open(input, ctx, format, kind))?;
    if let (Kind::Xls, Value::Table(table)) = (kind, &mut value) {
        table.pages = Some(fileconv_core::document::deferred::LazyPages::from_input(&input, ctx, crate::pages::xls::read)?);
    }
    Ok(value)
}

/// Runs calamine. Its binary parsers index into records without bounds
/// checks (fuzzing found `xlsb/mod.rs` panicking on a short BrtBundleSh), so
/// a panic inside it is malformed input, not a bug of ours.
pub(crate) fn guarded<T>(format: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(Error::invalid_input(format, format!("malformed workbook (calamine stopped: {})", panic_text(&*payload))))
    })
}

fn open(input: Input<'_>, ctx: &Context<'_>, format: &'static str, kind: Kind) -> Result<Value> {
    let invalid = |e: &dyn std::fmt::Display| Error::invalid_input(format, e);
    let book = match kind {
        Kind::Xlsb => {
            drop(fileconv_zip::open(Cursor::new(input.bytes), ctx.limits, format)?);
            Book::Xlsb(Xlsb::new(input.open()?).map_err(|e| invalid(&e))?)
        }
        Kind::Xls => {
            super::biff::check(input.bytes, ctx.limits)?;
            Book::Xls(Xls::new(input.open()?).map_err(|e| invalid(&e))?)
        }
    };
    let metadata = match &book {
        Book::Xlsb(b) => b.sheets_metadata().to_vec(),
        Book::Xls(b) => b.sheets_metadata().to_vec(),
    };
    let names: Vec<String> = metadata.into_iter().filter(|s| s.typ == SheetType::WorkSheet).map(|s| s.name).collect();
    if names.is_empty() {
        return Err(Error::invalid_input(format, "the workbook has no worksheet"));
    }
    let mut book = book;
    let sheets = names.iter().map(|name| SheetInfo { name: name.clone(), columns: declared_width(&mut book, name) }).collect();
    let source = ExcelSource { book, names, format, budget: CellBudget::new(ctx.limits), read: Vec::new() };
    Ok(Value::Table(Table::new(sheets, Box::new(source))))
}

use super::xlsx::MAX_DECLARED_WIDTH;

/// The sheet's width as its dimension record declares it (xlsb), so
/// rectangular targets pad rows to the used range, as spreadsheets export it.
fn declared_width(book: &mut Book, name: &str) -> Option<u32> {
    let dimensions = match book {
        Book::Xlsb(b) => b.worksheet_cells_reader(name).ok()?.dimensions(),
        Book::Xls(_) => return None,
    };
    let width = dimensions.end.1.checked_add(1)?;
    (dimensions.end >= dimensions.start && width <= MAX_DECLARED_WIDTH).then_some(width)
}

impl TableSource for ExcelSource {
    fn read_sheet(&mut self, index: usize, sink: &mut RowOut<'_>) -> Result<()> {
        let format = self.format;
        self.read.push(index);
        guarded(format, || self.read(index, sink))
    }

    /// Formulas, counted when asked from calamine's formula ranges (XLS
    /// keeps them from opening the file; XLSB reads the sheet's formulas
    /// again); drawings and comments are not read from these formats.
    fn unread(&mut self, formulas: bool) -> Unread {
        if !formulas {
            return Unread::default();
        }
        let format = self.format;
        let (names, book) = (&self.names, &mut self.book);
        let formulas = self
            .read
            .iter()
            .map(|&index| {
                let name = &names[index];
                let range = guarded(format, || {
                    Ok(match book {
                        Book::Xlsb(b) => b.worksheet_formula(name).ok(),
                        Book::Xls(b) => b.worksheet_formula(name).ok(),
                    })
                });
                range.ok().flatten().map_or(0, |r| r.used_cells().filter(|(_, _, f)| !f.is_empty()).count() as u64)
            })
            .sum();
        Unread { formulas, ..Unread::default() }
    }
}

impl ExcelSource {
    fn read(&mut self, index: usize, sink: &mut RowOut<'_>) -> Result<()> {
        let format = self.format;
        let invalid = |e: &dyn std::fmt::Display| Error::invalid_input(format, e);
        let name = &self.names[index];
        let mut rows = RowBuilder::new(format, &mut self.budget);
        match &mut self.book {
            Book::Xlsb(book) => {
                let mut reader = book.worksheet_cells_reader(name).map_err(|e| invalid(&e))?;
                while let Some(cell) = reader.next_cell().map_err(|e| invalid(&e))? {
                    let (r, c) = cell.get_position();
                    rows.put(r, c, from_data(&Data::from(cell.get_value().clone())), sink)?;
                }
            }
            Book::Xls(book) => {
                let range = book.worksheet_range(name).map_err(|e| invalid(&e))?;
                if let Some((top, left)) = range.start() {
                    for (i, row) in range.rows().enumerate() {
                        for (j, value) in row.iter().enumerate() {
                            rows.put(top + i as u32, left + j as u32, from_data(value), sink)?;
                        }
                    }
                }
            }
        }
        rows.flush(sink)
    }
}

fn from_data(value: &Data) -> Cell {
    match value {
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::number(*f),
        Data::String(s) => Cell::String(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => from_excel_datetime(d),
        Data::DateTimeIso(s) => iso(s),
        Data::DurationIso(s) => Cell::String(s.clone()),
        Data::Error(e) => error(e),
        Data::Empty => Cell::Empty,
    }
}

fn iso(text: &str) -> Cell {
    DateTime::parse_iso(text).map_or_else(|| Cell::String(text.to_string()), Cell::DateTime)
}

pub(crate) fn error(e: &CellErrorType) -> Cell {
    Cell::Error(e.to_string())
}

/// A date-formatted number: a time of day below 1, a date when whole, else
/// both. Durations of a day or more stay numbers (days).
fn from_excel_datetime(d: &ExcelDateTime) -> Cell {
    let serial = d.as_f64();
    if !serial.is_finite() || serial < 0.0 || (d.is_duration() && serial >= 1.0) {
        return Cell::number(serial);
    }
    let (year, month, day, hour, minute, second, millis) = d.to_ymd_hms_milli();
    let time = Time::new(hour, minute, second, millis.min(999));
    if serial < 1.0 {
        return time.map_or(Cell::number(serial), |t| Cell::DateTime(DateTime::time(t)));
    }
    let Some(date) = Date::new(i32::from(year), month, day) else { return Cell::number(serial) };
    let time = time.filter(|t| *t != Time { hour: 0, minute: 0, second: 0, millis: 0 });
    Cell::DateTime(DateTime { date: Some(date), time })
}
