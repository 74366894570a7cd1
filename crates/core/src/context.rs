//! What travels with a call besides the data: options, limits, progress and cancellation.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::{Error, Limits, Options, Result, Spool};

/// Progress callback: receives the fraction done, 0.0 to 1.0, never decreasing.
pub type ProgressFn = dyn Fn(f32) + Send + Sync;

/// The caller's handles on a running conversion.
#[derive(Clone, Default)]
pub struct Control {
    /// Called as the conversion advances.
    pub progress: Option<Arc<ProgressFn>>,
    /// Raise it to stop the conversion at its next checkpoint.
    pub cancel: Option<Arc<AtomicBool>>,
    /// [`crate::Engine::convert_file`] flushes the output to stable storage
    /// before renaming it into place, so that a file reported written
    /// survives a power loss (the service sets it: it records the job done
    /// next). Off, the operating system writes it back in its own time, as
    /// after `ffmpeg`, `vips` or `cp`: the flush cost 25 ms of a 53 MB WAV.
    pub durable: bool,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("durable", &self.durable)
            .finish()
    }
}

/// The memory one conversion has charged so far, against
/// [`Limits::max_memory_bytes`]. Shared by every stage of the conversion.
#[derive(Debug, Default)]
pub struct MemoryBudget {
    used: AtomicU64,
}

impl MemoryBudget {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes charged so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

/// What one conversion repaired, guessed or left out, for the caller to read
/// (`fileconv` prints them as warnings; the service keeps them with the job).
#[derive(Debug, Default)]
pub struct Notes {
    /// The notes kept, and how many more were made past [`Notes::MAX`].
    lines: Mutex<(Vec<String>, usize)>,
}

impl Notes {
    /// Notes kept per conversion; later ones are counted in a last line.
    pub const MAX: usize = 20;

    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `line` unless an equal one is there.
    pub fn push(&self, line: String) {
        let mut guard = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let (lines, more) = &mut *guard;
        if lines.contains(&line) {
            return;
        }
        if lines.len() < Self::MAX {
            lines.push(line);
        } else {
            *more += 1;
        }
    }

    /// The notes so far, in the order they were made, and a count of the rest.
    pub fn take(&self) -> Vec<String> {
        let (mut lines, more) = std::mem::take(&mut *self.lines.lock().unwrap_or_else(|e| e.into_inner()));
        if more > 0 {
            lines.push(format!("and {more} more note(s) like these"));
        }
        lines
    }
}

/// The file a conversion is written to, offered once to the last encoder
/// as its [`Context::output_spool`].
pub(crate) struct Destination {
    file: Mutex<Option<std::fs::File>>,
    /// Bytes written through the spool once it is finished; 0 until then,
    /// and when no encoder took the file.
    length: Arc<AtomicU64>,
}

impl Destination {
    /// `file` is a second handle to the (empty) destination.
    pub(crate) fn new(file: std::fs::File) -> Self {
        Destination { file: Mutex::new(Some(file)), length: Arc::new(AtomicU64::new(0)) }
    }

    fn take(&self, limit: u64) -> Option<Spool> {
        let file = self.file.lock().ok()?.take()?;
        Some(Spool::onto_destination(file, self.length.clone(), limit))
    }

    /// The bytes an encoder wrote through the file itself.
    pub(crate) fn written(&self) -> u64 {
        self.length.load(Ordering::Acquire)
    }
}

/// Handed to every decoder, adapter, transform and encoder.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub options: &'a Options,
    pub limits: &'a Limits,
    control: &'a Control,
    budget: &'a MemoryBudget,
    notes: &'a Notes,
    /// The file the last encoder's output goes to, when the engine writes one.
    destination: Option<&'a Destination>,
    deadline: Option<Instant>,
    /// The share of the whole conversion this stage covers.
    span: (f32, f32),
}

impl<'a> Context<'a> {
    /// A context for a call that starts now, charging its memory to `budget`.
    pub fn new(options: &'a Options, limits: &'a Limits, control: &'a Control, budget: &'a MemoryBudget, notes: &'a Notes) -> Self {
        let deadline = limits.max_wall_time.map(|d| Instant::now() + d);
        Context { options, limits, control, budget, notes, destination: None, deadline, span: (0.0, 1.0) }
    }

    /// Tells the caller what this conversion repaired or left out, in one
    /// line in the user's terms ("2 footnotes have no place in CSV").
    pub fn note(&self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    /// Charges `bytes` that the caller is about to allocate (and keep for
    /// the rest of the conversion) to the conversion's memory budget. Call
    /// it with sizes computed from header values, before allocating.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] naming `what` when the conversion's memory
    /// would pass [`Limits::max_memory_bytes`]; nothing is charged then.
    pub fn charge_memory(&self, bytes: u64, what: &'static str) -> Result<()> {
        let limit = self.limits.max_memory_bytes;
        let mut used = self.budget.used.load(Ordering::Relaxed);
        loop {
            let total = used.saturating_add(bytes);
            if total > limit {
                return Err(Error::LimitExceeded { what, limit, actual: Some(total) });
            }
            match self.budget.used.compare_exchange_weak(used, total, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => used = now,
            }
        }
    }

    /// Gives back memory charged with [`Context::charge_memory`] once it is freed.
    pub fn release_memory(&self, bytes: u64) {
        let _ = self.budget.used.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| Some(u.saturating_sub(bytes)));
    }

    /// What is left of the memory budget, in bytes.
    pub fn memory_left(&self) -> u64 {
        self.limits.max_memory_bytes.saturating_sub(self.budget.used())
    }

    /// Checks a frame size read from a header ([`Limits::check_frame`]) and
    /// charges its pixels to the memory budget.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] as for both.
    pub fn charge_frame(&self, width: u32, height: u32, bytes_per_pixel: u64) -> Result<()> {
        self.limits.check_frame(width, height, bytes_per_pixel)?;
        self.charge_memory(u64::from(width) * u64::from(height) * bytes_per_pixel, "memory for decoded pixels (bytes)")
    }

    /// The time left before the wall-time limit, if there is one.
    pub fn time_left(&self) -> Option<std::time::Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The same call, narrowed to the stage covering `start..end` of the progress.
    pub fn stage(&self, start: f32, end: f32) -> Context<'a> {
        let (s, e) = self.span;
        let width = e - s;
        Context { span: (s + start * width, s + end * width), ..*self }
    }

    /// This context, whose [`Context::output_spool`] may be `destination`.
    pub(crate) fn writing_to(&self, destination: Option<&'a Destination>) -> Context<'a> {
        Context { destination, ..*self }
    }

    /// A seekable buffer for an encoder whose whole output is written into
    /// it and then, with [`Spool::copy_to`], into the sink it was given, and
    /// nothing else into that sink (muxers that patch headers: MP4, WAV,
    /// XLSX). When the engine writes the conversion to a file, the first
    /// such spool of the last step is that file itself, so the output is
    /// not written twice. Others spool in memory and a temporary file,
    /// within [`Limits::max_output_bytes`].
    pub fn output_spool(&self) -> Spool {
        let limit = self.limits.max_output_bytes;
        self.destination.and_then(|d| d.take(limit)).unwrap_or_else(|| Spool::with_limit(limit))
    }

    /// Reports that `fraction` (0.0 to 1.0) of this stage is done.
    pub fn progress(&self, fraction: f32) {
        if let Some(report) = &self.control.progress {
            let (s, e) = self.span;
            report(s + fraction.clamp(0.0, 1.0) * (e - s));
        }
    }

    /// Call between units of work.
    ///
    /// # Errors
    /// [`Error::Cancelled`] once the cancel flag is raised, [`Error::LimitExceeded`]
    /// once the wall-time limit has passed.
    pub fn checkpoint(&self) -> Result<()> {
        if self.control.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Cancelled);
        }
        if let (Some(deadline), Some(limit)) = (self.deadline, self.limits.max_wall_time) {
            if Instant::now() > deadline {
                let ms = limit.as_millis() as u64;
                return Err(Error::LimitExceeded { what: "wall time (ms)", limit: ms, actual: None });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Notes;

    #[test]
    fn notes_are_kept_once_and_the_overflow_counted() {
        let notes = Notes::new();
        notes.push("same".to_string());
        notes.push("same".to_string());
        for i in 0..Notes::MAX + 3 {
            notes.push(format!("note {i}"));
        }
        let lines = notes.take();
        assert_eq!(lines.len(), Notes::MAX + 1);
        assert_eq!(lines[0], "same");
        assert_eq!(lines.last().unwrap(), "and 4 more note(s) like these");
        assert!(notes.take().is_empty(), "taken");
    }
}
