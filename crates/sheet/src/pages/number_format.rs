//! Spreadsheet number formats (`#,##0.00`, `0%`, `d-mmm-yy`, `[h]:mm`,
//! `#,##0;[Red](#,##0)`): a number as its cell shows it. Sections for
//! positive, negative and zero numbers and conditions choose the code;
//! colours, locales and fill characters are read and left out; fractions
//! show as decimals.

use fileconv_core::DateTime;

/// The built-in formats a file names by number only (ECMA-376 18.8.30),
/// as LibreOffice shows them in an English locale.
pub fn builtin(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        5 => "\"$\"#,##0_);(\"$\"#,##0)",
        6 => "\"$\"#,##0_);[Red](\"$\"#,##0)",
        7 => "\"$\"#,##0.00_);(\"$\"#,##0.00)",
        8 => "\"$\"#,##0.00_);[Red](\"$\"#,##0.00)",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        14 => "mm/dd/yy",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 => "h:mm",
        21 => "h:mm:ss",
        22 => "mm/dd/yy h:mm",
        37 => "#,##0_);(#,##0)",
        38 => "#,##0_);[Red](#,##0)",
        39 => "#,##0.00_);(#,##0.00)",
        40 => "#,##0.00_);[Red](#,##0.00)",
        41 => "_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)",
        42 => "_(\"$\"* #,##0_);_(\"$\"* (#,##0);_(\"$\"* \"-\"_);_(@_)",
        43 => "_(* #,##0.00_);_(* (#,##0.00);_(* \"-\"??_);_(@_)",
        44 => "_(\"$\"* #,##0.00_);_(\"$\"* (#,##0.00);_(\"$\"* \"-\"??_);_(@_)",
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mm:ss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

/// Whether a code shows dates or times (it has y, m, d, h or s outside
/// quotes and brackets).
pub fn is_date(code: &str) -> bool {
    tokens(section_for(code, 1.0).1).iter().any(|t| matches!(t, Token::Date(_)))
}

/// `value` as `code` shows it; `None` for the general format (the writer
/// fits those to their column).
pub fn format(value: f64, code: &str, date1904: bool) -> Option<String> {
    if code.trim().is_empty() || code.trim().eq_ignore_ascii_case("general") {
        return None;
    }
    let (signed, section) = section_for(code, value);
    if section.trim().eq_ignore_ascii_case("general") {
        let text = fileconv_core::Cell::number(if signed { value } else { value.abs() }).to_string();
        return Some(text);
    }
    let tokens = tokens(section);
    let value = if signed { value } else { value.abs() };
    if tokens.iter().any(|t| matches!(t, Token::Date(_))) {
        return Some(date(value, &tokens, date1904));
    }
    Some(number(value, &tokens))
}

/// The section that formats `value`, and whether it shows the sign itself
/// (the first section, or one chosen by a condition, does; the negative
/// section's own text stands for the minus).
fn section_for(code: &str, value: f64) -> (bool, &str) {
    let sections = split_sections(code);
    let conditional = sections.iter().any(|s| condition(s).is_some());
    if conditional {
        for (i, section) in sections.iter().enumerate() {
            match condition(section) {
                Some(test) if test(value) => return (i == 0 || value >= 0.0, section),
                None if i > 0 => return (false, section),
                _ => {}
            }
        }
        return (true, sections[0]);
    }
    match sections.len() {
        1 => (true, sections[0]),
        2 if value < 0.0 => (false, sections[1]),
        2 => (true, sections[0]),
        _ if value < 0.0 => (false, sections[1]),
        _ if value == 0.0 => (true, sections[2]),
        _ => (true, sections[0]),
    }
}

fn split_sections(code: &str) -> Vec<&str> {
    let mut sections = Vec::new();
    let (mut start, mut quoted, mut escaped, mut bracket) = (0, false, false, false);
    for (i, c) in code.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            ';' if !quoted && !bracket => {
                sections.push(&code[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    sections.push(&code[start..]);
    sections
}

/// A section's `[>=100]` test.
fn condition(section: &str) -> Option<impl Fn(f64) -> bool> {
    let inside = section.split('[').skip(1).filter_map(|s| s.split(']').next()).find(|s| s.starts_with(['<', '>', '=']))?;
    let (op, number) = inside.split_at(inside.find(|c: char| !"<>=".contains(c))?);
    let limit: f64 = number.trim().parse().ok()?;
    let op = op.to_string();
    Some(move |v: f64| match op.as_str() {
        "<" => v < limit,
        "<=" => v <= limit,
        ">" => v > limit,
        ">=" => v >= limit,
        "<>" => v != limit,
        _ => v == limit,
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Literal(String),
    /// `0`, `#` or `?`.
    Digit(char),
    Point,
    Comma,
    Percent,
    /// `E+` or `E-`.
    Exponent(bool),
    /// A date or time part, lower-cased: `yyyy`, `mmm`, `h`, `[h]`, `am/pm`, `.0`.
    Date(String),
}

fn tokens(section: &str) -> Vec<Token> {
    let chars: Vec<char> = section.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let literal = |out: &mut Vec<Token>, text: &str| match out.last_mut() {
        Some(Token::Literal(s)) => s.push_str(text),
        _ => out.push(Token::Literal(text.to_string())),
    };
    while i < chars.len() {
        let c = chars[i];
        let lower = c.to_ascii_lowercase();
        match c {
            '"' => {
                let end = chars[i + 1..].iter().position(|&c| c == '"').map_or(chars.len(), |p| i + 1 + p);
                literal(&mut out, &chars[i + 1..end].iter().collect::<String>());
                i = end + 1;
                continue;
            }
            '\\' | '!' => {
                if let Some(next) = chars.get(i + 1) {
                    literal(&mut out, &next.to_string());
                }
                i += 2;
                continue;
            }
            '_' => {
                literal(&mut out, " ");
                i += 2;
                continue;
            }
            '*' => {
                i += 2;
                continue;
            }
            '[' => {
                let end = chars[i..].iter().position(|&c| c == ']').map_or(chars.len(), |p| i + p);
                let inside: String = chars[i + 1..end.min(chars.len())].iter().collect();
                let lowered = inside.to_ascii_lowercase();
                if let Some(currency) = inside.strip_prefix('$') {
                    literal(&mut out, currency.split('-').next().unwrap_or(""));
                } else if !lowered.is_empty() && lowered.chars().all(|c| matches!(c, 'h' | 'm' | 's')) {
                    out.push(Token::Date(format!("[{}]", &lowered[..1])));
                }
                i = end + 1;
                continue;
            }
            '0' | '#' | '?' => out.push(Token::Digit(c)),
            '.' if matches!(chars.get(i + 1), Some('0')) && out.iter().any(|t| matches!(t, Token::Date(s) if s.starts_with('s') || s == "[s]")) => {
                let zeros = chars[i + 1..].iter().take_while(|&&c| c == '0').count();
                out.push(Token::Date(format!(".{}", "0".repeat(zeros))));
                i += 1 + zeros;
                continue;
            }
            '.' => out.push(Token::Point),
            ',' => out.push(Token::Comma),
            '%' => {
                out.push(Token::Percent);
                literal(&mut out, "%");
            }
            'E' | 'e' if matches!(chars.get(i + 1), Some('+' | '-')) => {
                out.push(Token::Exponent(chars[i + 1] == '+'));
                i += 2;
                continue;
            }
            '@' => literal(&mut out, ""),
            _ if "ymdhs".contains(lower) => {
                let run = chars[i..].iter().take_while(|c| c.to_ascii_lowercase() == lower).count();
                out.push(Token::Date(std::iter::repeat_n(lower, run).collect()));
                i += run;
                continue;
            }
            _ if lower == 'a' && chars[i..].iter().take(5).collect::<String>().eq_ignore_ascii_case("am/pm") => {
                out.push(Token::Date("am/pm".into()));
                i += 5;
                continue;
            }
            _ if lower == 'a' && chars[i..].iter().take(3).collect::<String>().eq_ignore_ascii_case("a/p") => {
                out.push(Token::Date("a/p".into()));
                i += 3;
                continue;
            }
            _ => literal(&mut out, &c.to_string()),
        }
        i += 1;
    }
    out
}

fn number(value: f64, tokens: &[Token]) -> String {
    let digits_before = |end: usize| tokens[..end].iter().filter(|t| matches!(t, Token::Digit(_))).count();
    let point = tokens.iter().position(|t| *t == Token::Point);
    let exponent = tokens.iter().position(|t| matches!(t, Token::Exponent(_)));
    let mantissa_end = exponent.unwrap_or(tokens.len());
    let decimals = point.map_or(0, |p| tokens[p + 1..mantissa_end].iter().filter(|t| matches!(t, Token::Digit(_))).count());
    let integer_end = point.unwrap_or(mantissa_end);
    let last_digit = tokens[..integer_end].iter().rposition(|t| matches!(t, Token::Digit(_)));
    // Commas after the last integer digit divide by a thousand each; one between digits groups.
    let scaling = last_digit.map_or(0, |d| tokens[d + 1..integer_end].iter().take_while(|t| **t == Token::Comma).count());
    let grouped = last_digit.is_some_and(|d| tokens[..d].iter().any(|t| *t == Token::Comma));
    let mut value = value / 1000f64.powi(scaling as i32);
    if tokens.contains(&Token::Percent) {
        value *= 100.0;
    }
    let negative = value < 0.0;
    let mut value = value.abs();
    let mut exponent_text = String::new();
    if let Some(e) = exponent {
        let integer_digits = digits_before(integer_end).max(1) as i32;
        let mut power = if value == 0.0 { 0 } else { value.log10().floor() as i32 - (integer_digits - 1) };
        if integer_digits > 1 && value != 0.0 {
            // Engineering forms (##0.0E+0) keep the exponent a multiple of the integer digits.
            power = (value.log10().floor() as i32).div_euclid(integer_digits) * integer_digits;
        }
        value /= 10f64.powi(power);
        let width = tokens[e + 1..].iter().filter(|t| matches!(t, Token::Digit(_))).count().max(1);
        let sign = if power < 0 { "-" } else if matches!(tokens[e], Token::Exponent(true)) { "+" } else { "" };
        exponent_text = format!("E{sign}{:0width$}", power.abs());
    }
    let rounded = fileconv_core::document::grid::round_half_away(value, decimals);
    let text = format!("{rounded:.decimals$}");
    let (int_text, frac_text) = text.split_once('.').unwrap_or((&text, ""));
    let int_text = int_text.trim_start_matches('0');
    let integer_slots = digits_before(integer_end);
    let required = tokens[..integer_end].iter().filter(|t| **t == Token::Digit('0')).count();
    let mut int_digits: String = if int_text.len() < required { "0".repeat(required - int_text.len()) + int_text } else { int_text.to_string() };
    if grouped {
        int_digits = fileconv_core::text::group_thousands(&int_digits);
    }
    // Integer digits go where the first digit placeholder is; extra digits come with them.
    let mut out = String::new();
    if negative && (value * 10f64.powi(decimals as i32)).round() != 0.0 {
        out.push('-');
    }
    let mut placed_integer = integer_slots == 0;
    let mut frac = frac_text.chars();
    let mut past_point = false;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Literal(s) => out.push_str(s),
            Token::Digit(_) if i < integer_end && !past_point => {
                if !placed_integer {
                    out.push_str(&int_digits);
                    placed_integer = true;
                }
            }
            Token::Point if Some(i) == point => {
                past_point = true;
                if decimals > 0 || tokens[i + 1..mantissa_end].iter().all(|t| !matches!(t, Token::Digit(_))) {
                    out.push('.');
                }
            }
            Token::Digit(kind) if past_point && i < mantissa_end => match frac.next() {
                Some(d) => out.push(d),
                None if *kind == '?' => out.push(' '),
                None => {}
            },
            Token::Exponent(_) => {
                out.push_str(&exponent_text);
            }
            _ => {}
        }
    }
    if !placed_integer {
        out.push_str(&int_digits);
    }
    // Trailing zeros a `#` allows to drop.
    out
}

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn date(serial: f64, tokens: &[Token], date1904: bool) -> String {
    let serial = if date1904 { serial + 1462.0 } else { serial };
    if !(0.0..2_958_466.0).contains(&serial) {
        return "###".into();
    }
    // Day 0 shows as 1900-01-00, as spreadsheets show it.
    let (year, month, day) = match DateTime::from_serial(serial.floor()).and_then(|d| d.date) {
        Some(d) => (d.year, d.month, d.day),
        None => (1900, 1, 0),
    };
    let twelve_hour = tokens.iter().any(|t| matches!(t, Token::Date(s) if s == "am/pm" || s == "a/p"));
    let seconds_shown = |from: usize| tokens[from..].iter().find_map(|t| if let Token::Date(s) = t { Some(s.starts_with('s') || s == "[s]") } else { None });
    let fraction_digits = tokens.iter().find_map(|t| if let Token::Date(s) = t { s.strip_prefix('.').map(str::len) } else { None }).unwrap_or(0);
    // Seconds are rounded to what shows, carrying into minutes and hours.
    let total = (serial.fract().abs() * 86_400.0 * 10f64.powi(fraction_digits as i32)).round() / 10f64.powi(fraction_digits as i32);
    let elapsed = serial.abs() * 86_400.0;
    let (mut hour, minute, second) = ((total / 3600.0).floor() as u32 % 24, (total / 60.0).floor() as u32 % 60, total % 60.0);
    let mut out = String::new();
    let mut after_hour = false;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Literal(s) => out.push_str(s),
            Token::Date(part) => match part.as_str() {
                "yy" | "y" => out.push_str(&format!("{:02}", year.rem_euclid(100))),
                p if p.starts_with('y') => out.push_str(&format!("{year:04}")),
                p if p.starts_with('m') && (after_hour || seconds_shown(i + 1) == Some(true)) && p.len() <= 2 => {
                    out.push_str(&if p.len() == 2 { format!("{minute:02}") } else { minute.to_string() });
                    after_hour = false;
                }
                "m" => out.push_str(&month.to_string()),
                "mm" => out.push_str(&format!("{month:02}")),
                "mmm" => out.push_str(&MONTHS[usize::from(month.clamp(1, 12)) - 1][..3]),
                "mmmmm" => out.push_str(&MONTHS[usize::from(month.clamp(1, 12)) - 1][..1]),
                p if p.starts_with("mmm") => out.push_str(MONTHS[usize::from(month.clamp(1, 12)) - 1]),
                "d" => out.push_str(&day.to_string()),
                "dd" => out.push_str(&format!("{day:02}")),
                "ddd" => out.push_str(&DAYS[weekday(serial)][..3]),
                p if p.starts_with("ddd") => out.push_str(DAYS[weekday(serial)]),
                p if p.starts_with('h') => {
                    if twelve_hour {
                        hour = match hour % 12 {
                            0 => 12,
                            h => h,
                        };
                    }
                    out.push_str(&if p.len() >= 2 { format!("{hour:02}") } else { hour.to_string() });
                    after_hour = true;
                }
                "[h]" => {
                    out.push_str(&((elapsed / 3600.0).floor() as u64).to_string());
                    after_hour = true;
                }
                "[m]" => out.push_str(&((elapsed / 60.0).floor() as u64).to_string()),
                "[s]" => out.push_str(&(elapsed.floor() as u64).to_string()),
                p if p.starts_with('s') => {
                    let whole = second.floor() as u32;
                    out.push_str(&if p.len() >= 2 { format!("{whole:02}") } else { whole.to_string() });
                }
                p if p.starts_with('.') => {
                    let fraction = format!("{:.*}", p.len() - 1, second.fract());
                    out.push_str(fraction.trim_start_matches('0'));
                }
                "am/pm" => out.push_str(if total >= 43_200.0 { "PM" } else { "AM" }),
                "a/p" => out.push_str(if total >= 43_200.0 { "P" } else { "A" }),
                _ => {}
            },
            Token::Digit(_) => out.push('0'),
            Token::Point => out.push('.'),
            Token::Comma => out.push(','),
            _ => {}
        }
    }
    out
}

/// 0 for Sunday; serial 1 was a Sunday by Excel's count (1900-01-01, in fact a Monday).
fn weekday(serial: f64) -> usize {
    let days = serial.floor() as i64 + 6;
    days.rem_euclid(7) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let f = |v: f64, code: &str| format(v, code, false).unwrap();
        assert_eq!(format(1.5, "General", false), None);
        assert_eq!(f(1234.567, "#,##0.00"), "1,234.57");
        assert_eq!(f(0.256, "0.0%"), "25.6%");
        assert_eq!(f(-1234.0, "#,##0_);(#,##0)"), "(1,234)");
        assert_eq!(f(1234.0, "#,##0_);(#,##0)"), "1,234 ");
        assert_eq!(f(0.5, "0"), "1");
        assert_eq!(f(12345.0, "0.00E+00"), "1.23E+04");
        assert_eq!(f(5.0, "\"$\"#,##0.00"), "$5.00");
        assert_eq!(f(5.0, "[$€-407]#,##0.00"), "€5.00");
        assert_eq!(f(-3.0, "0.0"), "-3.0");
        assert_eq!(f(1500000.0, "#,##0,,\"M\""), "2M");
        assert_eq!(f(0.0, "0;-0;\"zero\""), "zero");
        assert_eq!(f(150.0, "[>100]\"big\";\"small\""), "big");
        assert_eq!(f(7.0, "000"), "007");
        assert_eq!(f(0.25, "#.##"), ".25");
    }

    #[test]
    fn dates() {
        let f = |v: f64, code: &str| format(v, code, false).unwrap();
        assert!(is_date("d-mmm-yy") && is_date("[h]:mm") && !is_date("0.00") && !is_date("\"day\" 0"));
        assert_eq!(f(45000.0, "yyyy-mm-dd"), "2023-03-15");
        assert_eq!(f(45000.0, "d-mmm-yy"), "15-Mar-23");
        assert_eq!(f(45000.0, "dddd, mmmm d"), "Wednesday, March 15");
        assert_eq!(f(45000.75, "h:mm AM/PM"), "6:00 PM");
        assert_eq!(f(45000.5 + 90.0 / 86400.0, "hh:mm:ss"), "12:01:30");
        assert_eq!(f(1.5, "[h]:mm"), "36:00");
        assert_eq!(f(45000.0, "mm/dd/yy"), "03/15/23");
    }
}
