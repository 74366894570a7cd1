//! The `table-document` adapter: a spreadsheet as a document, each sheet a
//! level-2 heading (when there are several) and a table whose first row is
//! its header; cells written as text targets write them.

use fileconv_core::{Adapter, Block, Cell, Context, Document, Inline, Result, Run, TableBlock, Value, ValueKind};

inventory::submit! {
    Adapter { name: "table-document", from: ValueKind::Table, to: ValueKind::Document, cost: 5, lossy: false, options: &[], adapt }
}

fn adapt(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let mut table = value.into_table()?;
    let several = table.sheets.len() > 1;
    let mut doc = Document::default();
    for index in 0..table.sheets.len() {
        ctx.checkpoint()?;
        let mut rows: Vec<Vec<Vec<Inline>>> = Vec::new();
        table.read_sheet(index, &mut |row| {
            while rows.len() < row.index as usize {
                rows.push(Vec::new());
            }
            rows.push(row.cells.iter().map(cell).collect());
            Ok(())
        })?;
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        for row in &mut rows {
            row.resize(width, Vec::new());
        }
        if several {
            doc.blocks.push(Block::Heading { level: 2, content: vec![Inline::Text(Run::plain(table.sheets[index].name.clone()))] });
        }
        let header_rows = usize::from(!rows.is_empty());
        doc.blocks.push(Block::Table(TableBlock { header_rows, rows }));
    }
    doc.title = table.sheets.first().map(|s| s.name.clone());
    Ok(Value::Document(doc))
}

fn cell(cell: &Cell) -> Vec<Inline> {
    let text = cell.to_string();
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
