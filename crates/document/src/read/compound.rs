//! What the Word and PowerPoint 97-2003 readers share: the compound file
//! their streams live in, and the little-endian fields of their records.

use std::io::{Cursor, Read};

use fileconv_core::{Error, Result};

pub fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

pub fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// An open compound file of `format`, its streams read up to the file's size.
pub struct Compound<'a> {
    file: cfb::CompoundFile<Cursor<&'a [u8]>>,
    format: &'static str,
    limit: u64,
}

impl<'a> Compound<'a> {
    /// # Errors
    /// [`Error::InvalidInput`] when the bytes are not a compound file.
    pub fn open(bytes: &'a [u8], format: &'static str) -> Result<Self> {
        let file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| Error::invalid_input(format, format!("not a compound file: {e}")))?;
        Ok(Compound { file, format, limit: bytes.len() as u64 })
    }

    pub fn has(&self, name: &str) -> bool {
        self.file.is_stream(name)
    }

    /// The whole stream `name` (a path such as `/WordDocument`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when there is no such stream or it cannot be read.
    pub fn stream(&mut self, name: &str) -> Result<Vec<u8>> {
        let format = self.format;
        let invalid = |e: std::io::Error| Error::invalid_input(format, format!("{name}: {e}"));
        let mut data = Vec::new();
        self.file.open_stream(name).map_err(invalid)?.take(self.limit).read_to_end(&mut data).map_err(invalid)?;
        Ok(data)
    }
}
