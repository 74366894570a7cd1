//! What travels with a call besides the data: options, limits, progress and cancellation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::{Error, Limits, Options, Result};

/// Progress callback: receives the fraction done, 0.0 to 1.0, never decreasing.
pub type ProgressFn = dyn Fn(f32) + Send + Sync;

/// The caller's handles on a running conversion.
#[derive(Clone, Default)]
pub struct Control {
    /// Called as the conversion advances.
    pub progress: Option<Arc<ProgressFn>>,
    /// Raise it to stop the conversion at its next checkpoint.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// Handed to every decoder, adapter, transform and encoder.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub options: &'a Options,
    pub limits: &'a Limits,
    control: &'a Control,
    deadline: Option<Instant>,
    /// The share of the whole conversion this stage covers.
    span: (f32, f32),
}

impl<'a> Context<'a> {
    /// A context for a call that starts now.
    pub fn new(options: &'a Options, limits: &'a Limits, control: &'a Control) -> Self {
        let deadline = limits.max_wall_time.map(|d| Instant::now() + d);
        Context { options, limits, control, deadline, span: (0.0, 1.0) }
    }

    /// The same call, narrowed to the stage covering `start..end` of the progress.
    pub fn stage(&self, start: f32, end: f32) -> Context<'a> {
        let (s, e) = self.span;
        let width = e - s;
        Context { span: (s + start * width, s + end * width), ..*self }
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
