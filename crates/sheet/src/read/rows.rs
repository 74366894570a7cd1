//! Assembles cells that arrive one by one, in reading order, into rows.

use fileconv_core::{Cell, CellBudget, Error, Result, Row, RowOut};

/// Columns and rows a sheet may have: Excel's and LibreOffice's maximum.
pub const MAX_COLUMNS: u32 = 16_384;
pub const MAX_ROWS: u32 = 1_048_576;

/// Gathers cells into rows and hands each finished row to the sink.
pub struct RowBuilder<'b> {
    row: Row,
    open: bool,
    format: &'static str,
    budget: &'b mut CellBudget,
}

impl<'b> RowBuilder<'b> {
    pub fn new(format: &'static str, budget: &'b mut CellBudget) -> Self {
        RowBuilder { row: Row::default(), open: false, format, budget }
    }

    /// Places `cell` at (`row`, `col`). Empty cells are skipped.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a position past the sheet's maximum or a
    /// row before one already read; [`Error::LimitExceeded`] past the cell
    /// budget; whatever the sink returns.
    pub fn put(&mut self, row: u32, col: u32, cell: Cell, sink: &mut RowOut<'_>) -> Result<()> {
        if cell.is_empty() {
            return Ok(());
        }
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err(Error::invalid_input(self.format, format!("cell at row {} column {} is outside the sheet", row + 1, col + 1)));
        }
        if !self.open || row != self.row.index {
            if self.open && row < self.row.index {
                return Err(Error::invalid_input(self.format, format!("row {} comes after row {}", row + 1, self.row.index + 1)));
            }
            self.flush(sink)?;
            self.row.index = row;
            self.open = true;
        }
        self.budget.take(1)?;
        let col = col as usize;
        if col == self.row.cells.len() {
            self.row.cells.push(cell);
            return Ok(());
        }
        if col > self.row.cells.len() {
            self.row.cells.resize(col + 1, Cell::Empty);
        }
        self.row.cells[col] = cell;
        Ok(())
    }

    /// Hands the row being built, if any, to the sink.
    ///
    /// # Errors
    /// Whatever the sink returns.
    pub fn flush(&mut self, sink: &mut RowOut<'_>) -> Result<()> {
        if self.open && !self.row.cells.is_empty() {
            let width = self.row.cells.len();
            let row = std::mem::replace(&mut self.row, Row { index: 0, cells: Vec::with_capacity(width) });
            sink(row)?;
        }
        self.row.cells.clear();
        self.open = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use fileconv_core::Limits;

    use super::*;

    #[test]
    fn cells_become_rows_in_place() {
        let mut budget = CellBudget::new(&Limits::default());
        let mut rows = Vec::new();
        let mut sink = |r: Row| {
            rows.push(r);
            Ok(())
        };
        let mut b = RowBuilder::new("xlsx", &mut budget);
        b.put(0, 1, Cell::Int(1), &mut sink).unwrap();
        b.put(0, 0, Cell::Int(0), &mut sink).unwrap();
        b.put(2, 2, Cell::Empty, &mut sink).unwrap();
        b.put(3, 2, Cell::Bool(true), &mut sink).unwrap();
        assert!(b.put(1, 0, Cell::Int(5), &mut sink).is_err());
        assert!(b.put(4, MAX_COLUMNS, Cell::Int(5), &mut sink).is_err());
        b.flush(&mut sink).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], Row { index: 0, cells: vec![Cell::Int(0), Cell::Int(1)] });
        assert_eq!(rows[1], Row { index: 3, cells: vec![Cell::Empty, Cell::Empty, Cell::Bool(true)] });
    }
}
