//! RTF as a [`PageFlow`], built beside the flowing reading by the same
//! parser (`super::rtf` calls in here): the paper size and margins
//! (`\paperw`, `\margl`... and their section forms), paragraphs with their
//! alignment, indents, spacing and line spacing (`\qc`, `\li`, `\fi`, `\sb`,
//! `\sa`, `\sl`, `\slmult`), list markers (`\listtext`) before a tab stop,
//! runs with the font table's families, sizes, colour table's colours,
//! bold, italic, underline, strike, raised and lowered text; tables from
//! their cell boundaries (`\cellx`), with borders where cells say so; page
//! breaks. Footnotes, headers and footers, pictures and shapes are not in it
//! (the flowing reading names what it leaves out).

use std::collections::HashMap;

use fileconv_core::document::fixed::{Align, Bullet, Color, FixedCell, FixedRow, FixedTable, FlowBlock, FlowParagraph, FlowSection, PageFlow, Spacing, Stroke, TextBody, TextParagraph, TextRun};

/// Twips in a point.
const TWIPS: f32 = 20.0;

/// Character properties the parser keeps per group.
#[derive(Clone, Copy, Debug, Default)]
pub struct Chars {
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub font: i32,
    /// Half-points.
    pub size: i32,
    /// Index into the colour table (0: automatic).
    pub color: i32,
    /// Raised (positive), lowered (negative) or on the line.
    pub shift: i8,
    pub caps: bool,
}

/// Paragraph properties, reset by `\pard`.
#[derive(Clone, Debug, Default)]
struct Para {
    align: Align,
    left: i32,
    right: i32,
    first: i32,
    before: i32,
    after: i32,
    /// `\sl` and whether `\slmult1` makes it a multiple of single spacing.
    line: i32,
    line_multiple: bool,
    keep_next: bool,
    break_before: bool,
}

/// Builds the page flow while the parser reads the body.
pub struct PageBuilder {
    /// Paper and margins, twips: width, height, left, top, right, bottom.
    page: [i32; 6],
    default_tab: i32,
    fonts: HashMap<i32, String>,
    colors: Vec<Option<Color>>,
    /// The colour table entry being read (red, green, blue).
    color_entry: (u8, u8, u8, bool),
    para: Para,
    runs: Vec<TextRun>,
    marker: Option<String>,
    blocks: Vec<FlowBlock>,
    /// The table being read: cell right edges of the row being defined
    /// (twips from the margin), the row's left edge, its cells and whether
    /// they draw borders; the rows so far.
    cell_edges: Vec<i32>,
    row_left: i32,
    bordered: bool,
    cell_paragraphs: Vec<TextParagraph>,
    row: Vec<FixedCell>,
    table: Option<FixedTable>,
    table_indent: f32,
}

impl Default for PageBuilder {
    fn default() -> Self {
        PageBuilder {
            page: [12_240, 15_840, 1_800, 1_440, 1_800, 1_440],
            default_tab: 720,
            fonts: HashMap::new(),
            colors: Vec::new(),
            color_entry: (0, 0, 0, false),
            para: Para::default(),
            runs: Vec::new(),
            marker: None,
            blocks: Vec::new(),
            cell_edges: Vec::new(),
            row_left: 0,
            bordered: false,
            cell_paragraphs: Vec::new(),
            row: Vec::new(),
            table: None,
            table_indent: 0.0,
        }
    }
}

/// Blocks one RTF file may make.
const MAX_BLOCKS: usize = 2_000_000;

impl PageBuilder {
    pub fn font(&mut self, id: i32, name: &str) {
        if self.fonts.len() < 10_000 {
            self.fonts.insert(id, name.to_string());
        }
    }

    /// A control word of the colour table (`\red255`...) or `;` ending an entry.
    pub fn color_word(&mut self, word: &str, value: i32) {
        let v = value.clamp(0, 255) as u8;
        match word {
            "red" => self.color_entry.0 = v,
            "green" => self.color_entry.1 = v,
            "blue" => self.color_entry.2 = v,
            _ => return,
        }
        self.color_entry.3 = true;
    }

    pub fn color_text(&mut self, text: &str) {
        for _ in text.matches(';') {
            if self.colors.len() < 10_000 {
                let (r, g, b, set) = self.color_entry;
                self.colors.push(set.then_some((r, g, b)));
            }
            self.color_entry = (0, 0, 0, false);
        }
    }

    /// A control word that sets page or paragraph properties.
    pub fn word(&mut self, word: &str, param: Option<i32>) {
        let value = param.unwrap_or(0);
        let twips = value.clamp(-100_000, 100_000);
        match word {
            "paperw" | "pgwsxn" => self.page[0] = twips,
            "paperh" | "pghsxn" => self.page[1] = twips,
            "margl" | "marglsxn" => self.page[2] = twips,
            "margt" | "margtsxn" => self.page[3] = twips,
            "margr" | "margrsxn" => self.page[4] = twips,
            "margb" | "margbsxn" => self.page[5] = twips,
            "deftab" if value > 0 => self.default_tab = twips,
            "pard" => self.para = Para::default(),
            "line" => {
                if let Some(last) = self.runs.last_mut() {
                    last.text.push('\n');
                }
            }
            "ql" => self.para.align = Align::Left,
            "qc" => self.para.align = Align::Center,
            "qr" => self.para.align = Align::Right,
            "qj" | "qd" => self.para.align = Align::Justify,
            "li" | "lin" => self.para.left = twips,
            "ri" | "rin" => self.para.right = twips,
            "fi" => self.para.first = twips,
            "sb" => self.para.before = twips,
            "sa" => self.para.after = twips,
            "sl" => self.para.line = twips,
            "slmult" => self.para.line_multiple = value == 1,
            "keepn" => self.para.keep_next = true,
            "pagebb" => self.para.break_before = true,
            "trowd" => {
                self.cell_edges.clear();
                self.row_left = 0;
                self.bordered = false;
            }
            "trleft" => self.row_left = twips,
            "cellx" if self.cell_edges.len() < 1_000 => self.cell_edges.push(twips),
            "clbrdrt" | "clbrdrb" | "clbrdrl" | "clbrdrr" => self.bordered = true,
            _ => {}
        }
    }

    pub fn marker(&mut self, text: &str) {
        let marker = self.marker.get_or_insert_with(String::new);
        if marker.len() < 64 {
            marker.push_str(text);
        }
    }

    pub fn text(&mut self, text: &str, chars: &Chars, link: Option<&String>) {
        let text = if chars.caps { text.to_uppercase() } else { text.to_string() };
        let color = usize::try_from(chars.color).ok().and_then(|i| self.colors.get(i).copied().flatten()).unwrap_or((0, 0, 0));
        let run = TextRun {
            text,
            font: self.fonts.get(&chars.font).cloned(),
            size: (chars.size.clamp(2, 3_276) as f32) / 2.0,
            bold: chars.bold,
            italic: chars.italic,
            underline: chars.underline,
            strike: chars.strike,
            color,
            baseline: match chars.shift {
                s if s > 0 => 0.33,
                s if s < 0 => -0.2,
                _ => 0.0,
            },
            link: link.cloned(),
            page_number: false,
        };
        match self.runs.last_mut() {
            Some(last) if same_look(last, &run) => last.text.push_str(&run.text),
            _ => self.runs.push(run),
        }
    }

    fn take_paragraph(&mut self, chars: &Chars) -> TextParagraph {
        let p = &self.para;
        let points = |t: i32| t as f32 / TWIPS;
        let runs = std::mem::take(&mut self.runs);
        let size = runs.first().map_or(chars.size as f32 / 2.0, |r| r.size);
        let mut para = TextParagraph {
            align: p.align,
            margin_left: points(p.left),
            indent: points(p.first),
            space_before: Spacing::Points(points(p.before)),
            space_after: Spacing::Points(points(p.after)),
            line_spacing: match (p.line, p.line_multiple) {
                (0, _) => Spacing::Lines(1.0),
                (l, true) if l > 0 => Spacing::Lines(l as f32 / 240.0),
                (l, _) if l > 0 => Spacing::AtLeast(points(l)),
                (l, _) => Spacing::Points(points(-l)),
            },
            empty_size: size.max(1.0),
            runs,
            ..TextParagraph::default()
        };
        if let Some(marker) = self.marker.take().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()) {
            let first = para.runs.first().cloned().unwrap_or_default();
            para.bullet = Some(Bullet { text: marker, font: first.font, color: first.color, size: first.size, tab_stops: Some(self.default_tab as f32 / TWIPS) });
        }
        para
    }

    /// The end of a paragraph (`\par`), in a table cell or not.
    pub fn paragraph(&mut self, in_table: bool, chars: &Chars) {
        let para = self.take_paragraph(chars);
        if in_table && self.table.is_some() {
            self.cell_paragraphs.push(para);
            return;
        }
        self.end_table();
        let flow = FlowParagraph {
            margin_right: self.para.right as f32 / TWIPS,
            keep_with_next: self.para.keep_next,
            page_break_before: self.para.break_before,
            text: para,
            ..FlowParagraph::default()
        };
        self.push(FlowBlock::Paragraph(flow));
    }

    fn push(&mut self, block: FlowBlock) {
        if self.blocks.len() < MAX_BLOCKS {
            self.blocks.push(block);
        }
    }

    pub fn page_break(&mut self) {
        self.end_table();
        self.push(FlowBlock::PageBreak);
    }

    pub fn start_table(&mut self) {
        if self.table.is_none() {
            self.table = Some(FixedTable::default());
        }
    }

    pub fn cell(&mut self, chars: &Chars) {
        if self.table.is_none() {
            return;
        }
        if !self.runs.is_empty() || self.cell_paragraphs.is_empty() {
            let para = self.take_paragraph(chars);
            self.cell_paragraphs.push(para);
        }
        let column = self.row.len();
        let stroke = self.bordered.then_some(Stroke { color: (0, 0, 0), width: 0.5 });
        let text = TextBody { paragraphs: std::mem::take(&mut self.cell_paragraphs), inset: [5.4, 0.0, 5.4, 0.0], ..TextBody::default() };
        self.row.push(FixedCell { column, columns: 1, rows: 1, fill: None, borders: [stroke; 4], text });
    }

    pub fn row(&mut self) {
        let cells = std::mem::take(&mut self.row);
        let Some(table) = &mut self.table else { return };
        if table.columns.is_empty() {
            // The first row's cell edges give the columns.
            let mut left = self.row_left;
            for edge in &self.cell_edges {
                table.columns.push(((edge - left).max(0)) as f32 / TWIPS);
                left = *edge;
            }
            self.table_indent = self.row_left as f32 / TWIPS;
        }
        if !cells.is_empty() && table.rows.len() < 1_000_000 {
            table.rows.push(FixedRow { height: 0.0, cells });
        }
    }

    pub fn end_table(&mut self) {
        if let Some(table) = self.table.take() {
            if !table.rows.is_empty() {
                let indent = self.table_indent;
                self.push(FlowBlock::Table { table, indent });
            }
        }
        self.row.clear();
        self.cell_paragraphs.clear();
    }

    pub fn finish(mut self) -> PageFlow {
        // Text after the last paragraph mark is a paragraph too.
        if !self.runs.is_empty() {
            self.paragraph(false, &Chars { size: 24, ..Chars::default() });
        }
        self.end_table();
        let points = |t: i32| t as f32 / TWIPS;
        let [w, h, l, t, r, b] = self.page;
        let section = FlowSection {
            width: points(w),
            height: points(h),
            margins: [points(l), points(t), points(r), points(b)],
            header_distance: 36.0,
            footer_distance: 36.0,
            blocks: self.blocks,
            ..FlowSection::default()
        };
        PageFlow { sections: vec![section], endnotes: Vec::new() }
    }
}

fn same_look(a: &TextRun, b: &TextRun) -> bool {
    a.font == b.font && a.size == b.size && a.bold == b.bold && a.italic == b.italic && a.underline == b.underline && a.strike == b.strike && a.color == b.color && a.baseline == b.baseline && a.link == b.link
}
