//! Hostile inputs, made on demand: files of a few KB built to exhaust a
//! converter's stack, memory or time. The hostile-input tests (engine and
//! service) and the fuzz regression inputs use the same makers. Not a
//! stable API.

/// An SVG of `depth` nested `tag` elements (`g`, `svg`).
pub fn svg_nested(tag: &str, depth: usize) -> Vec<u8> {
    let mut svg = String::from("<svg xmlns='http://www.w3.org/2000/svg' width='100' height='100'>");
    for _ in 0..depth {
        svg.push_str(&format!("<{tag}>"));
    }
    svg.push_str("<rect width='10' height='10'/>");
    for _ in 0..depth {
        svg.push_str(&format!("</{tag}>"));
    }
    svg.push_str("</svg>");
    svg.into_bytes()
}

/// An SVG whose rectangle is masked by a chain of `length` masks, each
/// masked by the next.
pub fn svg_mask_chain(length: usize) -> Vec<u8> {
    let mut svg = String::from("<svg xmlns='http://www.w3.org/2000/svg' width='100' height='100'><defs>");
    for i in 0..length {
        svg.push_str(&format!("<mask id='m{i}'><rect width='100' height='100' fill='white' mask='url(#m{})'/></mask>", i + 1));
    }
    svg.push_str("</defs><rect width='100' height='100' mask='url(#m0)'/></svg>");
    svg.into_bytes()
}

/// An SVG of `size` x `size` with one filter of `primitives` chained
/// `feOffset`s over the whole canvas: each keeps a canvas-sized result.
pub fn svg_filter_chain(primitives: usize, size: u32) -> Vec<u8> {
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}'><filter id='f' filterUnits='userSpaceOnUse' x='0' y='0' width='{size}' height='{size}'>"
    );
    svg.push_str("<feOffset dx='1' result='r0'/>");
    for i in 1..primitives {
        svg.push_str(&format!("<feOffset in='r{}' dx='1' result='r{i}'/>", i - 1));
    }
    svg.push_str(&format!("</filter><rect width='{size}' height='{size}' filter='url(#f)'/></svg>"));
    svg.into_bytes()
}

/// A 185-byte SVG: a Gaussian blur of 5,000 pixels over a filter region a
/// hundred times the shape's size.
pub fn svg_huge_blur() -> Vec<u8> {
    b"<svg xmlns='http://www.w3.org/2000/svg' width='2000' height='2000'><filter id='b' x='-50' y='-50' width='100' height='100'><feGaussianBlur stdDeviation='5000'/></filter><rect width='2000' height='2000' filter='url(#b)'/></svg>".to_vec()
}

/// A GIF declaring a `width` x `height` screen and `frames` full-screen
/// frames of almost no data each: a few KB that decode to gigabytes.
pub fn gif_frames(width: u16, height: u16, frames: usize) -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&width.to_le_bytes());
    gif.extend_from_slice(&height.to_le_bytes());
    gif.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    for _ in 0..frames {
        gif.push(0x2C);
        gif.extend_from_slice(&[0, 0, 0, 0]);
        gif.extend_from_slice(&width.to_le_bytes());
        gif.extend_from_slice(&height.to_le_bytes());
        // No local table; LZW minimum code size 2; one sub-block: clear, end.
        gif.extend_from_slice(&[0, 2, 2, 0x4C, 0x01, 0]);
    }
    gif.push(0x3B);
    gif
}

/// A CSV of `rows` one-letter rows.
pub fn csv_rows(rows: usize) -> Vec<u8> {
    b"a\n".repeat(rows)
}
