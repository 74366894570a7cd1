//! One module per format; each registers its format, decoder and encoder.

mod bmp;
mod dds;
mod exr;
mod gif;
mod hdr;
mod ico;
pub(crate) mod jpeg;
mod jxl;
pub(crate) mod png;
mod pnm;
mod psd;
mod qoi;
mod svg;
mod tga;
mod tiff;
mod webp;
