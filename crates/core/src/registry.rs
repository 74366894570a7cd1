//! Registrations that plugins submit with `inventory::submit!`, and the
//! [`Registry`] that gathers them (from inventory or given explicitly).

use std::fs::File;
use std::io::{BufReader, Cursor, Write};
use std::path::Path;

use crate::{Context, FormatInfo, OptionSpec, ReadSeek, Result, Value, ValueKind};

/// The input of a decoder: the whole file as bytes (memory-mapped when it
/// came from a path), and the path when there is one.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub bytes: &'a [u8],
    pub path: Option<&'a Path>,
}

impl<'a> Input<'a> {
    pub fn from_bytes(bytes: &'a [u8]) -> Self {
        Input { bytes, path: None }
    }

    /// The input as an owned, seekable stream, for decoders whose value
    /// outlives this call (streamed audio): the file itself, read through a
    /// buffer, when there is a path (so a long file is never resident in
    /// memory); otherwise a copy of the bytes.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the file cannot be opened again.
    pub fn open(&self) -> Result<Box<dyn ReadSeek>> {
        match self.path {
            Some(path) => Ok(Box::new(BufReader::with_capacity(64 << 10, File::open(path)?))),
            None => Ok(Box::new(Cursor::new(self.bytes.to_vec()))),
        }
    }
}

/// Reads a file of `format` into a [`Value`].
///
/// # Errors
/// [`crate::Error::InvalidInput`] for malformed input, [`crate::Error::LimitExceeded`]
/// when the header announces more than the limits allow (checked before allocating).
pub type DecodeFn = fn(Input<'_>, &Context<'_>) -> Result<Value>;

/// Writes a [`Value`] as a file of `format`.
///
/// # Errors
/// [`crate::Error::InvalidOption`] for a bad option, [`crate::Error::Io`] when writing fails.
pub type EncodeFn = fn(Value, &mut dyn Write, &Context<'_>) -> Result<()>;

/// Turns a value of one kind into another (or changes it in place, for a [`Transform`]).
pub type AdaptFn = fn(Value, &Context<'_>) -> Result<Value>;

/// Reads a format into a value kind.
#[derive(Debug)]
pub struct Decoder {
    /// Format id (canonical, not an alias).
    pub format: &'static str,
    /// Name shown in conversion paths (`image`, `turbojpeg`).
    pub name: &'static str,
    pub output: ValueKind,
    /// Relative cost, used to pick between paths.
    pub cost: u32,
    pub options: &'static [OptionSpec],
    pub decode: DecodeFn,
}

/// Writes a value kind as a format.
#[derive(Debug)]
pub struct Encoder {
    pub format: &'static str,
    pub name: &'static str,
    pub input: ValueKind,
    pub cost: u32,
    /// True when the encoding loses information by default (JPEG, lossy WebP).
    pub lossy: bool,
    pub options: &'static [OptionSpec],
    pub encode: EncodeFn,
}

/// Turns one value kind into another (table to document, media to raster...).
#[derive(Debug)]
pub struct Adapter {
    pub name: &'static str,
    pub from: ValueKind,
    pub to: ValueKind,
    pub cost: u32,
    pub lossy: bool,
    pub options: &'static [OptionSpec],
    pub adapt: AdaptFn,
}

/// An edit applied to a value of `kind` just before it is encoded, whenever
/// one of its options is given (resizing for rasters). Its options are valid
/// for every conversion whose encoder takes `kind`.
#[derive(Debug)]
pub struct Transform {
    pub name: &'static str,
    pub kind: ValueKind,
    pub options: &'static [OptionSpec],
    pub apply: AdaptFn,
}

/// Writes a file of one format straight from a file of another, for a pair
/// whose intermediate value can go from the reader to the writer in pieces
/// (a JPEG's rows compressed into a PNG while the rows below them are still
/// being decoded) instead of whole. The engine offers it the input when the
/// chosen path is exactly `decoder` of `from` then `encoder` of `to` and no
/// transform is asked for.
///
/// Its contract: the same bytes and notes the two steps would give, or a
/// decline (`Ok(false)`) with nothing written, after which the two steps run.
#[derive(Debug)]
pub struct Fused {
    pub from: &'static str,
    /// The [`Decoder::name`] of `from` whose step it replaces.
    pub decoder: &'static str,
    pub to: &'static str,
    /// The [`Encoder::name`] of `to` whose step it replaces.
    pub encoder: &'static str,
    pub convert: FusedFn,
}

/// Converts the input into the sink, or declines (`Ok(false)`) having
/// written nothing.
///
/// # Errors
/// As the decoder's and the encoder's it replaces, once it has taken the file.
pub type FusedFn = fn(Input<'_>, &mut dyn Write, &Context<'_>) -> Result<bool>;

inventory::collect!(Decoder);
inventory::collect!(Encoder);
inventory::collect!(Adapter);
inventory::collect!(Transform);
inventory::collect!(Fused);

/// A set of registrations. [`Registry::from_inventory`] gathers everything
/// linked into the program; the builder methods let an embedder choose.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    pub formats: Vec<&'static FormatInfo>,
    pub decoders: Vec<&'static Decoder>,
    pub encoders: Vec<&'static Encoder>,
    pub adapters: Vec<&'static Adapter>,
    pub transforms: Vec<&'static Transform>,
    pub fused: Vec<&'static Fused>,
}

impl Registry {
    /// Everything submitted with `inventory::submit!` by the crates linked in,
    /// sorted so that iteration order never depends on link order.
    pub fn from_inventory() -> Self {
        let mut r = Registry {
            formats: inventory::iter::<FormatInfo>.into_iter().collect(),
            decoders: inventory::iter::<Decoder>.into_iter().collect(),
            encoders: inventory::iter::<Encoder>.into_iter().collect(),
            adapters: inventory::iter::<Adapter>.into_iter().collect(),
            transforms: inventory::iter::<Transform>.into_iter().collect(),
            fused: inventory::iter::<Fused>.into_iter().collect(),
        };
        r.sort();
        r
    }

    pub fn format(mut self, f: &'static FormatInfo) -> Self {
        self.formats.push(f);
        self.sort();
        self
    }

    pub fn decoder(mut self, d: &'static Decoder) -> Self {
        self.decoders.push(d);
        self.sort();
        self
    }

    pub fn encoder(mut self, e: &'static Encoder) -> Self {
        self.encoders.push(e);
        self.sort();
        self
    }

    pub fn adapter(mut self, a: &'static Adapter) -> Self {
        self.adapters.push(a);
        self.sort();
        self
    }

    pub fn transform(mut self, t: &'static Transform) -> Self {
        self.transforms.push(t);
        self.sort();
        self
    }

    pub fn fused(mut self, f: &'static Fused) -> Self {
        self.fused.push(f);
        self.sort();
        self
    }

    /// The fused conversion that replaces `decoder` then `encoder`, if any.
    pub fn fused_for(&self, decoder: &Decoder, encoder: &Encoder) -> Option<&'static Fused> {
        self.fused
            .iter()
            .copied()
            .find(|f| (f.from, f.decoder, f.to, f.encoder) == (decoder.format, decoder.name, encoder.format, encoder.name))
    }

    fn sort(&mut self) {
        self.formats.sort_by_key(|f| f.id);
        self.decoders.sort_by_key(|d| (d.format, d.name));
        self.encoders.sort_by_key(|e| (e.format, e.name));
        self.adapters.sort_by_key(|a| a.name);
        self.transforms.sort_by_key(|t| t.name);
        self.fused.sort_by_key(|f| (f.from, f.decoder, f.to, f.encoder));
    }
}
