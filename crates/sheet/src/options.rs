//! The spreadsheet options, and the rules that read them.

use fileconv_core::{Error, OptionKind, OptionSpec, Options, Result, Table};

pub const SHEET: OptionSpec = OptionSpec {
    name: "sheet",
    kind: OptionKind::Text { max_len: 100 },
    default: "",
    help: "Sheet to convert: its name, its number from 1, or `all`. Default: every sheet where the target holds several (xlsx, ods, json, html, md), else the first",
};

pub const DELIMITER: OptionSpec = OptionSpec {
    name: "delimiter",
    kind: OptionKind::Text { max_len: 9 },
    default: "",
    help: "Field separator written: one character, or tab, comma, semicolon, pipe, space. Default: comma for csv, tab for tsv",
};

pub const INPUT_DELIMITER: OptionSpec = OptionSpec {
    name: "inputDelimiter",
    kind: OptionKind::Text { max_len: 9 },
    default: "",
    help: "Field separator of the csv read, as for `delimiter`. Default: detected from the first lines (comma, semicolon, tab or pipe)",
};

pub const ENCODING: OptionSpec = OptionSpec {
    name: "encoding",
    kind: OptionKind::Text { max_len: 40 },
    default: "auto",
    help: "Character encoding of the csv read: auto (a BOM, else UTF-8 when valid, else Windows-1252) or a label such as utf-8, utf-16le, windows-1252, iso-8859-15, shift_jis",
};

pub const HEADER: OptionSpec = OptionSpec {
    name: "header",
    kind: OptionKind::Boolean,
    default: "true",
    help: "The first row is a header: bold and frozen in xlsx, bold in ods, the keys of json objects, th cells in html, the header row in md",
};

pub const DATE_FORMAT: OptionSpec = OptionSpec {
    name: "dateFormat",
    kind: OptionKind::Text { max_len: 64 },
    default: "",
    help: "How text targets write dates and times: strftime fields %Y %y %m %d %H %M %S %.f. Default: ISO 8601 (2024-03-01, 13:45:00, 2024-03-01T13:45:00)",
};

/// Reads `sheet` for a target holding several sheets (`multi`) or one.
///
/// # Errors
/// [`Error::InvalidOption`] naming the sheets there are, when the option
/// names none of them, or is `all` for a single-sheet target.
pub fn selected_sheets(table: &Table, options: &Options, multi: bool) -> Result<Vec<usize>> {
    let count = table.sheets.len();
    let all: Vec<usize> = (0..count).collect();
    let Some(wanted) = SHEET.text(options)? else {
        return Ok(if multi { all } else { all.into_iter().take(1).collect() });
    };
    let invalid = |reason: String| Error::InvalidOption {
        name: SHEET.name.to_string(),
        reason,
        valid: format!(
            "{}a sheet name ({}) or number from 1 to {count}",
            if multi { "all, " } else { "" },
            table.sheets.iter().map(|s| format!("'{}'", s.name)).collect::<Vec<_>>().join(", ")
        ),
    };
    if wanted.eq_ignore_ascii_case("all") {
        return if multi { Ok(all) } else { Err(invalid("this target holds one sheet".to_string())) };
    }
    if let Some(i) = table.sheets.iter().position(|s| s.name == wanted) {
        return Ok(vec![i]);
    }
    match wanted.trim().parse::<usize>() {
        Ok(n) if (1..=count).contains(&n) => Ok(vec![n - 1]),
        _ => Err(invalid(format!("no sheet '{wanted}'"))),
    }
}

/// Reads a delimiter option: one character or its name; `None` when not given.
///
/// # Errors
/// [`Error::InvalidOption`] for anything else, or a quote or line break.
pub fn delimiter(spec: &OptionSpec, options: &Options) -> Result<Option<u8>> {
    let Some(raw) = spec.text(options)? else { return Ok(None) };
    let byte = match raw.to_ascii_lowercase().as_str() {
        "tab" | "\\t" | "\t" => b'\t',
        "comma" => b',',
        "semicolon" => b';',
        "pipe" => b'|',
        "space" => b' ',
        _ if raw.len() == 1 && !matches!(raw.as_bytes()[0], b'"' | b'\n' | b'\r') => raw.as_bytes()[0],
        _ => {
            return Err(Error::InvalidOption {
                name: spec.name.to_string(),
                reason: format!("'{raw}' is not a single-byte separator"),
                valid: "one ASCII character other than a quote or line break, or tab, comma, semicolon, pipe, space".to_string(),
            })
        }
    };
    Ok(Some(byte))
}

#[cfg(test)]
mod tests {
    use fileconv_core::Row;

    use super::*;

    fn table() -> Table {
        Table::from_rows(vec![("Data".into(), vec![Row::default()]), ("2".into(), vec![]), ("Notes".into(), vec![])])
    }

    #[test]
    fn sheets_by_name_number_or_all() {
        let t = table();
        assert_eq!(selected_sheets(&t, &Options::new(), true).unwrap(), [0, 1, 2]);
        assert_eq!(selected_sheets(&t, &Options::new(), false).unwrap(), [0]);
        assert_eq!(selected_sheets(&t, &Options::new().with("sheet", "Notes"), false).unwrap(), [2]);
        // A name wins over a number.
        assert_eq!(selected_sheets(&t, &Options::new().with("sheet", "2"), false).unwrap(), [1]);
        assert_eq!(selected_sheets(&t, &Options::new().with("sheet", "3"), false).unwrap(), [2]);
        let err = selected_sheets(&t, &Options::new().with("sheet", "Nope"), true).unwrap_err();
        assert!(err.to_string().contains("'Data', '2', 'Notes'"), "{err}");
        assert!(selected_sheets(&t, &Options::new().with("sheet", "all"), false).is_err());
        assert!(selected_sheets(&t, &Options::new().with("sheet", "0"), true).is_err());
    }

    #[test]
    fn delimiters_by_character_or_name() {
        let d = |v: &str| delimiter(&DELIMITER, &Options::new().with("delimiter", v));
        assert_eq!(d(";").unwrap(), Some(b';'));
        assert_eq!(d("tab").unwrap(), Some(b'\t'));
        assert_eq!(delimiter(&DELIMITER, &Options::new()).unwrap(), None);
        assert!(d("ab").is_err());
        assert!(d("\"").is_err());
        assert!(d("é").is_err());
    }
}
