//! fileconv's raster formats. Each file under `codecs/` is one format (or one
//! family, like PNM) and registers itself with `inventory::submit!`.
//!
//! | format | read | write | backend |
//! |---|---|---|---|
//! | png | yes (APNG frames too) | yes | `image` (png crate) |
//! | jpg | yes | yes | libjpeg-turbo 3 (turbojpeg, SIMD); `image` as read fallback |
//! | gif | yes, animated | yes, animated | `image` (gif crate) |
//! | webp | yes, animated | yes: lossy, lossless, animated | `image-webp` read, libwebp write |
//! | bmp, ico, tga, ppm, pgm, pbm, pam, qoi, tiff, hdr, exr | yes | yes | `image` |
//! | jxl | yes: lossy and lossless, alpha, 16-bit, animation | no | jxl-oxide |
//! | psd | the merged composite | no | own reader |
//! | svg | yes | no | resvg |
//! | dds | yes | no | `image` |
//!
//! HEIC and AVIF, which need the system libheif, are the `fileconv-heif`
//! crate's, so that a program can leave that library out.

mod codecs;
mod decode;
mod encode;
mod idat;
mod jpeg_strips;
mod png_rows;
mod svg_guard;
pub mod options;
mod transform;

/// What the libheif formats of `fileconv-heif` share with these codecs.
#[doc(hidden)]
pub mod shared {
    pub use crate::decode::profile_for;
    pub use crate::encode::{fit_pixels, Accepts};
}

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
