//! Resource limits that travel with every conversion. Decoders check them
//! against header values before they allocate.

use std::time::Duration;

use crate::{Error, Result};

/// Upper bounds for one conversion. The defaults suit a desktop tool; a
/// service sets tighter ones per plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Size of the input file.
    pub max_input_bytes: u64,
    /// Width or height of an image, in pixels.
    pub max_dimension: u32,
    /// Pixels in one frame (width x height).
    pub max_pixels: u64,
    /// Frames of an animation.
    pub max_frames: u32,
    /// Memory one conversion may take for what it holds (decoded frames,
    /// layers and filter buffers of a vector renderer, laid-out pages, padded
    /// table cells...). Every plugin charges its large buffers against it
    /// through [`crate::Context::charge_memory`] before allocating them, so
    /// all stages of one conversion share one budget.
    pub max_memory_bytes: u64,
    /// Pages a document writer may produce (checked from estimates before
    /// laying out, then as pages are made).
    pub max_pages: u32,
    /// Size of the output file. Streamed media cannot be bounded by its
    /// header (a few KB of FLAC silence can decode to hours), so this is what
    /// bounds the memory of an in-memory conversion and the disk of a spool.
    pub max_output_bytes: u64,
    /// Cells read from a spreadsheet, all sheets together (empty cells
    /// that a format spells out, such as repeated ODS cells, count too).
    pub max_cells: u64,
    /// Entries in a zip container (XLSX, ODS, DOCX, EPUB...).
    pub max_zip_entries: u64,
    /// Bytes all entries of a zip container inflate to, together.
    pub max_unzipped_bytes: u64,
    /// How many times larger than its compressed size an entry of over
    /// 1 MiB may inflate (zip bombs inflate a thousandfold; XML ~5 to 50).
    pub max_zip_ratio: u64,
    /// Wall time of the whole conversion, checked between stages and inside
    /// long loops; `None` for no limit.
    pub max_wall_time: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 1 << 30,
            max_dimension: 65_535,
            max_pixels: 200_000_000,
            max_frames: 10_000,
            max_memory_bytes: 4 << 30,
            max_pages: 10_000,
            max_output_bytes: 4 << 30,
            max_cells: 100_000_000,
            max_zip_entries: 10_000,
            max_unzipped_bytes: 2 << 30,
            max_zip_ratio: 200,
            max_wall_time: None,
        }
    }
}

impl Limits {
    /// # Errors
    /// [`Error::LimitExceeded`] when `len` is over `max_input_bytes`.
    pub fn check_input_size(&self, len: u64) -> Result<()> {
        if len > self.max_input_bytes {
            return Err(Error::limit("input size (bytes)", self.max_input_bytes, len));
        }
        Ok(())
    }

    /// Checks a frame size read from a header before anything is allocated for it.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] naming the first limit that `width` x `height`
    /// with `bytes_per_pixel` would exceed.
    pub fn check_frame(&self, width: u32, height: u32, bytes_per_pixel: u64) -> Result<()> {
        let dim = width.max(height);
        if dim > self.max_dimension {
            return Err(Error::limit("image dimension (pixels)", self.max_dimension.into(), dim.into()));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(Error::limit("image size (pixels)", self.max_pixels, pixels));
        }
        self.check_alloc(pixels.saturating_mul(bytes_per_pixel))
    }

    /// # Errors
    /// [`Error::LimitExceeded`] when `frames` is over `max_frames`.
    pub fn check_frames(&self, frames: u64) -> Result<()> {
        if frames > u64::from(self.max_frames) {
            return Err(Error::limit("animation frames", self.max_frames.into(), frames));
        }
        Ok(())
    }

    /// # Errors
    /// [`Error::LimitExceeded`] when `bytes` is over `max_output_bytes`.
    pub fn check_output_size(&self, bytes: u64) -> Result<()> {
        if bytes > self.max_output_bytes {
            return Err(Error::limit("output size (bytes)", self.max_output_bytes, bytes));
        }
        Ok(())
    }

    /// Checks one allocation against the whole memory budget (without
    /// charging it: see [`crate::Context::charge_memory`] for that).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when `bytes` is over `max_memory_bytes`.
    pub fn check_alloc(&self, bytes: u64) -> Result<()> {
        if bytes > self.max_memory_bytes {
            return Err(Error::limit("memory (bytes)", self.max_memory_bytes, bytes));
        }
        Ok(())
    }

    /// # Errors
    /// [`Error::LimitExceeded`] when `pages` is over `max_pages`.
    pub fn check_pages(&self, pages: u64) -> Result<()> {
        if pages > u64::from(self.max_pages) {
            return Err(Error::limit("pages", self.max_pages.into(), pages));
        }
        Ok(())
    }
}
