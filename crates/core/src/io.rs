//! I/O glue shared by plugins: owned seekable inputs, and a seekable spool for
//! writers that patch headers after the data (WAV, MP4) while the engine's
//! sink is a plain `Write` (or, when the engine writes a file, that file).

use std::io::{self, Read, Seek, SeekFrom, Write};

/// Standard base64 (RFC 4648, with padding): cover art in Vorbis comments,
/// images in `data:` URIs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional, whitespace skipped); `None`
/// for any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        bits = bits << 6 | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// A readable, seekable stream a decoder can own.
pub trait ReadSeek: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> ReadSeek for T {}

/// A seekable buffer for output: memory up to 2 MB, a temporary file beyond,
/// so memory stays bounded whatever the output size; writes past `limit`
/// bytes fail, and [`Spool::exceeded`] tells why.
///
/// A spool from [`crate::Context::output_spool`] may instead be the
/// conversion's destination file itself, when the engine writes to one:
/// then the bytes are in place as they are written, and [`Spool::copy_to`]
/// moves nothing.
pub struct Spool {
    backing: Backing,
    limit: u64,
    exceeded: bool,
    /// The offset of the next read or write, kept here rather than asked of
    /// the file (a system call per write: 1,500 in a 20 s remux).
    position: u64,
}

enum Backing {
    Buffer(tempfile::SpooledTempFile),
    /// The destination file, empty when handed over, and where its bytes end.
    Destination(std::fs::File, std::sync::Arc<std::sync::atomic::AtomicU64>),
}

impl Spool {
    const IN_MEMORY: usize = 2 << 20;

    /// A spool without a size limit.
    pub fn new() -> Self {
        Self::with_limit(u64::MAX)
    }

    /// A spool that refuses to grow past `limit` bytes (see [`crate::Limits::max_output_bytes`]).
    pub fn with_limit(limit: u64) -> Self {
        Spool { backing: Backing::Buffer(tempfile::SpooledTempFile::new(Self::IN_MEMORY)), limit, exceeded: false, position: 0 }
    }

    /// A spool writing into `file` (empty, at offset 0), which is the
    /// conversion's output; `length` is set to the bytes it holds when
    /// [`Spool::copy_to`] is called.
    pub(crate) fn onto_destination(file: std::fs::File, length: std::sync::Arc<std::sync::atomic::AtomicU64>, limit: u64) -> Self {
        Spool { backing: Backing::Destination(file, length), limit, exceeded: false, position: 0 }
    }

    /// True once a write was refused for going past the limit.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Copies everything written so far into `sink`, which must have been
    /// given nothing else. A spool that is the destination file copies
    /// nothing: its bytes are in place already.
    ///
    /// # Errors
    /// [`io::Error`] from the spool or the sink.
    pub fn copy_to(mut self, sink: &mut dyn Write) -> io::Result<u64> {
        match &mut self.backing {
            Backing::Buffer(file) => {
                file.seek(SeekFrom::Start(0))?;
                io::copy(file, sink)
            }
            Backing::Destination(file, length) => {
                // Left at its end: the destination's other handle shares the offset.
                let end = file.seek(SeekFrom::End(0))?;
                length.store(end, std::sync::atomic::Ordering::Release);
                Ok(end)
            }
        }
    }

    fn stream(&mut self) -> &mut dyn ReadWriteSeek {
        match &mut self.backing {
            Backing::Buffer(file) => file,
            Backing::Destination(file, _) => file,
        }
    }
}

trait ReadWriteSeek: Read + Write + Seek {}
impl<T: Read + Write + Seek> ReadWriteSeek for T {}

impl Default for Spool {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.position + buf.len() as u64 > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("output size limit reached"));
        }
        let written = self.stream().write(buf)?;
        self.position += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream().flush()
    }
}

impl Seek for Spool {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.position = self.stream().seek(pos)?;
        Ok(self.position)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.position)
    }
}

impl Read for Spool {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.stream().read(buf)?;
        self.position += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        for text in [&b""[..], b"f", b"fo", b"foo", b"foob", b"\xff\x00\x10"] {
            assert_eq!(base64_decode(&base64(text)).unwrap(), text);
        }
        assert_eq!(base64_decode("Zm9v\nYmFy").unwrap(), b"foobar");
        assert_eq!(base64_decode("Zm9v!"), None);
    }

    #[test]
    fn spool_patches_and_copies() {
        let mut spool = Spool::new();
        spool.write_all(b"xxxxdata").unwrap();
        spool.seek(SeekFrom::Start(0)).unwrap();
        spool.write_all(b"HEAD").unwrap();
        spool.seek(SeekFrom::End(0)).unwrap();
        let mut out = Vec::new();
        spool.copy_to(&mut out).unwrap();
        assert_eq!(out, b"HEADdata");
    }

    #[test]
    fn spool_refuses_to_pass_its_limit() {
        let mut spool = Spool::with_limit(10);
        spool.write_all(b"0123456789").unwrap();
        assert!(spool.write_all(b"x").is_err());
        assert!(spool.exceeded());
    }
}
