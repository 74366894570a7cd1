//! Truevision TGA. It has no signature, so it is never detected, only trusted when claimed.
//! Written run-length encoded, each scan line on its own (TGA 2.0: "a
//! run-length packet never crosses a scan line"; Pillow refuses files whose
//! packets do), top to bottom, with the TGA 2.0 footer.

use std::io::Write;

use fileconv_core::image::{DynamicImage, ImageFormat};
use fileconv_core::{Category, Context, Decoder, Encoder, Error, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{Accepts, bare_still, fit_pixels};

const ID: &str = "tga";

inventory::submit! {
    FormatInfo { id: ID, aliases: &["icb", "vda", "vst"], name: "Truevision TGA", mime: "image/x-tga", category: Category::Image, container: None, sniff: None }
}
inventory::submit! { Decoder { format: ID, name: "tga", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "tga", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Tga, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = match fit_pixels(bare_still(value, "TGA", ctx)?, Accepts::EIGHT_BIT, ctx)? {
        // TGA has no grey with alpha that readers agree on.
        gray_alpha @ DynamicImage::ImageLumaA8(_) => DynamicImage::ImageRgba8(gray_alpha.to_rgba8()),
        other => other,
    };
    let (width, height) = (image.width(), image.height());
    let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(Error::cannot_keep(ID, format!("TGA holds at most 65535 pixels a side, the image is {width}x{height}")));
    };
    // (image type, bits per pixel, alpha bits, bytes per pixel); colour is stored BGR(A).
    let (kind, bits, alpha, px, mut pixels) = match image {
        DynamicImage::ImageLuma8(gray) => (11u8, 8u8, 0u8, 1usize, gray.into_raw()),
        DynamicImage::ImageRgba8(rgba) => (10, 32, 8, 4, rgba.into_raw()),
        other => (10, 24, 0, 3, other.to_rgb8().into_raw()),
    };
    if px >= 3 {
        for pixel in pixels.chunks_exact_mut(px) {
            pixel.swap(0, 2);
        }
    }
    let mut out = Vec::with_capacity(18 + pixels.len() + pixels.len() / 64 + 26);
    out.extend_from_slice(&[0, 0, kind, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    // Top-left origin (bit 5) and the alpha bits.
    out.extend_from_slice(&[bits, 0x20 | alpha]);
    for (i, row) in pixels.chunks_exact(usize::from(w) * px).enumerate() {
        if i % 256 == 0 {
            ctx.checkpoint()?;
        }
        rle_row(row, px, &mut out);
    }
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(b"TRUEVISION-XFILE.\0");
    sink.write_all(&out)?;
    Ok(())
}

/// One scan line as run-length packets: runs of two or more equal pixels,
/// raw packets between them, at most 128 pixels each.
fn rle_row(row: &[u8], px: usize, out: &mut Vec<u8>) {
    let n = row.len() / px;
    let at = |i: usize| &row[i * px..(i + 1) * px];
    let mut i = 0;
    while i < n {
        let mut run = 1;
        while i + run < n && run < 128 && at(i + run) == at(i) {
            run += 1;
        }
        if run >= 2 {
            out.push(0x80 | (run - 1) as u8);
            out.extend_from_slice(at(i));
            i += run;
        } else {
            let start = i;
            i += 1;
            while i < n && i - start < 128 && !(i + 1 < n && at(i) == at(i + 1)) {
                i += 1;
            }
            out.push((i - start - 1) as u8);
            out.extend_from_slice(&row[start * px..i * px]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels per scan line, read back packet by packet; panics when a packet crosses a line.
    fn row_widths(data: &[u8], px: usize, width: usize, rows: usize) -> Vec<usize> {
        let mut at = 0;
        (0..rows)
            .map(|_| {
                let mut filled = 0;
                while filled < width {
                    let header = data[at];
                    let count = usize::from(header & 0x7F) + 1;
                    at += 1 + if header & 0x80 != 0 { px } else { count * px };
                    filled += count;
                    assert!(filled <= width, "a packet crosses the scan line");
                }
                filled
            })
            .collect()
    }

    #[test]
    fn packets_end_with_their_scan_line() {
        // Rows that end and start with the same pixel: a run must still break there.
        let (width, rows, px) = (300usize, 3usize, 3usize);
        let mut pixels = Vec::new();
        for y in 0..rows {
            for x in 0..width {
                let v = if (100..290).contains(&x) { (x * 13 + y) as u8 } else { 7u8 };
                pixels.extend_from_slice(&[v, v, v]);
            }
        }
        let mut out = Vec::new();
        for row in pixels.chunks_exact(width * px) {
            rle_row(row, px, &mut out);
        }
        assert_eq!(row_widths(&out, px, width, rows), vec![width; rows]);
    }
}
