//! Option specs shared by the raster encoders.

use fileconv_core::{OptionKind, OptionSpec};

/// JPEG, WebP and AVIF quality.
pub const QUALITY: OptionSpec = OptionSpec {
    name: "quality",
    kind: OptionKind::Integer { min: 1, max: 100 },
    default: "85",
    help: "Encoding quality, 1 (smallest) to 100 (best).",
};

/// HEIC and AVIF quality: the same scale, a default that suits HEVC and AV1.
pub const HEIF_QUALITY: OptionSpec = OptionSpec { default: "70", ..QUALITY };

/// PNG zlib level.
pub const COMPRESSION: OptionSpec = OptionSpec {
    name: "compression",
    kind: OptionKind::Integer { min: 0, max: 9 },
    default: "1",
    help: "PNG compression: 0 none; 1 fdeflate, very fast with a good ratio (default); 2-9 zlib levels, slower and smaller.",
};

/// WebP lossless mode.
pub const LOSSLESS: OptionSpec = OptionSpec {
    name: "lossless",
    kind: OptionKind::Boolean,
    default: "false",
    help: "Encode WebP losslessly.",
};

/// Output width.
pub const WIDTH: OptionSpec = OptionSpec {
    name: "width",
    kind: OptionKind::Integer { min: 1, max: 65_535 },
    default: "",
    help: "Output width in pixels; with only one of width and height the aspect ratio is kept.",
};

/// Output height.
pub const HEIGHT: OptionSpec = OptionSpec {
    name: "height",
    kind: OptionKind::Integer { min: 1, max: 65_535 },
    default: "",
    help: "Output height in pixels; with only one of width and height the aspect ratio is kept.",
};

/// How the image meets a width x height box.
pub const FIT: OptionSpec = OptionSpec {
    name: "fit",
    kind: OptionKind::Choice(&["inside", "contain", "cover", "fill"]),
    default: "inside",
    help: "With width and height: inside = as large as fits, aspect kept; contain = that, padded \
           with the background to the exact box; cover = fill the box, aspect kept, edges cropped; \
           fill = stretch to the box.",
};

/// Colour under transparent pixels and around `contain` padding.
pub const BACKGROUND: OptionSpec = OptionSpec {
    name: "background",
    kind: OptionKind::Color,
    default: "white",
    help: "Colour that transparency is flattened onto when the target has no alpha, and of contain padding.",
};

/// Drop metadata.
pub const STRIP: OptionSpec = OptionSpec {
    name: "strip",
    kind: OptionKind::Boolean,
    default: "false",
    help: "Remove ICC profile and EXIF metadata.",
};
