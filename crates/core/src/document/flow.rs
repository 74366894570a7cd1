//! Word-processor documents (docx, odt, rtf) and slides store a flat run of
//! paragraphs, each with a style and maybe a list level; [`Flow`] folds that
//! run into the document tree: list paragraphs into nested lists, code and
//! quote paragraphs into one code block or quote, title and author
//! paragraphs into the metadata. One builder, so every such reader nests
//! the same way.

use super::{plain_text, Block, Document, Image, Inline, Numbering, Run, TableBlock};

/// What a paragraph is, from its style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Normal,
    /// Level 1 to 6.
    Heading(u8),
    /// The first paragraph of a list item at `level` (0 outermost, at most 8).
    Item { level: usize, numbering: Numbering, start: u64 },
    /// An ordered item at `level` whose number the source says (Word's
    /// counters): it continues the open list when it is the next number
    /// in the same style, else it starts a new list at `number`.
    Numbered { level: usize, number: u64, numbering: Numbering },
    /// A further paragraph of the current item at `level`.
    ItemMore { level: usize, numbering: Numbering },
    Code,
    Quote,
    Title,
    Author,
    /// A horizontal rule (an empty paragraph styled as a line).
    Rule,
}

impl Kind {
    /// The first paragraph of an item whose marker the reader saw: a
    /// number counting in `counting`, or a bullet when there is none.
    pub fn marked_item(level: usize, number: Option<u64>, counting: Numbering) -> Kind {
        let numbering = if number.is_some() { counting } else { Numbering::Bullet };
        Kind::Item { level, numbering, start: number.unwrap_or(1) }
    }
}

/// Deepest list level a word processor stores (Word's `ilvl` 0-8).
pub const MAX_LEVEL: usize = 8;

struct OpenList {
    /// The level the source gave its first item.
    declared: usize,
    numbering: Numbering,
    start: u64,
    items: Vec<Vec<Block>>,
}

/// Builds a [`Document`] from paragraphs and tables in reading order.
#[derive(Default)]
pub struct Flow {
    doc: Document,
    lists: Vec<OpenList>,
    /// Code lines or quote paragraphs waiting for their block to end.
    code: Option<String>,
    quote: Vec<Block>,
}

impl Flow {
    /// Adds a paragraph of `kind`. Empty paragraphs (spacing) are dropped,
    /// but an empty code line is kept.
    pub fn paragraph(&mut self, kind: Kind, mut inlines: Vec<Inline>) {
        if kind == Kind::Rule {
            self.block(Block::Rule);
            return;
        }
        if kind != Kind::Code {
            trim(&mut inlines);
            if inlines.is_empty() {
                return;
            }
        }
        if kind != Kind::Code {
            self.end_code();
        }
        if kind != Kind::Quote {
            self.end_quote();
        }
        match kind {
            Kind::Item { level, numbering, start } => self.item(level.min(MAX_LEVEL), numbering, start, Block::Paragraph(inlines), true),
            Kind::ItemMore { level, numbering } => self.item(level.min(MAX_LEVEL), numbering, 1, Block::Paragraph(inlines), false),
            Kind::Numbered { level, number, numbering } => {
                let declared = level.min(MAX_LEVEL);
                let level = self.nesting(declared);
                let follows = self.lists.get(level).is_some_and(|l| l.numbering == numbering && l.start + l.items.len() as u64 == number);
                if !follows {
                    while self.lists.len() > level {
                        self.close_list();
                    }
                }
                self.item(declared, numbering, number, Block::Paragraph(inlines), true);
            }
            Kind::Code => {
                self.end_lists();
                let line = plain_text(&inlines);
                match &mut self.code {
                    Some(text) => {
                        text.push('\n');
                        text.push_str(&line);
                    }
                    None => self.code = Some(line),
                }
            }
            Kind::Quote => {
                self.end_lists();
                self.quote.push(Block::Paragraph(inlines));
            }
            Kind::Title if self.doc.title.is_none() => self.doc.title = Some(plain_text(&inlines)),
            Kind::Author if self.doc.author.is_none() => self.doc.author = Some(plain_text(&inlines)),
            Kind::Heading(level) => {
                // Bold throughout is the heading's look, not emphasis.
                if inlines.iter().all(|i| matches!(i, Inline::Text(r) if r.bold) || !matches!(i, Inline::Text(_))) {
                    for inline in &mut inlines {
                        if let Inline::Text(run) = inline {
                            run.bold = false;
                        }
                    }
                }
                self.block(Block::Heading { level: level.clamp(1, 6), content: inlines });
            }
            Kind::Normal | Kind::Title | Kind::Author | Kind::Rule => self.block(Block::Paragraph(inlines)),
        }
    }

    /// Adds a block that is not a paragraph (a table, an image, a rule, a
    /// page break), closing open lists, code and quotes.
    pub fn block(&mut self, block: Block) {
        self.end_code();
        self.end_quote();
        self.end_lists();
        self.doc.blocks.push(block);
    }

    pub fn table(&mut self, table: TableBlock) {
        if !table.rows.is_empty() {
            self.block(Block::Table(table));
        }
    }

    pub fn image(&mut self, image: Image) {
        self.block(Block::Image(image));
    }

    /// Footnotes or endnotes after the body, numbered from 1 in the order
    /// given (the order the body cites them): `[n] ` before each note's
    /// first paragraph, as pandoc's plain writer has them.
    pub fn notes(&mut self, notes: impl IntoIterator<Item = Vec<Vec<Inline>>>) {
        for (number, paragraphs) in notes.into_iter().enumerate() {
            for (i, mut inlines) in paragraphs.into_iter().enumerate() {
                if i == 0 {
                    inlines.insert(0, Inline::Text(Run::plain(format!("[{}] ", number + 1))));
                }
                self.paragraph(Kind::Normal, inlines);
            }
        }
    }

    /// Title and author from the file's metadata, where the content named
    /// none: a title the reader saw on the page (a Title paragraph, the first
    /// slide's title) is the document's, a stale property ("PowerPoint
    /// Presentation", a template's name) is not.
    pub fn metadata(&mut self, title: Option<String>, author: Option<String>) {
        if self.doc.title.is_none() {
            self.doc.title = title.filter(|t| !t.trim().is_empty());
        }
        if self.doc.author.is_none() {
            self.doc.author = author.filter(|a| !a.trim().is_empty());
        }
    }

    pub fn finish(mut self) -> Document {
        self.end_code();
        self.end_quote();
        self.end_lists();
        self.doc
    }

    /// Where an item the source puts at `declared` goes among the open
    /// lists: inside every open list of a shallower level. A level the source
    /// skips is not made: a list whose item holds only a deeper list
    /// repeats the number in every writer ("3. 3. 3. text").
    fn nesting(&self, declared: usize) -> usize {
        self.lists.iter().take_while(|l| l.declared < declared).count()
    }

    /// Adds `block` to a list item the source puts at level `declared`.
    fn item(&mut self, declared: usize, numbering: Numbering, start: u64, block: Block, new_item: bool) {
        let level = self.nesting(declared);
        while self.lists.len() > level + 1 {
            self.close_list();
        }
        if self.lists.len() == level + 1 && self.lists[level].numbering != numbering {
            self.close_list();
        }
        while self.lists.len() < level + 1 {
            self.lists.push(OpenList { declared, numbering, start, items: Vec::new() });
        }
        let list = self.lists.last_mut().expect("a list is open");
        match list.items.last_mut() {
            Some(item) if !new_item => item.push(block),
            _ => list.items.push(vec![block]),
        }
    }

    /// Closes the innermost list into its parent's last item (or the body).
    fn close_list(&mut self) {
        let Some(list) = self.lists.pop() else { return };
        let block = Block::List { numbering: list.numbering, start: list.start, items: list.items };
        match self.lists.last_mut() {
            Some(parent) => match parent.items.last_mut() {
                Some(item) => item.push(block),
                None => parent.items.push(vec![block]),
            },
            None => self.doc.blocks.push(block),
        }
    }

    fn end_lists(&mut self) {
        while !self.lists.is_empty() {
            self.close_list();
        }
    }

    fn end_code(&mut self) {
        if let Some(text) = self.code.take() {
            self.doc.blocks.push(Block::CodeBlock { language: None, text });
        }
    }

    fn end_quote(&mut self) {
        if !self.quote.is_empty() {
            let blocks = std::mem::take(&mut self.quote);
            self.doc.blocks.push(Block::Quote(blocks));
        }
    }
}

/// Adds a paragraph's inlines to a table cell: trimmed, on a new line
/// when the cell already has text.
pub fn push_cell_paragraph(cell: &mut Vec<Inline>, mut inlines: Vec<Inline>) {
    trim(&mut inlines);
    if !cell.is_empty() && !inlines.is_empty() {
        cell.push(Inline::Break);
    }
    cell.extend(inlines);
}

/// A table nested in a cell: its cells' text joins the cell's, one line each.
pub fn flatten_into_cell(cell: &mut Vec<Inline>, table: TableBlock) {
    for inlines in table.rows.into_iter().flatten() {
        push_cell_paragraph(cell, inlines);
    }
}

/// Appends `text` in `style`, merged into the last run when it has the same style.
pub fn push_text(inlines: &mut Vec<Inline>, style: &Run, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Inline::Text(last)) = inlines.last_mut() {
        if last.with_text("") == style.with_text("") {
            last.text.push_str(text);
            return;
        }
    }
    inlines.push(Inline::Text(style.with_text(text)));
}

/// Drops leading and trailing whitespace and breaks of a paragraph.
pub fn trim(inlines: &mut Vec<Inline>) {
    while matches!(inlines.first(), Some(Inline::Break)) {
        inlines.remove(0);
    }
    while matches!(inlines.last(), Some(Inline::Break)) {
        inlines.pop();
    }
    if let Some(Inline::Text(run)) = inlines.first_mut() {
        let trimmed = run.text.trim_start().len();
        run.text.drain(..run.text.len() - trimmed);
    }
    if let Some(Inline::Text(run)) = inlines.last_mut() {
        run.text.truncate(run.text.trim_end().len());
    }
    inlines.retain(|i| !matches!(i, Inline::Text(r) if r.text.is_empty()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Vec<Inline> {
        vec![Inline::Text(Run::plain(text))]
    }

    #[test]
    fn a_level_the_source_skips_is_not_made() {
        // A PDF's third-level indent with no list above: "3." once, not "3. 3. 3.".
        let mut flow = Flow::default();
        flow.paragraph(Kind::Numbered { level: 2, number: 3, numbering: Numbering::Decimal }, para("c"));
        flow.paragraph(Kind::Numbered { level: 2, number: 4, numbering: Numbering::Decimal }, para("d"));
        flow.paragraph(Kind::Numbered { level: 3, number: 1, numbering: Numbering::LowerAlpha }, para("d1"));
        flow.paragraph(Kind::Numbered { level: 2, number: 5, numbering: Numbering::Decimal }, para("e"));
        let doc = flow.finish();
        let [Block::List { start: 3, items, .. }] = &doc.blocks[..] else { panic!("one list: {:?}", doc.blocks) };
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[0][..], [Block::Paragraph(_)]), "{:?}", items[0]);
        assert!(matches!(&items[1][..], [Block::Paragraph(_), Block::List { numbering: Numbering::LowerAlpha, .. }]), "{:?}", items[1]);
    }

    #[test]
    fn nests_list_levels_and_merges_code_and_quotes() {
        let mut flow = Flow::default();
        flow.paragraph(Kind::Title, para("T"));
        flow.paragraph(Kind::Item { level: 0, numbering: Numbering::Bullet, start: 1 }, para("a"));
        flow.paragraph(Kind::Item { level: 1, numbering: Numbering::Decimal, start: 1 }, para("a1"));
        flow.paragraph(Kind::Item { level: 0, numbering: Numbering::Bullet, start: 1 }, para("b"));
        flow.paragraph(Kind::Code, para("x"));
        flow.paragraph(Kind::Code, Vec::new());
        flow.paragraph(Kind::Code, para("y"));
        flow.paragraph(Kind::Quote, para("q1"));
        flow.paragraph(Kind::Quote, para("q2"));
        flow.paragraph(Kind::Normal, para("   "));
        let doc = flow.finish();
        assert_eq!(doc.title.as_deref(), Some("T"));
        let Block::List { items, numbering: Numbering::Bullet, .. } = &doc.blocks[0] else { panic!("{:?}", doc.blocks) };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0][1], Block::List { numbering: Numbering::Decimal, items, .. } if items.len() == 1));
        assert_eq!(doc.blocks[1], Block::CodeBlock { language: None, text: "x\n\ny".into() });
        assert!(matches!(&doc.blocks[2], Block::Quote(b) if b.len() == 2));
        assert_eq!(doc.blocks.len(), 3);
    }

    #[test]
    fn merges_runs_of_one_style() {
        let mut inlines = Vec::new();
        push_text(&mut inlines, &Run::plain(""), " a");
        push_text(&mut inlines, &Run::plain(""), "b ");
        push_text(&mut inlines, &Run { bold: true, ..Run::default() }, "c ");
        trim(&mut inlines);
        assert_eq!(inlines, vec![Inline::Text(Run::plain("ab ")), Inline::Text(Run { text: "c".into(), bold: true, ..Run::default() })]);
    }
}
