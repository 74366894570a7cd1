//! The `table-document` adapter: a spreadsheet as a document, each sheet a
//! level-2 heading (when there are several) and a table whose first row is
//! its header; cells written as text targets write them.

use fileconv_core::{Adapter, Block, Cell, Context, Document, Error, Inline, Result, Run, TableBlock, Value, ValueKind};

/// What one cell of the document table holds at least (its inline list),
/// charged to the memory budget.
const CELL_BYTES: u64 = std::mem::size_of::<Vec<Inline>>() as u64;
/// A row's own list.
const ROW_BYTES: u64 = std::mem::size_of::<Vec<Vec<Inline>>>() as u64;
/// A cell's one text run.
const INLINE_BYTES: u64 = std::mem::size_of::<Inline>() as u64;
/// Rows a document page can hold, at the smallest table text.
const ROWS_PER_PAGE: u64 = 100;

inventory::submit! {
    Adapter { name: "table-document", from: ValueKind::Table, to: ValueKind::Document, cost: 5, lossy: false, options: &[], adapt }
}

fn adapt(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let mut table = value.into_table()?;
    let several = table.sheets.len() > 1;
    let mut doc = Document { lazy_pages: table.pages.take(), ..Document::default() };
    for index in 0..table.sheets.len() {
        ctx.checkpoint()?;
        let mut rows: Vec<Vec<Vec<Inline>>> = Vec::new();
        // A document page holds at most about a hundred rows: a table past
        // the page limit's worth cannot become a document.
        let max_rows = u64::from(ctx.limits.max_pages) * ROWS_PER_PAGE;
        table.read_sheet(index, &mut |row| {
            if u64::from(row.index) >= max_rows {
                return Err(Error::limit("table rows in a document (100 per page allowed)", max_rows, u64::from(row.index) + 1));
            }
            let gap = (row.index as usize).saturating_sub(rows.len()) as u64;
            let texts: Vec<String> = row.cells.iter().map(Cell::to_string).collect();
            let text: u64 = texts.iter().map(|t| t.len() as u64).sum();
            ctx.charge_memory((gap + 1) * ROW_BYTES + row.cells.len() as u64 * (CELL_BYTES + INLINE_BYTES) + text, "memory for table cells (bytes)")?;
            while rows.len() < row.index as usize {
                rows.push(Vec::new());
            }
            rows.push(texts.iter().map(|t| inlines(t)).collect());
            Ok(())
        })?;
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        // A sheet with two far-apart cells is a grid of billions once
        // padded: what padding makes is checked before it is made.
        let padded = rows.len() as u64 * width as u64;
        if padded > ctx.limits.max_cells {
            return Err(Error::limit("table cells, empty ones included", ctx.limits.max_cells, padded));
        }
        let filled: u64 = rows.iter().map(|r| r.len() as u64).sum();
        ctx.charge_memory((padded - filled) * CELL_BYTES, "memory for table cells (bytes)")?;
        for row in &mut rows {
            row.resize(width, Vec::new());
        }
        if several {
            doc.blocks.push(Block::Heading { level: 2, content: vec![Inline::Text(Run::plain(table.sheets[index].name.clone()))] });
        }
        let header_rows = usize::from(!rows.is_empty());
        doc.blocks.push(Block::Table(TableBlock { header_rows, rows }));
    }
    // One named sheet names the document; a sheet the source left unnamed does not.
    if let [only] = table.sheets.as_slice() {
        doc.title = Some(only.name.clone()).filter(|name| name != fileconv_core::table::UNNAMED_SHEET);
    }
    Ok(Value::Document(doc))
}

/// A cell's text as inlines: lines joined by breaks.
fn inlines(text: &str) -> Vec<Inline> {
    let mut inlines = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            inlines.push(Inline::Break);
        }
        if !line.is_empty() {
            inlines.push(Inline::Text(Run::plain(line)));
        }
    }
    inlines
}
