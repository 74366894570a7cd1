//! One file per format: its [`fileconv_core::FormatInfo`] and the decoder
//! and encoder it registers.

mod doc;
mod docx;
mod epub;
mod html;
mod md;
mod mobi;
mod odp;
mod odt;
mod ppt;
mod pptx;
mod rtf;
mod txt;

/// Relative costs.
pub const READ: u32 = 10;
pub const WRITE: u32 = 10;
