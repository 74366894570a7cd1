//! The crash journal: which job's conversion killed the process.
//!
//! A conversion that overflows its stack, fails an allocation, or makes a
//! codec library abort or fault ends the process with SIGSEGV, SIGBUS,
//! SIGABRT, SIGILL or SIGFPE, raised on the thread that ran it. A handler
//! for those signals writes the id of the job that thread was converting
//! (kept in a thread-local by [`JobMark`]) to `crash.journal` in the data
//! dir, then lets the signal kill the process as it would have. At the next
//! start, [`take_crashed`] reads the journal, so that job fails instead of
//! being retried, and the jobs that were merely running beside it go back
//! in the queue. The handler only reads a thread-local array and calls
//! `write(2)`, both async-signal-safe; it runs on the alternate signal stack
//! Rust gives every thread, so a stack overflow can still be reported.

use std::cell::Cell;
use std::os::fd::IntoRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

/// Longest job id recorded (ids are 32 hex digits).
const ID_CAPACITY: usize = 64;

thread_local! {
    static CURRENT_JOB: Cell<([u8; ID_CAPACITY], usize)> = const { Cell::new(([0; ID_CAPACITY], 0)) };
}

/// The journal's descriptor, open for appending; -1 before [`install`].
static JOURNAL_FD: AtomicI32 = AtomicI32::new(-1);

const FATAL_SIGNALS: [libc::c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGABRT, libc::SIGILL, libc::SIGFPE];

fn journal_path(data_dir: &Path) -> PathBuf {
    data_dir.join("crash.journal")
}

/// Opens the journal and installs the signal handlers. Call once, at start-up.
///
/// # Errors
/// The journal cannot be opened.
pub fn install(data_dir: &Path) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(journal_path(data_dir))?;
    let fd = file.into_raw_fd();
    let old = JOURNAL_FD.swap(fd, Ordering::SeqCst);
    if old >= 0 {
        // SAFETY: `old` was a descriptor this module opened and owns.
        unsafe { libc::close(old) };
        return Ok(());
    }
    for signal in FATAL_SIGNALS {
        // SAFETY: a plain sigaction with a handler that only does
        // async-signal-safe work; SA_RESETHAND restores the default action,
        // so re-raising (or returning to the faulting instruction) ends the
        // process as the signal would have.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fatal_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    Ok(())
}

extern "C" fn on_fatal_signal(signal: libc::c_int, _info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    let fd = JOURNAL_FD.load(Ordering::Relaxed);
    let (id, len) = CURRENT_JOB.with(Cell::get);
    if fd >= 0 && len > 0 {
        let mut line = [0u8; ID_CAPACITY + 1];
        line[..len].copy_from_slice(&id[..len]);
        line[len] = b'\n';
        // SAFETY: write(2) is async-signal-safe; the buffer is on this stack.
        unsafe { libc::write(fd, line.as_ptr().cast(), len + 1) };
    }
    if signal == libc::SIGABRT {
        // SAFETY: the handler was reset to the default action (SA_RESETHAND).
        unsafe { libc::raise(signal) };
    }
    // Other signals: returning re-runs the faulting instruction, which now
    // meets the default action.
}

/// Marks the calling thread as converting a job until dropped.
pub struct JobMark(());

impl JobMark {
    pub fn set(job_id: &str) -> JobMark {
        let bytes = job_id.as_bytes();
        let len = bytes.len().min(ID_CAPACITY);
        let mut id = [0u8; ID_CAPACITY];
        id[..len].copy_from_slice(&bytes[..len]);
        CURRENT_JOB.with(|c| c.set((id, len)));
        JobMark(())
    }
}

impl Drop for JobMark {
    fn drop(&mut self) {
        CURRENT_JOB.with(|c| c.set(([0; ID_CAPACITY], 0)));
    }
}

/// The job ids the journal names, and an emptied journal.
///
/// # Errors
/// The journal exists but cannot be read or emptied.
pub fn take_crashed(data_dir: &Path) -> std::io::Result<Vec<String>> {
    let path = journal_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    std::fs::write(&path, b"")?;
    let mut ids: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric())).map(str::to_string).collect();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In a child copy of this test binary: install the journal, mark the
    /// thread with a job, and die the way `how` says.
    #[test]
    fn crash_child() {
        let (Ok(dir), Ok(how)) = (std::env::var("FILECONV_CRASH_DIR"), std::env::var("FILECONV_CRASH_HOW")) else { return };
        install(Path::new(&dir)).unwrap();
        let run = move || {
            let _mark = JobMark::set("0123456789abcdef0123456789abcdef");
            match how.as_str() {
                "abort" => std::process::abort(),
                _ => {
                    #[allow(unconditional_recursion)]
                    fn deeper(n: u64) -> u64 {
                        let frame = std::hint::black_box([n; 64]);
                        frame[0] + deeper(n + 1)
                    }
                    std::hint::black_box(deeper(0));
                }
            }
        };
        std::thread::Builder::new().stack_size(256 << 10).spawn(run).unwrap().join().unwrap();
    }

    #[test]
    fn the_journal_names_the_job_whose_thread_crashed() {
        for how in ["abort", "stack-overflow"] {
            let dir = tempfile::tempdir().unwrap();
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "crash::tests::crash_child", "--nocapture", "--test-threads=1"])
                .env("FILECONV_CRASH_DIR", dir.path())
                .env("FILECONV_CRASH_HOW", how)
                .stderr(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(!status.success(), "{how}: the child survived");
            assert_eq!(take_crashed(dir.path()).unwrap(), ["0123456789abcdef0123456789abcdef"], "{how}");
        }
    }
}
