//! Spreadsheets: every readable fixture to every writable format, read back
//! by independent readers (openpyxl, odfpy, xlrd, Python's csv, json and
//! html.parser, a GFM parser) and compared cell by cell with the fixture as
//! those readers see it; encodings and delimiters; options; limits.

mod common;

use common::{read_table, sheet_fixtures, writable, SheetText};
use fileconv::{Category, Error, Limits, Options};

fn convert(bytes: &[u8], from: &str, to: &str, options: &Options) -> Vec<u8> {
    fileconv::engine().convert_with(bytes, from, to, options).unwrap_or_else(|e| panic!("{from} to {to}: {e}"))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::testdata().join("sheet").join(name)).unwrap()
}

/// What a target keeps of `source`: text targets of one sheet keep the
/// first; JSON names empty header cells by their column letter.
fn as_target_keeps(source: &[SheetText], target: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let sheets: Vec<&SheetText> = if matches!(target, "csv" | "tsv") { source.iter().take(1).collect() } else { source.iter().collect() };
    let several = sheets.len() > 1;
    sheets
        .into_iter()
        .map(|s| {
            let mut rows = s.rows.clone();
            if target == "json" {
                if let Some(header) = rows.first_mut() {
                    for (col, cell) in header.iter_mut().enumerate() {
                        if cell.is_empty() {
                            *cell = ((b'A' + col as u8) as char).to_string();
                        }
                    }
                }
            }
            // Names survive where the target has a place for them.
            let name = match target {
                "xlsx" | "ods" => s.name.clone(),
                "json" | "html" | "md" if several => s.name.clone(),
                // What the reader calls a lone sheet.
                "csv" | "tsv" | "json" => "Sheet1".to_string(),
                _ => String::new(),
            };
            (name, rows)
        })
        .collect()
}

fn names_and_rows(sheets: &[SheetText]) -> Vec<(String, Vec<Vec<String>>)> {
    sheets.iter().map(|s| (s.name.clone(), s.rows.clone())).collect()
}

#[test]
fn the_fixture_holds_what_the_tests_rely_on() {
    let book = read_table(&fixture("book.xlsx"), "xlsx");
    assert_eq!(book.len(), 2);
    let data = &book[0].rows;
    assert_eq!(data[1][0], "Ünïcødé 日本語 😀");
    assert_eq!(data[1][3..6], ["2024-03-01", "13:45:00", "2024-03-01T13:45:30"]);
    assert_eq!(data[1][9], "#DIV/0!");
    assert_eq!(data[2][7], "line one\nline two");
    assert!(data[3].is_empty(), "an empty row in the middle");
    assert_eq!(book[1].name, "Zweite Ü");
    assert_eq!(book[1].rows[0], ["", "Key", "Value"]);
}

#[test]
fn every_workbook_converts_to_every_target_cell_for_cell() {
    let targets = writable(Category::Spreadsheet).into_iter().chain(["html", "md"]).collect::<Vec<_>>();
    assert_eq!(targets, ["csv", "json", "ods", "tsv", "xlsx", "html", "md"]);
    let mut checked = 0;
    for (file, format, bytes) in sheet_fixtures() {
        // The workbooks made from book.fods (print.* are the page tests' and have headings with empty cells, which JSON names).
        if !matches!(format.as_str(), "xlsx" | "xlsm" | "xls" | "ods") || file.starts_with("print.") {
            continue;
        }
        let source = read_table(&bytes, &format);
        assert_eq!(source[0].rows[1][0], "Ünïcødé 日本語 😀", "{file} as its reader sees it");
        for target in &targets {
            let out = convert(&bytes, &format, target, &Options::new());
            let back = read_table(&out, target);
            assert_eq!(names_and_rows(&back), as_target_keeps(&source, target), "{file} to {target}");
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 7, "book.xlsx, book.xlsm, book.xls, book.ods, gnumeric.xlsx");
}

#[test]
fn csv_converts_to_every_target_and_types_its_cells() {
    let bytes = fixture("book.csv");
    let source = read_table(&bytes, "csv");
    assert_eq!(source[0].rows[1][5], "2024-03-01 13:45:30", "LibreOffice writes date-times with a space");
    for target in ["csv", "json", "ods", "tsv", "xlsx", "html", "md"] {
        let back = read_table(&convert(&bytes, "csv", target, &Options::new()), target);
        let mut expected = as_target_keeps(&source, target);
        // Date-times are written back in ISO 8601.
        for row in &mut expected[0].1 {
            if let Some(cell) = row.get_mut(5) {
                *cell = cell.replacen(' ', "T", 1);
            }
        }
        if matches!(target, "ods" | "xlsx") {
            expected[0].0 = "Sheet1".to_string();
        }
        assert_eq!(names_and_rows(&back), expected, "csv to {target}");
    }
    // Typed cells in the workbook: numbers, dates, booleans stay what they are.
    let xlsx = read_table(&convert(&bytes, "csv", "xlsx", &Options::new()), "xlsx");
    assert_eq!(xlsx[0].types[1], ["s", "n", "n", "d", "d", "d", "n", "s", "n", "s"]);
}

#[test]
fn workbooks_keep_types_header_style_and_sheet_names() {
    let out = convert(&fixture("book.ods"), "ods", "xlsx", &Options::new());
    let back = read_table(&out, "xlsx");
    assert_eq!(back[0].types[1], ["s", "n", "n", "d", "d", "d", "n", "s", "n", "e"]);
    assert!(back[0].bold_first_row);
    assert_eq!(back[0].frozen.as_deref(), Some("A2"));
    assert_eq!(back[1].name, "Zweite Ü");
    let plain = read_table(&convert(&fixture("book.ods"), "ods", "xlsx", &Options::new().with("header", "false")), "xlsx");
    assert!(!plain[0].bold_first_row);
    assert_eq!(plain[0].frozen, None);
}

#[test]
fn xlsb_made_by_pyxlsbwriter_reads() {
    let bytes = fixture("book.xlsb");
    let json: serde_json::Value = serde_json::from_slice(&convert(&bytes, "xlsb", "json", &Options::new())).unwrap();
    assert_eq!(json["Data"][0]["Name"], "Ünïcødé 日本語");
    assert_eq!(json["Data"][0]["Amount"], 1234.5);
    assert_eq!(json["Data"][0]["Count"], 42);
    assert_eq!(json["Data"][0]["Date"], "2024-03-01");
    assert_eq!(json["Data"][0]["Flag"], true);
    assert_eq!(json["Data"][1]["Name"], "quote \"here\"");
    assert_eq!(json["Data"][1]["Date"], "2000-02-29T23:59:59");
    assert_eq!(json["Data"][1]["Flag"], false);
    assert_eq!(json["Zweite Ü"][0]["Value"], 3.14159);
    // No reader outside calamine reads xlsb: the expected grid is what pyxlsbwriter was given.
    let grid = |rows: &[&[&str]]| rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>();
    let source = vec![
        SheetText {
            name: "Data".into(),
            rows: grid(&[
                &["Name", "Amount", "Count", "Date", "Flag"],
                &["Ünïcødé 日本語", "1234.5", "42", "2024-03-01", "TRUE"],
                &["quote \"here\"", "-0.125", "0", "2000-02-29T23:59:59", "FALSE"],
            ]),
            types: Vec::new(),
            bold_first_row: false,
            frozen: None,
        },
        SheetText { name: "Zweite Ü".into(), rows: grid(&[&["Key", "Value"], &["π", "3.14159"]]), types: Vec::new(), bold_first_row: false, frozen: None },
    ];
    for target in ["csv", "json", "ods", "tsv", "xlsx", "html", "md"] {
        let back = read_table(&convert(&bytes, "xlsb", target, &Options::new()), target);
        assert_eq!(names_and_rows(&back), as_target_keeps(&source, target), "xlsb to {target}");
    }
}

#[test]
fn encodings_and_delimiters_are_detected() {
    let latin: serde_json::Value = serde_json::from_slice(&convert(&fixture("latin1.csv"), "csv", "json", &Options::new())).unwrap();
    assert_eq!(latin[0]["Name"], "café");
    assert_eq!(latin[0]["Price"], "3,50", "a decimal comma stays text");
    assert_eq!(latin[0]["Note"], "naïve €");
    assert_eq!(latin[1]["Price"], 4);
    assert_eq!(latin[1]["Note"], "a;b");
    let utf16 = read_table(&convert(&fixture("utf16.tsv"), "tsv", "csv", &Options::new()), "csv");
    assert_eq!(utf16[0].rows, [["Name", "City"], ["Zoë", "København"], ["日本", "東京"]]);
    let bom: serde_json::Value = serde_json::from_slice(&convert(&fixture("bom.csv"), "csv", "json", &Options::new())).unwrap();
    assert_eq!(bom[0]["id"], 1, "the BOM is not part of the first key");
    assert_eq!(bom[0]["label"], "ÀÉÎ");
    assert_eq!(bom[1]["id"], "007", "leading zeros stay text");
    // Given explicitly, an encoding overrides the guess.
    let forced = convert(&fixture("latin1.csv"), "csv", "csv", &Options::new().with("encoding", "utf-8").with("delimiter", "tab"));
    assert!(String::from_utf8_lossy(&forced).contains("caf\u{FFFD}\t"), "{}", String::from_utf8_lossy(&forced));
    let semicolons = convert(b"a,b;c\n1,2;3\n", "csv", "csv", &Options::new().with("inputDelimiter", ";"));
    assert_eq!(semicolons, b"\"a,b\",c\n\"1,2\",3\n");
}

#[test]
fn options_pick_sheets_and_shape_text() {
    let book = fixture("book.xlsx");
    let second = convert(&book, "xlsx", "csv", &Options::new().with("sheet", "Zweite Ü"));
    assert_eq!(String::from_utf8(second.clone()).unwrap(), ",Key,Value\n,π,3.14159\n,big,123456789012\n");
    assert_eq!(convert(&book, "xlsx", "csv", &Options::new().with("sheet", "2")), second);
    // Without the option, CSV holds the first sheet and says what it left out.
    let notes = |options: &Options| fileconv::engine().convert_stream(fileconv::Source::Bytes(&book), "xlsx", "csv", &mut Vec::new(), options, &fileconv::Control::default()).unwrap().notes;
    let said = notes(&Options::new());
    assert!(said.iter().any(|n| n == "this format holds one sheet: the first, 'Data', was written and 1 other(s) left out ('Zweite Ü'); the sheet option picks another (sheet=2)"), "{said:?}");
    assert!(notes(&Options::new().with("sheet", "1")).is_empty(), "a sheet asked for: nothing to say");
    let only_first: serde_json::Value = serde_json::from_slice(&convert(&book, "xlsx", "json", &Options::new().with("sheet", "1"))).unwrap();
    assert!(only_first.is_array(), "one sheet: an array");
    let arrays: serde_json::Value = serde_json::from_slice(&convert(&book, "xlsx", "json", &Options::new().with("header", "false"))).unwrap();
    assert_eq!(arrays["Data"][0][0], "Name");
    assert_eq!(arrays["Data"][3], serde_json::json!([]), "the empty row keeps its place");
    let dated = String::from_utf8(convert(&book, "xlsx", "csv", &Options::new().with("dateFormat", "%d/%m/%Y %H:%M"))).unwrap();
    assert!(dated.contains(",01/03/2024,13:45,01/03/2024 13:45,"), "{dated}");
    let semicolons = String::from_utf8(convert(&book, "xlsx", "csv", &Options::new().with("delimiter", ";"))).unwrap();
    assert!(semicolons.starts_with("Name;Amount;Count;"), "{semicolons}");
    assert!(semicolons.contains(";comma, inside;"), "{semicolons}");

    for (name, value) in [("sheet", "all"), ("sheet", "Nope"), ("sheet", "9"), ("delimiter", "ab"), ("encoding", "klingon")] {
        let from = if name == "encoding" { "csv" } else { "xlsx" };
        let input = if from == "csv" { fixture("book.csv") } else { book.clone() };
        let err = fileconv::engine().convert_with(&input, from, "csv", &Options::new().with(name, value)).unwrap_err();
        assert!(matches!(err, Error::InvalidOption { .. }), "{name}={value}: {err}");
    }
}

#[test]
fn formulas_left_out_of_a_workbook_target_are_counted() {
    // book.* (LibreOffice) and gnumeric.xlsx (ssconvert), both from book.fods, hold 4 formulas; print.xlsx none.
    let notes = |name: &str, from: &str, to: &str| {
        let bytes = fixture(name);
        let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&bytes), from, to, &mut Vec::new(), &Options::new(), &fileconv::Control::default()).unwrap();
        report.notes
    };
    let said = "4 formula(s) (their cells hold the values they last computed) were left out".to_string();
    for (name, from) in [("book.xlsx", "xlsx"), ("book.xlsm", "xlsm"), ("book.ods", "ods"), ("book.xls", "xls"), ("gnumeric.xlsx", "xlsx")] {
        for to in ["xlsx", "ods"] {
            assert!(notes(name, from, to).contains(&said), "{name} to {to}: {:?}", notes(name, from, to));
        }
        // Text targets hold values only: nothing to say.
        assert!(!notes(name, from, "csv").iter().any(|n| n.contains("formula")), "{name} to csv");
    }
    assert!(!notes("print.xlsx", "xlsx", "ods").iter().any(|n| n.contains("formula")));
}

#[test]
fn every_spreadsheet_pair_is_registered() {
    let engine = fileconv::engine();
    for from in ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv"] {
        for to in ["xlsx", "ods", "csv", "tsv", "json", "html", "md"] {
            let path = engine.path(from, to).unwrap_or_else(|e| panic!("{from} to {to}: {e}"));
            assert_eq!(path.lossy_steps(), 0, "{path}");
        }
    }
}

/// A zip of `entries`, deflated but for `mimetype`, stored as ODF wants.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    use fileconv_zip::zip::{write::SimpleFileOptions, CompressionMethod};
    let mut w = fileconv_zip::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" { CompressionMethod::Stored } else { CompressionMethod::Deflated };
        w.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The parts of a zip fixture, by name.
fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = fileconv_zip::zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            (entry.name().unwrap().to_string(), data)
        })
        .collect()
}

#[test]
fn comments_and_drawings_left_out_are_counted() {
    let notes = |bytes: &[u8], from: &str, to: &str| {
        fileconv::engine().convert_stream(fileconv::Source::Bytes(bytes), from, to, &mut Vec::new(), &Options::new(), &fileconv::Control::default()).unwrap().notes
    };
    // print.xlsx and print.ods (LibreOffice) place a picture on their first sheet.
    for (name, from) in [("print.xlsx", "xlsx"), ("print.ods", "ods")] {
        let said = notes(&fixture(name), from, "json");
        assert!(said.iter().any(|n| n.contains("1 chart(s), shape(s) or picture(s) placed on the sheets were left out")), "{name}: {said:?}");
    }
    // book.xlsx with two comments on its first sheet, as Excel attaches them.
    let mut xlsx = parts(&fixture("book.xlsx"));
    xlsx.push(("xl/worksheets/_rels/sheet1.xml.rels".into(), br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments1.xml"/></Relationships>"#.to_vec()));
    xlsx.push(("xl/comments1.xml".into(), br#"<?xml version="1.0"?><comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>A</author></authors><commentList><comment ref="A1" authorId="0"><text><t>First</t></text></comment><comment ref="B2" authorId="0"><text><t>Second</t></text></comment></commentList></comments>"#.to_vec()));
    let borrowed: Vec<(&str, &[u8])> = xlsx.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let said = notes(&zip(&borrowed), "xlsx", "ods");
    assert!(said.contains(&"4 formula(s) (their cells hold the values they last computed), 2 comment(s) on cells were left out".to_string()), "{said:?}");
    // An ODS cell's annotation: counted, and not read as the cell's text.
    let content = br#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><office:annotation><text:p>Hidden</text:p></office:annotation><text:p>Shown</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", content)]);
    assert_eq!(String::from_utf8(convert(&ods, "ods", "csv", &Options::new())).unwrap().trim(), "Shown");
    assert!(notes(&ods, "ods", "csv").contains(&"1 comment(s) on cells were left out".to_string()));
    // Cut inside the annotation: an error, not a reader waiting for its end.
    let cut = &content[..content.windows(6).position(|w| w == b"Hidden").unwrap()];
    let ods = zip(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", cut)]);
    assert!(matches!(fileconv::engine().convert(&ods, "ods", "csv"), Err(Error::InvalidInput { .. })));
}

#[test]
fn zip_bombs_and_huge_repeats_are_refused_before_inflating() {
    let book = fixture("book.xlsx");
    // A sheet of 300 MB of spaces behind the real workbook's parts.
    let mut archive = fileconv_zip::zip::ZipArchive::new(std::io::Cursor::new(&book)).unwrap();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        parts.push((entry.name().unwrap().to_string(), data));
    }
    let sheet = parts.iter_mut().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap();
    sheet.1.splice(0..0, std::iter::repeat_n(b' ', 300 << 20));
    let borrowed: Vec<(&str, &[u8])> = parts.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let bomb = zip(&borrowed);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let err = fileconv::engine().convert(&bomb, "xlsx", "csv").unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { what: "zip expansion ratio", .. }), "{err}");

    // One row with a cell repeated 16,384 times, repeated a million times.
    let content = br#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", content)]);
    let err = fileconv::engine().convert(&ods, "ods", "csv").unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { what: "cells", .. }), "{err}");

    // Tighter limits apply to every reader.
    let few = fileconv::default_engine().with_limits(Limits { max_cells: 10, ..Limits::default() });
    for (file, format, bytes) in sheet_fixtures() {
        if file.starts_with("book.") {
            let err = few.convert(&bytes, &format, "json").unwrap_err();
            assert!(matches!(err, Error::LimitExceeded { what: "cells", .. }), "{file}: {err}");
        }
    }
    let entries = fileconv::default_engine().with_limits(Limits { max_zip_entries: 3, ..Limits::default() });
    assert!(matches!(entries.convert(&book, "xlsx", "csv"), Err(Error::LimitExceeded { what: "zip entries", .. })));
}

/// The xls fixture with its first sheet's DIMENSIONS record claiming the
/// whole BIFF8 grid: calamine would reserve it at open time.
#[test]
fn an_xls_claiming_a_huge_sheet_is_refused() {
    let mut bytes = fixture("book.xls");
    let at = bytes.windows(4).position(|w| w == [0x00, 0x02, 0x0E, 0x00]).expect("a DIMENSIONS record");
    bytes[at + 8..at + 12].copy_from_slice(&65_536u32.to_le_bytes());
    bytes[at + 14..at + 16].copy_from_slice(&256u16.to_le_bytes());
    let small = fileconv::default_engine().with_limits(Limits { max_cells: 1_000_000, ..Limits::default() });
    let err = small.convert(&bytes, "xls", "csv").unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { what: "cells", .. }), "{err}");
}

#[test]
fn long_sheets_and_cells_longer_than_a_read_chunk_read_whole() {
    // 40,000 rows (about 2 MB of sheet XML: the reader inflates 1 MB at a
    // time, so elements are cut at chunk ends), among them cells of 30,000
    // euro signs (90 KB: longer than the room kept before each chunk for a
    // cut element; Excel's limit is 32,767 characters).
    let mut csv = String::from("id,text\n");
    for i in 0..40_000 {
        if i % 1000 == 999 {
            csv.push_str(&format!("{i},{}\n", "€".repeat(30_000)));
        } else {
            csv.push_str(&format!("{i},row {i} of the long sheet\n"));
        }
    }
    let xlsx = convert(csv.as_bytes(), "csv", "xlsx", &Options::new());
    let sheet = common::zip_entry(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(sheet.len() > 3 << 20 && sheet.contains("inlineStr"), "text in the sheet itself: {} bytes", sheet.len());
    let back = convert(&xlsx, "xlsx", "csv", &Options::new());
    let back = String::from_utf8(back).unwrap();
    let first = back.lines().zip(csv.lines()).position(|(a, b)| a != b);
    assert!(back == csv, "the CSV read back differs from the source: {} against {} lines, first difference at line {first:?}: {:?}", back.lines().count(), csv.lines().count(), first.map(|n| &back.lines().nth(n).unwrap()[..80.min(back.lines().nth(n).unwrap().len())]));
}
