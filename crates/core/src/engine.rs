//! The [`Engine`]: looks formats up, finds paths, and runs conversions with
//! limits, progress, cancellation and panic isolation.

use std::any::Any;
use std::fs::File;
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::context::Destination;
use crate::graph::{shortest_paths, Conversion, ConversionPath, Step};
use crate::{Context, Control, Decoder, Error, FormatInfo, Input, Limits, MemoryBudget, Notes, OptionSpec, Options, Registry, Result, Value};

/// The stack of the thread a conversion runs on. Parsers of nested formats
/// (XML trees, SVG groups, PDF objects) recurse; each format also bounds its
/// nesting before recursing, so this is the second line of defence, sized
/// so that a bounded depth never comes near it. Only touched pages are
/// backed by memory.
pub const CONVERSION_STACK_BYTES: usize = 256 << 20;

thread_local! {
    static ON_CONVERSION_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` on a thread with a [`CONVERSION_STACK_BYTES`] stack and
/// waits for it; runs it in place when already on such a thread. Every
/// conversion of the [`Engine`] goes through it; a caller that wants to
/// keep per-thread state (a job id for a crash handler) around a whole
/// conversion calls it first.
///
/// # Panics
/// Re-raises a panic of `work` (the engine contains its plugins' panics
/// inside); panics when the operating system cannot start a thread.
pub fn on_conversion_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if ON_CONVERSION_THREAD.with(|on| on.get()) {
        return work();
    }
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("fileconv-convert".to_string())
            .stack_size(CONVERSION_STACK_BYTES)
            .spawn_scoped(scope, || {
                ON_CONVERSION_THREAD.with(|on| on.set(true));
                work()
            })
            .expect("the operating system starts a conversion thread");
        thread.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    })
}

/// Where a conversion reads its input from.
pub enum Source<'a> {
    /// Bytes already in memory.
    Bytes(&'a [u8]),
    /// A file, memory-mapped rather than read.
    Path(&'a Path),
    /// A stream, read whole into memory up to the input-size limit.
    Reader(&'a mut (dyn Read + Send)),
}

/// What a finished conversion reports.
#[derive(Clone, Debug)]
pub struct Report {
    pub path: ConversionPath,
    pub bytes_written: u64,
    /// What the conversion repaired or left out (see [`Context::note`]).
    pub notes: Vec<String>,
}

/// The option every conversion takes: fail rather than repair or leave out.
pub const STRICT: OptionSpec = OptionSpec {
    name: "strict",
    kind: crate::OptionKind::Boolean,
    default: "false",
    help: "Fail instead of converting a file that had to be repaired, guessed at or cut (what the warnings would say)",
};

/// A conversion engine over a fixed [`Registry`] with default [`Limits`].
#[derive(Clone, Debug)]
pub struct Engine {
    registry: Registry,
    limits: Limits,
}

impl Engine {
    /// An engine over exactly these registrations.
    pub fn new(registry: Registry) -> Self {
        Engine { registry, limits: Limits::default() }
    }

    /// An engine over every registration linked into the program. Prefer
    /// `fileconv::Engine::new()`, which also makes sure every enabled plugin is linked.
    pub fn from_inventory() -> Self {
        Self::new(Registry::from_inventory())
    }

    /// Replaces the limits applied to every call.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// All registered formats, sorted by id.
    pub fn formats(&self) -> &[&'static FormatInfo] {
        &self.registry.formats
    }

    /// Looks a format up by id or alias, in any case, with or without a leading dot.
    ///
    /// # Errors
    /// [`Error::UnknownFormat`].
    pub fn format(&self, name: &str) -> Result<&'static FormatInfo> {
        let wanted = name.trim().trim_start_matches('.');
        self.registry
            .formats
            .iter()
            .copied()
            .find(|f| f.answers_to(wanted))
            .ok_or_else(|| Error::UnknownFormat { name: name.to_string() })
    }

    /// The format whose signature the bytes carry, if any.
    pub fn detect(&self, bytes: &[u8]) -> Option<&'static FormatInfo> {
        self.registry.formats.iter().copied().find(|f| f.matches(bytes))
    }

    /// Checks that `bytes` can be a file of `claimed`.
    ///
    /// A file in the claimed format's container passes when nothing more
    /// specific is detected, and, for containers whose members differ only by a
    /// label (ISO BMFF brands, Matroska doc types, Ogg, ASF), even when a
    /// sibling's signature is detected: an `.m4a` branded `mp42` is an m4a.
    ///
    /// # Errors
    /// [`Error::FormatMismatch`] naming the detected format when the bytes are
    /// another kind of content; [`Error::InvalidInput`] when they carry no
    /// known signature but `claimed` has one.
    pub fn check_claim(&self, bytes: &[u8], claimed: &FormatInfo) -> Result<()> {
        if claimed.matches(bytes) {
            return Ok(());
        }
        let shared = claimed.container.filter(|c| c.matches(bytes));
        match self.detect(bytes) {
            Some(found) if found.id != claimed.id => match shared {
                Some(c) if c.labels_only() && found.container == Some(c) => Ok(()),
                _ => Err(Error::FormatMismatch { claimed: claimed.id.to_string(), detected: found.id.to_string() }),
            },
            _ if shared.is_some() => Ok(()),
            _ if claimed.sniff.is_some() => Err(Error::invalid_input(
                claimed.id,
                if bytes.is_empty() { "the file is empty".to_string() } else { format!("not a {} file (no {} signature)", claimed.id, claimed.name) },
            )),
            _ => Ok(()),
        }
    }

    /// The best conversion path between two formats.
    ///
    /// # Errors
    /// [`Error::UnknownFormat`] or [`Error::NoPath`].
    pub fn path(&self, from: &str, to: &str) -> Result<ConversionPath> {
        let (src, dst) = (self.format(from)?, self.format(to)?);
        shortest_paths(&self.registry, src.id)
            .remove(dst.id)
            .ok_or_else(|| Error::NoPath { from: src.id.to_string(), to: dst.id.to_string() })
    }

    /// Every reachable source-target pair with its path, sorted by (from, to).
    pub fn conversions(&self) -> Vec<Conversion> {
        self.registry
            .formats
            .iter()
            .flat_map(|f| shortest_paths(&self.registry, f.id).into_values())
            .map(|path| Conversion { from: path.from, to: path.to, path })
            .collect()
    }

    /// Converts bytes with default options.
    ///
    /// # Errors
    /// See [`Engine::convert_stream`].
    pub fn convert(&self, input: &[u8], from: &str, to: &str) -> Result<Vec<u8>> {
        self.convert_with(input, from, to, &Options::new())
    }

    /// Converts bytes with options.
    ///
    /// # Errors
    /// See [`Engine::convert_stream`].
    pub fn convert_with(&self, input: &[u8], from: &str, to: &str, options: &Options) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.convert_stream(Source::Bytes(input), from, to, &mut out, options, &Control::default())?;
        Ok(out)
    }

    /// Converts a file into another, writing to a temporary file next to the
    /// output and renaming it into place, so a failure leaves nothing behind;
    /// flushed to stable storage first when [`Control::durable`] says so.
    ///
    /// # Errors
    /// See [`Engine::convert_stream`]; [`Error::Io`] when the output cannot be written.
    pub fn convert_file(&self, input: &Path, output: &Path, from: &str, to: &str, options: &Options, control: &Control) -> Result<Report> {
        let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{unique}.part", std::process::id()));
        let result = (|| {
            let file = File::create(&tmp)?;
            let destination = Destination::new(file.try_clone()?);
            let mut file = std::io::BufWriter::new(file);
            let report = self.convert_into(Source::Path(input), from, to, &mut file, options, control, Some(&destination))?;
            let file = file.into_inner().map_err(|e| e.into_error())?;
            if control.durable {
                file.sync_all()?;
            }
            replace(&tmp, output)?;
            Ok(report)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// The general conversion call: reads `source` as `from`, writes `to` into `sink`.
    ///
    /// # Errors
    /// - [`Error::UnknownFormat`], [`Error::NoPath`] for unsupported pairs;
    /// - [`Error::InvalidOption`] for options this conversion does not accept;
    /// - [`Error::FormatMismatch`], [`Error::InvalidInput`] for bad input;
    /// - [`Error::LimitExceeded`], [`Error::Cancelled`], [`Error::Io`];
    /// - [`Error::Internal`] when a plugin panicked (the panic is contained).
    pub fn convert_stream(
        &self,
        source: Source<'_>,
        from: &str,
        to: &str,
        sink: &mut (dyn Write + Send),
        options: &Options,
        control: &Control,
    ) -> Result<Report> {
        self.convert_into(source, from, to, sink, options, control, None)
    }

    /// [`Engine::convert_stream`], with the file `sink` writes to, if it is
    /// one, offered to the last encoder as its output spool.
    #[allow(clippy::too_many_arguments)]
    fn convert_into(
        &self,
        source: Source<'_>,
        from: &str,
        to: &str,
        sink: &mut (dyn Write + Send),
        options: &Options,
        control: &Control,
        destination: Option<&Destination>,
    ) -> Result<Report> {
        let path = self.path(from, to)?;
        options.validate(path.options())?;
        let limit = self.limits.max_output_bytes;
        let mut counter = CountingWriter { inner: sink, written: 0, limit, exceeded: false };
        let result = self.run(source, self.format(from)?, options, control, |input, ctx| {
            run_path(&self.registry, &path, input, &mut counter, &ctx.writing_to(destination))
        });
        if counter.exceeded {
            // Whatever error the encoder made of the refused write, the cause is the limit.
            return Err(Error::LimitExceeded { what: "output size (bytes)", limit, actual: None });
        }
        let ((), notes) = result?;
        if STRICT.boolean(options)? && !notes.is_empty() {
            return Err(Error::cannot_keep(to, format!("strict: {}", notes.join("; "))));
        }
        let in_place = destination.map_or(0, Destination::written);
        Ok(Report { path, bytes_written: counter.written + in_place, notes })
    }

    /// Decodes a file into a value with the cheapest decoder of `from`, for
    /// inspection (`fileconv probe`); a document's flowing tree is read even
    /// when its reader defers it.
    ///
    /// # Errors
    /// As for [`Engine::convert_stream`].
    pub fn decode(&self, source: Source<'_>, from: &str, options: &Options) -> Result<Value> {
        let format = self.format(from)?;
        let decoder = self
            .registry
            .decoders
            .iter()
            .filter(|d| d.format == format.id)
            .min_by_key(|d| d.cost)
            .ok_or_else(|| Error::NoPath { from: format.id.to_string(), to: "any value".to_string() })?;
        options.validate(decoder.options.iter())?;
        // What the reader deferred is read: the caller inspects the value.
        let read = |input: Input<'_>, ctx: &Context<'_>| match (decoder.decode)(input, ctx)? {
            Value::Document(mut document) => document.read_flow(ctx).map(|()| Value::Document(document)),
            value => Ok(value),
        };
        self.run(source, format, options, &Control::default(), read).map(|(value, _)| value)
    }

    /// Opens `source` within the size limit, checks it is `claimed`, and runs
    /// `work` on it on a conversion thread with panics contained and a fresh
    /// memory budget; reports full progress on success and returns the notes
    /// the conversion made.
    fn run<T: Send>(
        &self,
        source: Source<'_>,
        claimed: &FormatInfo,
        options: &Options,
        control: &Control,
        work: impl FnOnce(Input<'_>, &Context<'_>) -> Result<T> + Send,
    ) -> Result<(T, Vec<String>)> {
        on_conversion_thread(|| {
            with_input(source, &self.limits, |input| {
                self.check_claim(input.bytes, claimed)?;
                let (budget, notes) = (MemoryBudget::new(), Notes::new());
                let ctx = Context::new(options, &self.limits, control, &budget, &notes);
                let value = contain_panics(|| work(input, &ctx))?;
                ctx.progress(1.0);
                Ok((value, notes.take()))
            })
        })
    }
}

/// Puts the finished `tmp` in `output`'s place in one step, so a reader
/// sees the old file or the new one, never part of either.
///
/// Over an existing file the two are exchanged (`renameat2` with
/// `RENAME_EXCHANGE`) and the old one, now under `tmp`'s name, removed:
/// ext4 writes a file's pages out when it is renamed over another (its
/// guard for programs that replace files without flushing them), which
/// took 25 ms of the 300 of a 5-minute MP3 to a WAV that replaced the last
/// one; an exchange does not. [`Control::durable`] flushes before this.
/// Where the file system cannot exchange, or `output` is not a file, a rename.
///
/// # Errors
/// The rename's.
fn replace(tmp: &Path, output: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let replaces_a_file = std::fs::symlink_metadata(output).is_ok_and(|m| m.file_type().is_file() || m.file_type().is_symlink());
        if replaces_a_file {
            let from = std::ffi::CString::new(tmp.as_os_str().as_bytes())?;
            let to = std::ffi::CString::new(output.as_os_str().as_bytes())?;
            // SAFETY: both are NUL-terminated paths that live across the call.
            let exchanged = unsafe { libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::RENAME_EXCHANGE) } == 0;
            if exchanged {
                // The new file is in place; the old one only lingers, hidden, if this fails.
                let _ = std::fs::remove_file(tmp);
                return Ok(());
            }
        }
    }
    std::fs::rename(tmp, output)
}

fn with_input<T>(source: Source<'_>, limits: &Limits, f: impl FnOnce(Input<'_>) -> Result<T>) -> Result<T> {
    match source {
        Source::Bytes(bytes) => {
            limits.check_input_size(bytes.len() as u64)?;
            f(Input { bytes, path: None })
        }
        Source::Path(path) => {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            limits.check_input_size(len)?;
            if len == 0 {
                return f(Input { bytes: &[], path: Some(path) });
            }
            // SAFETY: the map is read-only and lives for this call only. A file
            // truncated by another process meanwhile can fault; that is the
            // documented cost of mapping, and why the service copies uploads first.
            let map = unsafe { memmap2::Mmap::map(&file)? };
            f(Input { bytes: &map, path: Some(path) })
        }
        Source::Reader(reader) => {
            let mut bytes = Vec::new();
            reader.take(limits.max_input_bytes.saturating_add(1)).read_to_end(&mut bytes)?;
            limits.check_input_size(bytes.len() as u64)?;
            f(Input { bytes: &bytes, path: None })
        }
    }
}

/// Decodes with `first`; when it refuses the file as invalid, the format's
/// other decoders of the same value kind try in cost order (libtiff reads
/// TIFF variants, FFmpeg GIF and JPEG ones, the image crate does not), and
/// the first error stands when none can, unless one of them found the file
/// over a limit or the conversion was cancelled, or the file also carries
/// a sibling format's signature ([`Error::FormatMismatch`]).
fn decode_with_fallbacks(registry: &Registry, first: &Decoder, input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let refused = match (first.decode)(input, ctx) {
        Err(e @ Error::InvalidInput { .. }) => e,
        other => return other,
    };
    let mut others: Vec<&Decoder> = registry
        .decoders
        .iter()
        .copied()
        .filter(|d| d.format == first.format && d.output == first.output && !std::ptr::eq(*d, first))
        .collect();
    others.sort_by_key(|d| d.cost);
    for other in others {
        ctx.checkpoint()?;
        match (other.decode)(input, ctx) {
            Ok(value) => {
                ctx.note(format!("{refused}; read instead by the {} reader", other.name));
                return Ok(value);
            }
            // The second reader understood the file and found it over a
            // limit: that, not the first reader's refusal, is the answer.
            Err(e @ (Error::LimitExceeded { .. } | Error::Cancelled)) => return Err(e),
            Err(_) => {}
        }
    }
    // A file that carries the claimed format's signature and a sibling's in
    // the same container, which the claimed readers refuse (a DNG claimed
    // as TIFF): named as what it is detected as, as `Engine::detect` does.
    let claimed = registry.formats.iter().find(|f| f.id == first.format).filter(|f| f.matches(input.bytes));
    let container = claimed.and_then(|f| f.container);
    let detected = registry.formats.iter().find(|f| f.matches(input.bytes));
    let sibling = detected.filter(|f| f.id != first.format && container.is_some() && f.container == container);
    match sibling {
        Some(found) => Err(Error::FormatMismatch { claimed: first.format.to_string(), detected: found.id.to_string() }),
        None => Err(refused),
    }
}

fn run_path(registry: &Registry, path: &ConversionPath, input: Input<'_>, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    if let [Step::Decode(decoder), Step::Encode(encoder)] = path.steps[..] {
        let transformed = path.transforms.iter().any(|t| t.kind == encoder.input && ctx.options.any_of(t.options));
        if let Some(fused) = registry.fused_for(decoder, encoder).filter(|_| !transformed) {
            if (fused.convert)(input, sink, ctx)? {
                sink.flush()?;
                return Ok(());
            }
        }
    }
    let stages = path.steps.len() as f32;
    let mut value: Option<Value> = None;
    // Bytes of an intermediate file format, when the path passes through one.
    let mut intermediate: Option<Vec<u8>> = None;
    let take = |value: &mut Option<Value>, step: &Step| {
        value.take().ok_or_else(|| Error::Internal(format!("step {} has no value to work on", step.name())))
    };
    for (i, step) in path.steps.iter().enumerate() {
        ctx.checkpoint()?;
        let stage = ctx.stage(i as f32 / stages, (i + 1) as f32 / stages);
        match step {
            Step::Decode(d) => {
                let bytes = intermediate.take();
                let source = bytes.as_deref().map_or(input, Input::from_bytes);
                value = Some(decode_with_fallbacks(registry, d, source, &stage.writing_to(None))?);
            }
            Step::Adapt(a) => value = Some((a.adapt)(take(&mut value, step)?, &stage.writing_to(None))?),
            Step::Encode(e) => {
                let mut v = take(&mut value, step)?;
                for t in path.transforms.iter().filter(|t| t.kind == e.input) {
                    if ctx.options.any_of(t.options) {
                        v = (t.apply)(v, &stage)?;
                    }
                }
                if i + 1 == path.steps.len() {
                    (e.encode)(v, sink, &stage)?;
                } else {
                    let mut buffer = Vec::new();
                    (e.encode)(v, &mut buffer, &stage.writing_to(None))?;
                    intermediate = Some(buffer);
                }
            }
        }
    }
    sink.flush()?;
    Ok(())
}

fn contain_panics<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(Error::Internal(panic_message(&*payload))))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    format!("a decoder or encoder panicked: {}", crate::panic_text(payload))
}

/// Counts what is written and refuses to go past the output-size limit.
struct CountingWriter<'a> {
    inner: &'a mut (dyn Write + Send),
    written: u64,
    limit: u64,
    exceeded: bool,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("output size limit reached"));
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
