//! KF8 chapters put together from their skeletons and fragments.
//!
//! A KF8 book's first flow stores each chapter as a skeleton (the page's
//! outer markup: `<html>`, `<head>`, `<body>` and the elements wrapping the
//! text) followed by its fragments, the pieces of text that belong inside
//! it. The skeleton index gives each skeleton's place and how many
//! fragments follow it; the fragment index each fragment's length and the
//! position in the assembled chapter where it goes. Read in stored order,
//! text would land after the skeleton's closing tags, outside the lists,
//! tables and quotes it belongs in. As KindleUnpack (`mobi_k8proc.py`)
//! reads them.
//!
//! The indexes are Mobipocket `INDX` records: a header, a `TAGX` table
//! saying which tags an entry may carry and how they are packed (control
//! bits, then variable-width numbers), then records of entries found
//! through their `IDXT` offsets.

use std::ops::Range;

use super::mobi::{be16, be32};

/// One index entry: its label and each tag's values.
struct Entry {
    label: Vec<u8>,
    tags: Vec<(u8, Vec<u64>)>,
}

impl Entry {
    fn tag(&self, tag: u8) -> Option<&[u64]> {
        self.tags.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.as_slice())
    }
}

/// A `TAGX` row: tag number, values per entry, control-byte mask, end-of-control-byte flag.
struct TagRow {
    tag: u8,
    per_entry: u8,
    mask: u8,
    end: bool,
}

/// Reads the index whose header record is `first`.
fn read_index<'a>(record: &dyn Fn(usize) -> Option<&'a [u8]>, first: usize) -> Result<Vec<Entry>, &'static str> {
    let head = record(first).ok_or("its header record is missing")?;
    if head.get(..4) != Some(b"INDX") {
        return Err("its header record is not an INDX record");
    }
    let header_length = be32(head, 4).ok_or("short header")? as usize;
    let data_records = be32(head, 24).ok_or("short header")? as usize;
    let tagx = head.get(header_length..).ok_or("no tag table")?;
    if tagx.get(..4) != Some(b"TAGX") {
        return Err("no tag table");
    }
    let table_end = be32(tagx, 4).ok_or("short tag table")? as usize;
    let control_bytes = be32(tagx, 8).ok_or("short tag table")? as usize;
    let rows: Vec<TagRow> = tagx
        .get(12..table_end)
        .ok_or("short tag table")?
        .chunks_exact(4)
        .map(|r| TagRow { tag: r[0], per_entry: r[1], mask: r[2], end: r[3] & 1 != 0 })
        .collect();
    let mut entries = Vec::new();
    for index in first + 1..=first.saturating_add(data_records) {
        let data = record(index).ok_or("an index record is missing")?;
        if data.get(..4) != Some(b"INDX") {
            return Err("an index record is not an INDX record");
        }
        let idxt = be32(data, 20).ok_or("short index record")? as usize;
        let count = be32(data, 24).ok_or("short index record")? as usize;
        let mut starts = Vec::with_capacity(count.min(data.len()) + 1);
        for j in 0..count {
            starts.push(usize::from(be16(data, idxt + 4 + 2 * j).ok_or("short entry table")?));
        }
        starts.push(idxt);
        for pair in starts.windows(2) {
            let entry = data.get(pair[0]..pair[1]).ok_or("an entry outside its record")?;
            let label_length = usize::from(*entry.first().ok_or("an empty entry")?);
            let label = entry.get(1..1 + label_length).ok_or("a label past its entry")?.to_vec();
            let tags = read_tags(&rows, control_bytes, &entry[1 + label_length..]).ok_or("an entry's tags run past it")?;
            entries.push(Entry { label, tags });
        }
    }
    Ok(entries)
}

/// A number of 7-bit groups, most significant first, the last with its top bit set.
fn forward_number(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for _ in 0..10 {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 != 0 {
            return Some(value);
        }
    }
    None
}

/// An entry's tag values: control bytes say which tags it carries and how
/// many values (or how many bytes of values) each has.
fn read_tags(rows: &[TagRow], control_bytes: usize, entry: &[u8]) -> Option<Vec<(u8, Vec<u64>)>> {
    let mut control = 0;
    let mut at = control_bytes;
    // (tag, values per entry, a count of value groups, or a byte length)
    let mut present: Vec<(u8, u8, Option<u64>, Option<u64>)> = Vec::new();
    for row in rows {
        if row.end {
            control += 1;
            continue;
        }
        let value = entry.get(control)? & row.mask;
        if value == 0 {
            continue;
        }
        if value == row.mask && row.mask.count_ones() > 1 {
            present.push((row.tag, row.per_entry, None, Some(forward_number(entry, &mut at)?)));
        } else {
            present.push((row.tag, row.per_entry, Some(u64::from(value >> row.mask.trailing_zeros())), None));
        }
    }
    let mut tags = Vec::with_capacity(present.len());
    for (tag, per_entry, groups, byte_length) in present {
        let mut values = Vec::new();
        match (groups, byte_length) {
            (Some(groups), _) => {
                for _ in 0..groups * u64::from(per_entry) {
                    values.push(forward_number(entry, &mut at)?);
                }
            }
            (None, Some(length)) => {
                let end = at.checked_add(usize::try_from(length).ok()?)?;
                while at < end {
                    values.push(forward_number(entry, &mut at)?);
                }
            }
            (None, None) => {}
        }
        tags.push((tag, values));
    }
    Some(tags)
}

/// The first flow with every fragment put in its skeleton, or why the
/// indexes cannot be followed (the caller then reads the stored order).
///
/// `flow` is the first flow's bytes; `skeleton_index` and `fragment_index`
/// the indexes' header records.
pub fn assemble<'a>(flow: &[u8], record: &dyn Fn(usize) -> Option<&'a [u8]>, skeleton_index: usize, fragment_index: usize) -> Result<Vec<u8>, &'static str> {
    let skeletons = read_index(record, skeleton_index)?;
    let fragments = read_index(record, fragment_index)?;
    let piece = |range: Range<u64>| -> Result<&[u8], &'static str> {
        let (start, end) = (usize::try_from(range.start).map_err(|_| "a position past the text")?, usize::try_from(range.end).map_err(|_| "a position past the text")?);
        flow.get(start..end).ok_or("a piece outside the text")
    };
    let mut out = Vec::with_capacity(flow.len());
    let mut next_fragment = fragments.iter();
    for skeleton in &skeletons {
        let count = *skeleton.tag(1).and_then(<[u64]>::first).ok_or("a skeleton without its fragment count")?;
        let (start, length) = match skeleton.tag(6) {
            Some(&[start, length, ..]) => (start, length),
            _ => return Err("a skeleton without its place"),
        };
        let mut base = start.checked_add(length).ok_or("a position past the text")?;
        let mut chapter = piece(start..base)?.to_vec();
        for _ in 0..count {
            let fragment = next_fragment.next().ok_or("fewer fragments than the skeletons count")?;
            let insert: u64 = std::str::from_utf8(&fragment.label).ok().and_then(|l| l.parse().ok()).ok_or("a fragment without its insert position")?;
            let length = match fragment.tag(6) {
                Some(&[_, length, ..]) => length,
                _ => return Err("a fragment without its length"),
            };
            let end = base.checked_add(length).ok_or("a position past the text")?;
            let text = piece(base..end)?;
            let at = usize::try_from(insert.checked_sub(start).ok_or("a fragment before its skeleton")?).map_err(|_| "a position past the text")?;
            if at > chapter.len() || inside_tag(&chapter, at) {
                return Err("a fragment's insert position is not between tags");
            }
            chapter.splice(at..at, text.iter().copied());
            base = end;
        }
        out.extend_from_slice(&chapter);
    }
    if next_fragment.next().is_some() {
        return Err("more fragments than the skeletons count");
    }
    Ok(out)
}

/// True when position `at` falls inside a tag (after a `<` with no `>` yet).
fn inside_tag(text: &[u8], at: usize) -> bool {
    let before = &text[..at];
    matches!((before.iter().rposition(|&b| b == b'<'), before.iter().rposition(|&b| b == b'>')), (Some(open), close) if close.is_none_or(|c| c < open))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An INDX index: a header record with a TAGX table (tags 1 and 6, one
    /// control byte), and one data record of `entries` (label, tag 1, tag 6 pair).
    fn index(entries: &[(&str, Option<u64>, (u64, u64))]) -> Vec<Vec<u8>> {
        let mut head = b"INDX".to_vec();
        head.extend(28u32.to_be_bytes());
        head.resize(24, 0);
        head.extend(1u32.to_be_bytes());
        let tagx_at = head.len();
        head[4..8].copy_from_slice(&(tagx_at as u32).to_be_bytes());
        head.extend(b"TAGX");
        head.extend(24u32.to_be_bytes());
        head.extend(1u32.to_be_bytes());
        head.extend([1, 1, 0x01, 0, 6, 2, 0x02, 0]);
        head.extend([0, 0, 0, 1]);
        let mut data = b"INDX".to_vec();
        data.resize(28, 0);
        let mut offsets = Vec::new();
        for (label, count, (a, b)) in entries {
            offsets.push(data.len() as u16);
            data.push(label.len() as u8);
            data.extend(label.as_bytes());
            data.push(if count.is_some() { 0x03 } else { 0x02 });
            if let Some(count) = count {
                data.push(0x80 | *count as u8);
            }
            for v in [*a, *b] {
                if v >= 128 {
                    data.push((v >> 7) as u8);
                }
                data.push(0x80 | (v & 0x7f) as u8);
            }
        }
        let idxt = data.len();
        data[20..24].copy_from_slice(&(idxt as u32).to_be_bytes());
        data[24..28].copy_from_slice(&(entries.len() as u32).to_be_bytes());
        data.extend(b"IDXT");
        for o in offsets {
            data.extend(o.to_be_bytes());
        }
        vec![head, data]
    }

    #[test]
    fn fragments_go_where_their_skeletons_say() {
        // Chapter one: a list whose items are two fragments; chapter two: one paragraph.
        let skeleton_one = "<html><body><ul></ul></body></html>";
        let (one, two) = ("<li>a</li>", "<li>b</li>");
        let skeleton_two = "<html><body></body></html>";
        let three = "<p>c</p>";
        let flow = format!("{skeleton_one}{one}{two}{skeleton_two}{three}");
        let second = (skeleton_one.len() + one.len() + two.len()) as u64;
        let skeletons = index(&[("SKEL0000000", Some(2), (0, skeleton_one.len() as u64)), ("SKEL0000001", Some(1), (second, skeleton_two.len() as u64))]);
        let list = skeleton_one.find("</ul>").unwrap() as u64;
        let fragments = index(&[
            (&format!("{list:010}"), None, (0, one.len() as u64)),
            (&format!("{:010}", list + one.len() as u64), None, (0, two.len() as u64)),
            (&format!("{:010}", second + skeleton_two.find("</body>").unwrap() as u64), None, (0, three.len() as u64)),
        ]);
        let records: Vec<Vec<u8>> = skeletons.into_iter().chain(fragments).collect();
        let record = |i: usize| records.get(i).map(Vec::as_slice);
        let assembled = assemble(flow.as_bytes(), &record, 0, 2).unwrap();
        assert_eq!(String::from_utf8(assembled).unwrap(), "<html><body><ul><li>a</li><li>b</li></ul></body></html><html><body><p>c</p></body></html>");
    }

    #[test]
    fn broken_indexes_say_why() {
        let flow = b"<html><body></body></html><p>x</p>";
        let skeletons = index(&[("SKEL0000000", Some(1), (0, 26))]);
        let record_with = |fragments: Vec<Vec<u8>>| {
            let records: Vec<Vec<u8>> = skeletons.iter().cloned().chain(fragments).collect();
            let record = |i: usize| records.get(i).map(Vec::as_slice);
            assemble(flow, &record, 0, 2)
        };
        assert_eq!(record_with(index(&[("0000000003", None, (0, 8))])), Err("a fragment's insert position is not between tags"));
        assert_eq!(record_with(index(&[("0000000012", None, (0, 80))])), Err("a piece outside the text"));
        assert_eq!(record_with(index(&[])), Err("fewer fragments than the skeletons count"));
        assert_eq!(record_with(index(&[("not a number", None, (0, 8))])), Err("a fragment without its insert position"));
        assert_eq!(record_with(vec![b"INDX".to_vec()]), Err("short header"));
        assert_eq!(record_with(index(&[("0000000012", None, (0, 8))])).map(|v| String::from_utf8(v).unwrap()), Ok("<html><body><p>x</p></body></html>".to_string()));
    }
}
