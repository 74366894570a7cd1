//! `fileconv formats`: the conversion list as text, JSON or the README table.

use std::collections::BTreeMap;

use fileconv_core::Engine;

use crate::emit;
use crate::exit::Failure;

pub fn print(engine: &Engine, as_json: bool, as_markdown: bool) -> Result<(), Failure> {
    let conversions = engine.conversions();
    if as_json {
        let list = fileconv_core::catalog::conversions_json(engine);
        let text = serde_json::to_string_pretty(&list).map_err(|e| Failure { message: e.to_string(), code: 1 })?;
        emit(&format!("{text}\n"));
    } else if as_markdown {
        emit(&markdown_table(engine));
    } else {
        let mut text = String::new();
        for c in &conversions {
            let options: Vec<&str> = c.path.options().iter().map(|o| o.name).collect();
            text.push_str(&format!("{:>5} -> {:<5} {}  [{}]\n", c.from, c.to, c.path, options.join(", ")));
        }
        emit(&text);
        eprintln!("{} conversions", conversions.len());
    }
    Ok(())
}

/// One row per format: what it is, whether it is read and written, and what it converts to.
pub fn markdown_table(engine: &Engine) -> String {
    let mut targets: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut sources: BTreeMap<&str, usize> = BTreeMap::new();
    for c in engine.conversions() {
        targets.entry(c.from).or_default().push(c.to);
        *sources.entry(c.to).or_default() += 1;
    }
    let mut out = String::from("| Format | Name | Read | Write | Converts to |\n|---|---|---|---|---|\n");
    for f in engine.formats() {
        let to = targets.get(f.id).map(|t| t.join(", ")).unwrap_or_default();
        let read = if targets.contains_key(f.id) { "yes" } else { "no" };
        let write = if sources.contains_key(f.id) { "yes" } else { "no" };
        out.push_str(&format!("| {} | {} | {} | {} | {} |\n", f.id, f.name, read, write, to));
    }
    let total: usize = targets.values().map(Vec::len).sum();
    out.push_str(&format!("\n{total} conversions in all.\n"));
    out
}
