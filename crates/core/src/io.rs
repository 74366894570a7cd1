//! I/O glue shared by plugins: owned seekable inputs, and a seekable spool for
//! writers that patch headers after the data (WAV, MP4) while the engine's
//! sink is a plain `Write`.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// A readable, seekable stream a decoder can own.
pub trait ReadSeek: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> ReadSeek for T {}

/// A seekable buffer for output: memory up to 8 MB, a temporary file beyond,
/// so memory stays bounded whatever the output size.
pub struct Spool(tempfile::SpooledTempFile);

impl Spool {
    const IN_MEMORY: usize = 8 << 20;

    pub fn new() -> Self {
        Spool(tempfile::SpooledTempFile::new(Self::IN_MEMORY))
    }

    /// Copies everything written so far into `sink`.
    ///
    /// # Errors
    /// [`io::Error`] from the spool or the sink.
    pub fn copy_to(mut self, sink: &mut dyn Write) -> io::Result<u64> {
        self.0.seek(SeekFrom::Start(0))?;
        io::copy(&mut self.0, sink)
    }
}

impl Default for Spool {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Seek for Spool {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

impl Read for Spool {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
