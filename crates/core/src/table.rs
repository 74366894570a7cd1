//! The [`Table`] value: a workbook's sheets, each read as a stream of rows of
//! typed cells. Sources push rows into the encoder's sink one at a time, so a
//! conversion holds one row, not the sheet, whatever the sheet's size.

use std::fmt;
use std::sync::mpsc;

use crate::{Error, Limits, Result};

/// One cell's value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Cell {
    #[default]
    Empty,
    Bool(bool),
    /// A whole number; spreadsheet numbers that are whole read as this, so
    /// text targets never show `1.0`.
    Int(i64),
    Float(f64),
    String(String),
    DateTime(DateTime),
    /// An error value as the spreadsheet shows it (`#DIV/0!`, `#N/A`).
    Error(String),
}

impl Cell {
    /// A number, as [`Cell::Int`] when it is whole and exactly representable.
    pub fn number(value: f64) -> Cell {
        if value.fract() == 0.0 && value.abs() < 9.007_199_254_740_992e15 {
            Cell::Int(value as i64)
        } else {
            Cell::Float(value)
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::String(s) => s.is_empty(),
            _ => false,
        }
    }
}

/// How text targets write a cell: integers without a decimal point, floats
/// in their shortest exact form (exponent form only past 1e16 or under 1e-6,
/// as spreadsheets show them; `#NUM!` for NaN and infinities), `TRUE`/`FALSE`,
/// ISO 8601 dates and times, errors as the spreadsheet shows them.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Bool(true) => f.write_str("TRUE"),
            Cell::Bool(false) => f.write_str("FALSE"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Float(x) if !x.is_finite() => f.write_str("#NUM!"),
            Cell::Float(x) if *x != 0.0 && (x.abs() >= 1e16 || x.abs() < 1e-6) => write!(f, "{x:e}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::String(s) => f.write_str(s),
            Cell::DateTime(d) => f.write_str(&d.iso()),
            Cell::Error(e) => f.write_str(e),
        }
    }
}

/// A row: its 0-based index in the sheet and its cells from column A on.
/// Trailing empty cells may be left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub index: u32,
    pub cells: Vec<Cell>,
}

/// The name a sheet gets when its source names none (CSV, TSV): not a
/// name a writer should show as the document's title.
pub const UNNAMED_SHEET: &str = "Sheet1";

/// A sheet as the source names it, with its width when the source knows it
/// before the rows are read (writers of rectangular formats pad to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetInfo {
    pub name: String,
    pub columns: Option<u32>,
}

/// Receives the rows of one sheet, in increasing `index` order (encoders).
pub type RowSink<'a> = dyn FnMut(&Row) -> Result<()> + 'a;

/// Takes the rows a [`TableSource`] reads, as owned values, so they can
/// cross to the encoder's thread without a copy.
pub type RowOut<'a> = dyn FnMut(Row) -> Result<()> + 'a;

/// Where a [`Table`]'s rows come from: a format's reader, kept open.
pub trait TableSource: Send {
    /// Reads sheet `index` (into [`Table::sheets`]), handing every row that
    /// holds a cell to `sink`, in order. Rows without cells are left out;
    /// their place shows in the indexes.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for malformed data, [`Error::LimitExceeded`]
    /// past [`Limits::max_cells`], or whatever `sink` returns.
    fn read_sheet(&mut self, index: usize, sink: &mut RowOut<'_>) -> Result<()>;

    /// What the sheets read so far hold that their rows do not carry;
    /// nothing for sources that hold none or cannot tell. Formulas are
    /// counted only when `formulas` asks (a source may read them again to count).
    fn unread(&mut self, _formulas: bool) -> Unread {
        Unread::default()
    }
}

/// What a [`TableSource`] found in the sheets it read that rows of values
/// do not carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unread {
    /// Cells whose value a formula computes: the values are read, not the formulas.
    pub formulas: u64,
    /// Charts, shapes and pictures placed on the sheets.
    pub drawings: u64,
    /// Comments (notes) attached to cells.
    pub comments: u64,
}

/// A workbook: its sheets and the source that reads their rows.
pub struct Table {
    pub sheets: Vec<SheetInfo>,
    /// How the sheets print (grid, looks, page setup), read when a writer
    /// of pages asks; `None` for sources without a layout (CSV).
    pub pages: Option<crate::document::deferred::LazyPages>,
    source: Box<dyn TableSource>,
}

impl Table {
    pub fn new(sheets: Vec<SheetInfo>, source: Box<dyn TableSource>) -> Self {
        Table { sheets, pages: None, source }
    }

    /// A table held in memory, sheet by sheet (tests, adapters, small sources).
    pub fn from_rows(sheets: Vec<(String, Vec<Row>)>) -> Self {
        let info = sheets
            .iter()
            .map(|(name, rows)| SheetInfo {
                name: name.clone(),
                columns: Some(rows.iter().map(|r| r.cells.len() as u32).max().unwrap_or(0)),
            })
            .collect();
        Table::new(info, Box::new(MemoryTable(sheets.into_iter().map(|(_, rows)| rows).collect())))
    }

    /// See [`TableSource::read_sheet`]. The source reads on a second thread,
    /// a few hundred rows ahead of `sink`, so parsing the input and writing
    /// the output take a core each; `sink` runs on the caller's thread.
    ///
    /// # Errors
    /// As [`TableSource::read_sheet`]; [`Error::Internal`] for an index out of range.
    pub fn read_sheet(&mut self, index: usize, sink: &mut RowSink<'_>) -> Result<()> {
        if index >= self.sheets.len() {
            return Err(Error::Internal(format!("sheet {index} of {}", self.sheets.len())));
        }
        const BATCH: usize = 256;
        let source = &mut self.source;
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<Vec<Row>>(4);
            // Written batches go back to the reader, which drops their rows:
            // memory is freed by the thread that allocated it (a free from
            // another thread takes the allocator's lock of the reader's
            // arena, and the two threads contended for it on every cell).
            let (back_tx, back_rx) = mpsc::channel::<Vec<Row>>();
            let reader = scope.spawn(move || {
                let mut batch = Vec::with_capacity(BATCH);
                let read = source.read_sheet(index, &mut |row| {
                    batch.push(row);
                    if batch.len() == BATCH {
                        let next = back_rx.try_recv().map_or_else(
                            |_| Vec::with_capacity(BATCH),
                            |mut written| {
                                written.clear();
                                written
                            },
                        );
                        // The receiver is gone only when the sink failed: its error is the one reported.
                        tx.send(std::mem::replace(&mut batch, next)).map_err(|_| Error::Cancelled)?;
                    }
                    Ok(())
                });
                if read.is_ok() && !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                read
            });
            let mut written = Ok(());
            'batches: for batch in rx.iter() {
                for row in &batch {
                    written = sink(row);
                    if written.is_err() {
                        break 'batches;
                    }
                }
                let _ = back_tx.send(batch);
            }
            drop(rx);
            let read = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            written.and(read)
        })
    }

    /// See [`TableSource::unread`].
    pub fn unread(&mut self, formulas: bool) -> Unread {
        self.source.unread(formulas)
    }

    /// Notes what the sheets read so far held that the rows written do
    /// not: charts, shapes and pictures, comments, and, for a workbook
    /// target (`workbook`), formulas (text holds values only, as expected).
    pub fn note_unread(&mut self, workbook: bool, ctx: &crate::Context<'_>) {
        let unread = self.unread(workbook);
        let mut parts = Vec::new();
        if workbook && unread.formulas > 0 {
            parts.push(format!("{} formula(s) (their cells hold the values they last computed)", unread.formulas));
        }
        if unread.drawings > 0 {
            parts.push(format!("{} chart(s), shape(s) or picture(s) placed on the sheets", unread.drawings));
        }
        if unread.comments > 0 {
            parts.push(format!("{} comment(s) on cells", unread.comments));
        }
        if !parts.is_empty() {
            ctx.note(format!("{} were left out", parts.join(", ")));
        }
    }

    /// Every row of sheet `index`, collected (for small sheets and tests).
    ///
    /// # Errors
    /// As [`Self::read_sheet`].
    pub fn collect_sheet(&mut self, index: usize) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        self.read_sheet(index, &mut |row| {
            rows.push(row.clone());
            Ok(())
        })?;
        Ok(rows)
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table").field("sheets", &self.sheets).finish_non_exhaustive()
    }
}

struct MemoryTable(Vec<Vec<Row>>);

impl TableSource for MemoryTable {
    fn read_sheet(&mut self, index: usize, sink: &mut RowOut<'_>) -> Result<()> {
        self.0[index].iter().try_for_each(|row| sink(row.clone()))
    }
}

/// Counts cells against [`Limits::max_cells`] as a source reads them.
#[derive(Clone, Copy, Debug)]
pub struct CellBudget {
    used: u64,
    limit: u64,
}

impl CellBudget {
    pub fn new(limits: &Limits) -> Self {
        CellBudget { used: 0, limit: limits.max_cells }
    }

    /// Takes `cells` from the budget.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] once the total passes the limit.
    pub fn take(&mut self, cells: u64) -> Result<()> {
        self.used = self.used.saturating_add(cells);
        if self.used > self.limit {
            return Err(Error::limit("cells", self.limit, self.used));
        }
        Ok(())
    }
}

/// A calendar date, a time of day, or both, without a time zone, as
/// spreadsheets store them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    pub date: Option<Date>,
    pub time: Option<Time>,
}

/// A proleptic Gregorian date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// A time of day with millisecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub millis: u16,
}

const MILLIS_PER_DAY: i64 = 86_400_000;

impl Date {
    /// # Errors
    /// `None` when the day does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month).contains(&day).then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01; `None` outside years -9999..=9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        if days.abs() > 5_000_000 {
            return None;
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (-9999..=9999).contains(&year).then_some(Date { year: year as i32, month, day })
    }
}

impl Time {
    /// # Errors
    /// `None` when a field is out of range.
    pub fn new(hour: u8, minute: u8, second: u8, millis: u16) -> Option<Time> {
        (hour < 24 && minute < 60 && second < 60 && millis < 1000).then_some(Time { hour, minute, second, millis })
    }

    fn millis_of_day(self) -> i64 {
        ((i64::from(self.hour) * 60 + i64::from(self.minute)) * 60 + i64::from(self.second)) * 1000
            + i64::from(self.millis)
    }

    fn from_millis_of_day(ms: i64) -> Time {
        let ms = ms.clamp(0, MILLIS_PER_DAY - 1);
        Time {
            hour: (ms / 3_600_000) as u8,
            minute: (ms / 60_000 % 60) as u8,
            second: (ms / 1000 % 60) as u8,
            millis: (ms % 1000) as u16,
        }
    }
}

/// Excel's day 0 (1899-12-30 in the 1900 system, counting its phantom 1900-02-29).
const EXCEL_EPOCH_DAYS: i64 = -25_569;

impl DateTime {
    pub fn date(date: Date) -> Self {
        DateTime { date: Some(date), time: None }
    }

    pub fn time(time: Time) -> Self {
        DateTime { date: None, time: Some(time) }
    }

    /// From a spreadsheet serial number (days since 1899-12-30, the fraction
    /// the time of day). Whole numbers give a date, values below 1 a time of
    /// day, others both. `None` for serials outside years 1900..=9999 or NaN.
    pub fn from_serial(serial: f64) -> Option<DateTime> {
        if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
            return None;
        }
        let total_ms = (serial * MILLIS_PER_DAY as f64).round() as i64;
        let (mut days, ms) = (total_ms / MILLIS_PER_DAY, total_ms % MILLIS_PER_DAY);
        if days == 0 {
            return Some(DateTime::time(Time::from_millis_of_day(ms)));
        }
        // Serials 1 to 60 count from 1899-12-31 (Excel's 1900 leap-year bug).
        if days <= 60 {
            days += 1;
        }
        let date = Date::from_days_since_epoch(days + EXCEL_EPOCH_DAYS)?;
        let time = (ms != 0).then(|| Time::from_millis_of_day(ms));
        Some(DateTime { date: Some(date), time })
    }

    /// The spreadsheet serial number (see [`Self::from_serial`]).
    pub fn to_serial(self) -> f64 {
        let days = self.date.map_or(0, |d| {
            let days = d.days_since_epoch() - EXCEL_EPOCH_DAYS;
            if (2..=60).contains(&days) { days - 1 } else { days }
        });
        let ms = self.time.map_or(0, Time::millis_of_day);
        days as f64 + ms as f64 / MILLIS_PER_DAY as f64
    }

    /// ISO 8601: `2024-03-01`, `13:45:00`, `2024-03-01T13:45:00`, with `.250`
    /// when there are milliseconds.
    pub fn iso(&self) -> String {
        self.format("%Y-%m-%dT%H:%M:%S%.f")
    }

    /// Formats with strftime-style fields: `%Y` (year), `%y` (two digits),
    /// `%m`, `%d`, `%H`, `%M`, `%S`, `%.f` (`.mmm` when not zero), `%%`.
    /// Date fields are dropped from a time and time fields from a date, with
    /// the separators between them (`%Y-%m-%dT%H:%M` on a date gives `2024-03-01`).
    pub fn format(&self, pattern: &str) -> String {
        let mut out = String::with_capacity(pattern.len() + 8);
        let mut literal = String::new();
        let (mut any_field, mut last_shown) = (false, false);
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let field = match (c, chars.peek().copied()) {
                ('%', Some('%')) => {
                    chars.next();
                    literal.push('%');
                    continue;
                }
                ('%', Some('.')) => {
                    chars.next();
                    if chars.next() != Some('f') {
                        literal.push_str("%.");
                        continue;
                    }
                    self.time.map(|t| if t.millis != 0 { format!(".{:03}", t.millis) } else { String::new() })
                }
                ('%', Some(f)) => {
                    chars.next();
                    self.field(f)
                }
                _ => {
                    literal.push(c);
                    continue;
                }
            };
            // Text between two fields shows only when both do; text before
            // the first field always does.
            if !any_field || (last_shown && field.is_some()) {
                out.push_str(&literal);
            }
            literal.clear();
            if let Some(text) = &field {
                out.push_str(text);
            }
            any_field = true;
            last_shown = field.is_some();
        }
        if !any_field || last_shown {
            out.push_str(&literal);
        }
        out
    }

    fn field(&self, f: char) -> Option<String> {
        match (f, self.date, self.time) {
            ('Y', Some(d), _) => Some(format!("{:04}", d.year)),
            ('y', Some(d), _) => Some(format!("{:02}", d.year.rem_euclid(100))),
            ('m', Some(d), _) => Some(format!("{:02}", d.month)),
            ('d', Some(d), _) => Some(format!("{:02}", d.day)),
            ('H', _, Some(t)) => Some(format!("{:02}", t.hour)),
            ('M', _, Some(t)) => Some(format!("{:02}", t.minute)),
            ('S', _, Some(t)) => Some(format!("{:02}", t.second)),
            _ => None,
        }
    }

    /// Parses ISO 8601 as written by [`Self::iso`] and common variants:
    /// `2024-03-01`, `2024-03-01 13:45`, `2024-03-01T13:45:00.5`, `13:45:00`.
    /// A trailing `Z` is accepted; other offsets are not.
    pub fn parse_iso(text: &str) -> Option<DateTime> {
        let t = text.strip_suffix('Z').unwrap_or(text);
        let (date_part, time_part) = match t.find(['T', ' ']) {
            Some(i) => (Some(&t[..i]), Some(&t[i + 1..])),
            None if t.contains(':') => (None, Some(t)),
            None => (Some(t), None),
        };
        let date = match date_part {
            Some(d) => Some(parse_date(d)?),
            None => None,
        };
        let time = match time_part {
            Some(tp) => Some(parse_time(tp)?),
            None => None,
        };
        Some(DateTime { date, time })
    }
}

fn digits(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Date::new(digits(y, 4)? as i32, digits(m, 2)? as u8, digits(d, 2)? as u8)
}

fn parse_time(s: &str) -> Option<Time> {
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let mut parts = hms.split(':');
    let (h, m) = (digits(parts.next()?, 2)?, digits(parts.next()?, 2)?);
    let sec = match parts.next() {
        Some(p) => digits(p, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let millis = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<3}");
            padded[..3].parse::<u16>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Time::new(h as u8, m as u8, sec as u8, millis)
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_match_spreadsheets() {
        // Values as LibreOffice and Excel show them.
        let d = DateTime::from_serial(45_352.0).unwrap();
        assert_eq!(d.iso(), "2024-03-01");
        assert_eq!(DateTime::from_serial(45_352.5729166667).unwrap().iso(), "2024-03-01T13:45:00");
        assert_eq!(DateTime::from_serial(0.25).unwrap().iso(), "06:00:00");
        assert_eq!(DateTime::from_serial(61.0).unwrap().iso(), "1900-03-01");
        assert_eq!(DateTime::from_serial(1.0).unwrap().iso(), "1900-01-01");
        for serial in [1.0, 59.0, 61.0, 45_352.0, 45_352.75, 0.5, 2_958_465.0] {
            assert_eq!(DateTime::from_serial(serial).unwrap().to_serial(), serial, "{serial}");
        }
        assert!(DateTime::from_serial(f64::NAN).is_none());
        assert!(DateTime::from_serial(-1.0).is_none());
        assert!(DateTime::from_serial(1e300).is_none());
    }

    #[test]
    fn iso_round_trip_and_formats() {
        for text in ["2024-02-29", "23:59:59", "1999-12-31T00:00:01", "2024-03-01T13:45:00.250"] {
            assert_eq!(DateTime::parse_iso(text).unwrap().iso(), text);
        }
        assert_eq!(DateTime::parse_iso("2024-03-01 13:45").unwrap().iso(), "2024-03-01T13:45:00");
        for bad in ["2023-02-29", "2024-13-01", "24:00:00", "2024-3-1", "hello", "12:00:00+02:00", ""] {
            assert!(DateTime::parse_iso(bad).is_none(), "{bad}");
        }
        let dt = DateTime::parse_iso("2024-03-01T13:45:00").unwrap();
        assert_eq!(dt.format("%d/%m/%Y %H:%M"), "01/03/2024 13:45");
        assert_eq!(DateTime::parse_iso("2024-03-01").unwrap().format("%d/%m/%Y %H:%M"), "01/03/2024");
        assert_eq!(DateTime::parse_iso("08:05:00").unwrap().format("%d/%m/%Y %H:%M"), "08:05");
        assert_eq!(dt.format("100%% %y"), "100% 24");
    }

    #[test]
    fn civil_days() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        for days in [-800_000, -1, 0, 59, 11_017, 2_000_000] {
            assert_eq!(Date::from_days_since_epoch(days).unwrap().days_since_epoch(), days);
        }
    }

    #[test]
    fn cells_as_text() {
        assert_eq!(Cell::Int(42).to_string(), "42");
        assert_eq!(Cell::Float(0.1).to_string(), "0.1");
        assert_eq!(Cell::Float(1.5e300).to_string(), "1.5e300");
        assert_eq!(Cell::Float(f64::NAN).to_string(), "#NUM!");
        assert_eq!(Cell::Bool(false).to_string(), "FALSE");
        assert_eq!(Cell::DateTime(DateTime::parse_iso("2024-03-01").unwrap()).to_string(), "2024-03-01");
    }

    #[test]
    fn whole_numbers_are_integers() {
        assert_eq!(Cell::number(3.0), Cell::Int(3));
        assert_eq!(Cell::number(-0.5), Cell::Float(-0.5));
        assert_eq!(Cell::number(1e300), Cell::Float(1e300));
    }

    #[test]
    fn budget_stops_at_the_limit() {
        let limits = Limits { max_cells: 10, ..Limits::default() };
        let mut budget = CellBudget::new(&limits);
        budget.take(10).unwrap();
        assert!(matches!(budget.take(1), Err(Error::LimitExceeded { what: "cells", .. })));
    }
}
