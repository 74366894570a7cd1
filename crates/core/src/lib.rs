//! fileconv's core: the vocabulary every format plugin and front end shares.
//!
//! - [`FormatInfo`]: a file format (canonical id, aliases, MIME type, sniffer).
//! - [`Value`]: what decoders produce and encoders consume ([`Raster`], [`Audio`],
//!   [`Media`], [`Table`], [`Document`], [`Subtitles`]).
//! - [`Decoder`], [`Encoder`], [`Adapter`], [`Transform`]: registrations that
//!   plugins submit with [`inventory::submit!`]; the [`Engine`] collects them.
//! - The format graph ([`Engine::path`], [`Engine::conversions`]).
//! - [`Options`], [`Limits`], [`Control`] travel with every call.
//! - [`Error`]: the one error type.

pub mod error;
pub mod format;
pub mod value;
pub mod audio;
pub mod media;
pub mod table;
pub mod document;
pub mod subtitles;
pub mod text;
pub mod io;
pub mod options;
pub mod limits;
pub mod context;
pub mod registry;
pub mod graph;
pub mod engine;
pub mod catalog;
pub mod sniff;
pub mod code_page;

pub use error::{panic_text, Error, ErrorKind, Result};
pub use format::{Category, Container, FormatInfo};
pub use value::{Frame, Raster, Value, ValueKind};
pub use audio::{chapters_left_out, cut_chapters, read_ahead, Audio, AudioSource, AudioSpec, Chapter, MemorySource, Picture, Samples, Tags, READ_AHEAD_BATCH};
pub use io::{ReadSeek, Spool};
pub use media::{AudioTrack, Media, VideoTrack};
pub use subtitles::{Cue, Span, SubtitleStyle, Subtitles};
pub use document::{escape_markup, plain_text, Block, Document, EmbeddedImage, Image, Inline, Numbering, Run, TableBlock};
pub use table::{Cell, CellBudget, Date, DateTime, Row, RowOut, RowSink, SheetInfo, Table, TableSource, Time, Unread};
pub use options::{OptionKind, OptionSpec, Options, Rgba};
pub use limits::Limits;
pub use context::{Context, Control, MemoryBudget, Notes};
pub use registry::{Adapter, Decoder, Encoder, Fused, FusedFn, Input, Registry, Transform};
pub use graph::{Conversion, ConversionPath, Step};
pub use engine::{on_conversion_thread, Engine, Report, Source, CONVERSION_STACK_BYTES, STRICT};

/// Re-exported so plugins use the same `inventory` and `image` versions as core.
pub use image;
pub use inventory;
