#!/usr/bin/python3
"""Reads a spreadsheet written by fileconv back with independent readers
(openpyxl, odfpy, Python's csv, json and html.parser, a GFM table parser)
and prints its sheets as JSON: [{"name": ..., "rows": [[cell text, ...], ...]}].

Cells print the way fileconv's text targets write them: integers without a
decimal point, floats in their shortest form, TRUE/FALSE, ISO 8601 dates and
times, "" for empty. Trailing empty cells and rows are dropped.
Usage: read_table.py FORMAT FILE
"""
import csv
import datetime
import html.parser
import json
import sys


def number(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) < 2**53):
        return str(int(v))
    return repr(float(v))


def canonical(v):
    if v is None:
        return ""
    if isinstance(v, (bool, int, float)):
        return number(v)
    if isinstance(v, datetime.datetime):
        if v.time() == datetime.time(0):
            return v.date().isoformat()
        return v.isoformat(timespec="milliseconds" if v.microsecond else "seconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.time):
        return v.isoformat(timespec="milliseconds" if v.microsecond else "seconds")
    if isinstance(v, datetime.timedelta):
        return (datetime.datetime(2000, 1, 1) + v).time().isoformat()
    return str(v)


def trim(rows):
    rows = [list(r) for r in rows]
    for r in rows:
        while r and r[-1] == "":
            r.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def read_xlsx(path):
    import openpyxl
    book = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in book.worksheets:
        rows, types = [], []
        for row in ws.iter_rows():
            # openpyxl cannot tell a date at midnight from a date: the number format can.
            cells = []
            for c in row:
                v = c.value
                if isinstance(v, datetime.datetime) and c.number_format and "h" not in c.number_format.lower():
                    v = v.date()
                if c.data_type == "e":
                    v = str(v)
                cells.append(canonical(v))
            rows.append(cells)
            types.append([c.data_type if c.value is not None else "" for c in row])
        # iter_rows starts at row 1 and column A: positions are kept.
        bold = ws.max_row >= 1 and any(c.value is not None and c.font is not None and c.font.b for c in ws[1])
        sheets.append({"name": ws.title, "rows": trim(rows), "types": trim(types), "bold_first_row": bool(bold), "frozen": ws.freeze_panes})
    return sheets


def read_ods(path):
    from odf.opendocument import load
    from odf.namespaces import OFFICENS, TABLENS, TEXTNS
    doc = load(path)
    sheets = []

    def text_of(node):
        out = []
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                out.append(child.data)
            elif child.qname == (TEXTNS, "s"):
                out.append(" " * int(child.getAttrNS(TEXTNS, "c") or 1))
            elif child.qname == (TEXTNS, "tab"):
                out.append("\t")
            elif child.qname == (TEXTNS, "line-break"):
                out.append("\n")
            else:
                out.append(text_of(child))
        return "".join(out)

    for table in doc.spreadsheet.getElementsByType(__import__("odf.table", fromlist=["Table"]).Table):
        rows = []
        for row in table.childNodes:
            if row.qname != (TABLENS, "table-row"):
                continue
            cells = []
            for cell in row.childNodes:
                if cell.qname not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
                    continue
                repeat = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
                kind = cell.getAttrNS(OFFICENS, "value-type")
                paragraphs = [text_of(p) for p in cell.childNodes if p.qname == (TEXTNS, "p")]
                text = "\n".join(paragraphs)
                if kind in ("float", "percentage", "currency"):
                    value = number(float(cell.getAttrNS(OFFICENS, "value")))
                elif kind == "boolean":
                    value = "TRUE" if cell.getAttrNS(OFFICENS, "boolean-value") == "true" else "FALSE"
                elif kind == "date":
                    value = cell.getAttrNS(OFFICENS, "date-value")
                elif kind == "time":
                    t = cell.getAttrNS(OFFICENS, "time-value")[2:]
                    h, rest = t.split("H")
                    m, rest = rest.split("M")
                    s = rest.rstrip("S")
                    value = "%02d:%02d:%s" % (int(h), int(m), s if "." in s else "%02d" % int(s))
                else:
                    value = text
                cells.extend([value] * min(repeat, 1024))
            rows.extend([cells] * min(int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1), 100))
        sheets.append({"name": table.getAttrNS(TABLENS, "name"), "rows": trim(rows)})
    return sheets


def read_xls(path):
    import os
    import xlrd
    # xlrd prints its notices ("No CODEPAGE record...") to stdout, where the JSON goes.
    with open(os.devnull, "w") as quiet:
        book = xlrd.open_workbook(path, logfile=quiet)
    sheets = []
    for ws in book.sheets():
        rows = []
        for r in range(ws.nrows):
            cells = []
            for c in range(ws.ncols):
                cell = ws.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    t = xlrd.xldate_as_tuple(cell.value, book.datemode)
                    if cell.value < 1:
                        v = datetime.time(*t[3:])
                    elif t[3:] == (0, 0, 0):
                        v = datetime.date(*t[:3])
                    else:
                        v = datetime.datetime(*t)
                    cells.append(canonical(v))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    cells.append("TRUE" if cell.value else "FALSE")
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    cells.append(xlrd.error_text_from_code[cell.value])
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    cells.append(number(cell.value))
                else:
                    cells.append(canonical(cell.value or None))
            rows.append(cells)
        sheets.append({"name": ws.name, "rows": trim(rows)})
    return sheets


def read_delimited(path, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        return [{"name": "Sheet1", "rows": trim(csv.reader(f, delimiter=delimiter))}]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    named = data.items() if isinstance(data, dict) else [("Sheet1", data)]
    sheets = []
    for name, records in named:
        rows = []
        for i, rec in enumerate(records):
            if isinstance(rec, dict):
                if i == 0:
                    rows.append([canonical(k) for k in rec.keys()])
                rows.append([canonical(v) for v in rec.values()])
            else:
                rows.append([canonical(v) for v in rec])
        sheets.append({"name": name, "rows": trim(rows)})
    return sheets


class Tables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sheets, self.cell, self.caption = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.sheets.append({"name": "", "rows": []})
        elif tag == "tr":
            self.sheets[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag == "caption":
            self.caption = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.sheets[-1]["rows"][-1].append("".join(self.cell))
            self.cell = None
        elif tag == "caption":
            self.sheets[-1]["name"] = "".join(self.caption)
            self.caption = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif self.caption is not None:
            self.caption.append(data)


def read_html(path):
    parser = Tables()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    for s in parser.sheets:
        s["rows"] = trim(s["rows"])
    return parser.sheets


def split_gfm_row(line):
    """Cells of a GFM table row: split on unescaped pipes, then unescape."""
    cells, cur, i = [], [], 0
    body = line.strip()[1:-1] if line.strip().startswith("|") else line.strip()
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            cur.append(body[i + 1])
            i += 2
            continue
        if c == "|":
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    return [c.replace("<br>", "\n") for c in cells]


def read_md(path):
    sheets, name = [], ""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            name = split_gfm_row(line[3:])[0]
        elif line.startswith("|") and i + 1 < len(lines) and set(lines[i + 1].replace("|", "").replace(" ", "")) <= set("-:"):
            rows = [split_gfm_row(line)]
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(split_gfm_row(lines[i]))
                i += 1
            sheets.append({"name": name, "rows": trim(rows)})
            continue
        i += 1
    return sheets


READERS = {
    "xlsx": read_xlsx,
    "xlsm": read_xlsx,
    "xls": read_xls,
    "ods": read_ods,
    "csv": lambda p: read_delimited(p, ","),
    "tsv": lambda p: read_delimited(p, "\t"),
    "json": read_json,
    "html": read_html,
    "md": read_md,
}

if __name__ == "__main__":
    print(json.dumps(READERS[sys.argv[1]](sys.argv[2]), ensure_ascii=False))
