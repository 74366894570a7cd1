//! Every conversion runs in a converter child, never in the process that
//! answers the API: a file that makes a codec abort, fault, overflow its
//! stack, allocate without bound or spin takes down one child, and its job
//! fails with a message and an `errorCode` that say which.
//!
//! Children are the service's own binary started as `convert-child`
//! ([`child`]), confined ([`confine`]) and kept in a [`Pool`]: a started
//! child runs up to [`JOBS_PER_CHILD`] jobs, one at a time, and one that
//! failed in any way is replaced. Starting one costs about 50 ms (the
//! binary links FFmpeg), which the pool keeps off each job.
//!
//! Each child has a folder of its own and sees no other file of the
//! service: for each job the pool links the job's input into the child's
//! `input/` (read only), takes the result out of its `work/` (the only place
//! it may write), and empties both before the next job. So a child reads
//! the input of the job it runs and writes only that job's folder, though
//! it lives for many jobs.

pub mod child;
pub mod confine;
pub mod protocol;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child as Process, ChildStdin, ChildStdout};

use self::confine::Enforced;
use self::protocol::{Reply, Request};
use crate::error::JobErrorCode;

/// The folder under the service's temporary folder that holds the children's own.
pub const CHILDREN_FOLDER: &str = "children";
/// Jobs one child runs before it is replaced (as Gotenberg restarts
/// LibreOffice every N conversions): whatever a codec leaked goes with it.
pub const JOBS_PER_CHILD: u32 = 200;
/// The end of a child's stderr kept to tell why it died.
const STDERR_TAIL: usize = 16 << 10;

/// Why a conversion ended without a result; each is a job's `errorCode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The engine refused or failed, as it says.
    Conversion { message: String, code: JobErrorCode },
    /// The child died of a signal or exited: a codec fault, abort or stack overflow.
    Crashed(String),
    /// An allocation failed at the child's address-space limit.
    OutOfMemory { megabytes: u64 },
    /// The plan's wall time ran out; the child was killed.
    TimeLimit { seconds: u64 },
    /// The child used up its CPU-time limit.
    CpuLimit { seconds: u64 },
    /// The child wrote a file past its size limit.
    OutputTooLarge,
    /// The job was cancelled (deleted, or the service is stopping).
    Cancelled,
    /// No child could be started.
    Unavailable(String),
}

impl Failure {
    /// The job's `errorCode`.
    pub fn code(&self) -> JobErrorCode {
        match self {
            Failure::Conversion { code, .. } => *code,
            Failure::Crashed(_) => JobErrorCode::ConverterCrashed,
            Failure::OutOfMemory { .. } => JobErrorCode::OutOfMemory,
            Failure::TimeLimit { .. } | Failure::CpuLimit { .. } => JobErrorCode::Timeout,
            Failure::OutputTooLarge => JobErrorCode::LimitExceeded,
            Failure::Cancelled => JobErrorCode::Cancelled,
            Failure::Unavailable(_) => JobErrorCode::Internal,
        }
    }

    /// The job's `error`, for people.
    pub fn message(&self) -> String {
        match self {
            Failure::Conversion { message, .. } => message.clone(),
            Failure::Crashed(how) => format!("the converter crashed on this file ({how})"),
            Failure::OutOfMemory { megabytes } => format!("the conversion ran out of its {} memory", human_megabytes(*megabytes)),
            Failure::TimeLimit { seconds } => format!("the conversion took longer than the {seconds} s this plan allows"),
            Failure::CpuLimit { seconds } => format!("the conversion used more than the {seconds} s of CPU time this plan allows"),
            Failure::OutputTooLarge => "the conversion wrote more than this plan's largest result".to_string(),
            Failure::Cancelled => "conversion cancelled".to_string(),
            Failure::Unavailable(why) => format!("the converter could not start: {why}"),
        }
    }

    /// Worth one more try on another child: only a crash, which may have
    /// been the machine's doing rather than the file's.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Failure::Crashed(_))
    }
}

fn human_megabytes(megabytes: u64) -> String {
    if megabytes >= 1024 && megabytes % 1024 == 0 {
        format!("{} GB", megabytes / 1024)
    } else {
        format!("{megabytes} MB")
    }
}

/// A finished conversion.
#[derive(Debug)]
pub struct Converted {
    pub notes: Vec<String>,
    pub cpu_seconds: f64,
}

/// One started child.
struct Child {
    /// Its own folder, removed with it.
    folder: PathBuf,
    process: Process,
    stdin: ChildStdin,
    replies: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    jobs: u32,
}

impl Child {
    fn stderr_text(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&tail.iter().copied().collect::<Vec<u8>>()).into_owned()
    }

    /// Kills the child's whole process group, reaps it and removes its folder.
    async fn kill(mut self) {
        if let Some(pid) = self.process.id() {
            // SAFETY: the child leads its own process group (process_group(0)).
            unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
        }
        let _ = self.process.kill().await;
        let _ = tokio::fs::remove_dir_all(&self.folder).await;
    }

    /// Gives the child the job's input (a hard link, or a copy across
    /// file systems) and returns the request as the child must see it:
    /// paths inside its own folder.
    async fn take_in(&self, request: &Request) -> std::io::Result<Request> {
        let input = self.folder.join(confine::INPUT_FOLDER).join(format!("source.{}", file_extension(&request.from)));
        if tokio::fs::hard_link(&request.input, &input).await.is_err() {
            tokio::fs::copy(&request.input, &input).await?;
        }
        let output = self.folder.join(confine::WORK_FOLDER).join(format!("result.{}", file_extension(&request.to)));
        Ok(Request { input, output, ..request.clone() })
    }

    /// Moves the result where the job wants it.
    async fn hand_out(&self, inside: &Path, wanted: &Path) -> std::io::Result<()> {
        if tokio::fs::rename(inside, wanted).await.is_err() {
            tokio::fs::copy(inside, wanted).await?;
        }
        Ok(())
    }

    /// Empties the child's folder of the last job's files.
    async fn clean(&self) -> std::io::Result<()> {
        for name in [confine::INPUT_FOLDER, confine::WORK_FOLDER] {
            let folder = self.folder.join(name);
            let mut entries = tokio::fs::read_dir(&folder).await?;
            while let Some(entry) = entries.next_entry().await? {
                if entry.file_type().await?.is_dir() {
                    tokio::fs::remove_dir_all(entry.path()).await?;
                } else {
                    tokio::fs::remove_file(entry.path()).await?;
                }
            }
        }
        Ok(())
    }
}

/// A format id as a file extension: letters, digits and `-` only.
fn file_extension(format: &str) -> String {
    let clean: String = format.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(16).collect();
    if clean.is_empty() { "bin".to_string() } else { clean }
}

/// How a conversion is stopped from outside: cancel it (deleted, shutdown).
#[derive(Debug, Default)]
pub struct Stop {
    pub cancel: AtomicBool,
}

/// Started children waiting for work, and how to start more.
pub struct Pool {
    program: PathBuf,
    /// Where each child's own folder is made.
    children_dir: PathBuf,
    idle: Mutex<Vec<Child>>,
    size: usize,
    enforced: Mutex<Option<Enforced>>,
}

/// A conversion for [`Pool::run`].
pub struct Job<'a> {
    pub request: Request,
    pub progress: &'a AtomicU32,
    pub stop: &'a Stop,
}

impl Pool {
    /// A pool of up to `size` idle children of `program` (the service's own
    /// binary), each with a folder of its own under `temp_dir/children`.
    pub fn new(program: PathBuf, temp_dir: &Path, size: usize) -> Pool {
        Pool { program, children_dir: temp_dir.join(CHILDREN_FOLDER), idle: Mutex::new(Vec::new()), size: size.max(1), enforced: Mutex::new(None) }
    }

    /// What the first child found it could enforce; `None` before one started.
    pub fn enforced(&self) -> Option<Enforced> {
        self.lock_enforced().clone()
    }

    fn lock_enforced(&self) -> std::sync::MutexGuard<'_, Option<Enforced>> {
        self.enforced.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Child>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts children until the pool holds its size; logs what the kernel
    /// enforces the first time.
    ///
    /// # Errors
    /// A child cannot be started.
    pub async fn fill(&self) -> Result<(), String> {
        while self.lock_idle().len() < self.size {
            let child = self.start().await?;
            self.lock_idle().push(child);
        }
        Ok(())
    }

    async fn start(&self) -> Result<Child, String> {
        let folder = self.children_dir.join(format!("{}-{}", std::process::id(), crate::ids::random_hex(8)));
        for name in [confine::INPUT_FOLDER, confine::WORK_FOLDER] {
            tokio::fs::create_dir_all(folder.join(name)).await.map_err(|e| format!("{}: {e}", folder.display()))?;
        }
        let started = self.spawn(&folder).await;
        if started.is_err() {
            let _ = tokio::fs::remove_dir_all(&folder).await;
        }
        started
    }

    async fn spawn(&self, folder: &Path) -> Result<Child, String> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .arg("convert-child")
            .arg("--folder")
            .arg(folder)
            // Temporary files of libraries go where the child may write.
            .env("TMPDIR", folder.join(confine::WORK_FOLDER))
            // Fewer allocator arenas: less address space reserved per thread.
            .env("MALLOC_ARENA_MAX", "2")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        // SAFETY: before_exec makes only async-signal-safe calls.
        unsafe { command.pre_exec(confine::before_exec) };
        let mut process = command.spawn().map_err(|e| format!("{}: {e}", self.program.display()))?;
        let stdin = process.stdin.take().ok_or("no stdin")?;
        let mut replies = BufReader::new(process.stdout.take().ok_or("no stdout")?).lines();
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(mut pipe) = process.stderr.take() {
            let tail = stderr.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
                    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                    tail.extend(&buffer[..n]);
                    let excess = tail.len().saturating_sub(STDERR_TAIL);
                    tail.drain(..excess);
                }
            });
        }
        let line = tokio::time::timeout(Duration::from_secs(30), replies.next_line()).await;
        let ready: child::Ready = match line {
            Ok(Ok(Some(line))) => serde_json::from_str(&line).map_err(|e| format!("the converter child said {line:?}: {e}"))?,
            _ => return Err("the converter child did not start".to_string()),
        };
        let mut enforced = self.lock_enforced();
        if enforced.is_none() {
            tracing::info!(landlock = %ready.ready.landlock, seccomp = %ready.ready.seccomp, "converter children confined");
            *enforced = Some(ready.ready);
        }
        drop(enforced);
        Ok(Child { folder: folder.to_path_buf(), process, stdin, replies, stderr, jobs: 0 })
    }

    /// Runs one conversion in a child and returns the child to the pool
    /// when it ended well.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn run(&self, job: Job<'_>) -> Result<Converted, Failure> {
        let idle = self.lock_idle().pop();
        let mut child = match idle {
            Some(child) => child,
            None => self.start().await.map_err(Failure::Unavailable)?,
        };
        let plan = job.request.plan.clone();
        let inside = match child.take_in(&job.request).await {
            Ok(inside) => inside,
            Err(e) => {
                child.kill().await;
                return Err(Failure::Unavailable(format!("the input cannot be given to the converter: {e}")));
            }
        };
        let mut line = serde_json::to_string(&inside).map_err(|e| Failure::Unavailable(e.to_string()))?;
        line.push('\n');
        if let Err(e) = child.stdin.write_all(line.as_bytes()).await {
            let how = format!("it stopped before the job: {e}");
            child.kill().await;
            return Err(Failure::Crashed(how));
        }
        let deadline = Instant::now() + Duration::from_secs(plan.max_job_seconds.max(1)) + Duration::from_millis(500);
        let outcome = loop {
            if job.stop.cancel.load(Ordering::Relaxed) {
                child.kill().await;
                return Err(Failure::Cancelled);
            }
            if Instant::now() >= deadline {
                child.kill().await;
                return Err(Failure::TimeLimit { seconds: plan.max_job_seconds.max(1) });
            }
            let wait = deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(100));
            match tokio::time::timeout(wait, child.replies.next_line()).await {
                Ok(Ok(Some(line))) => match serde_json::from_str::<Reply>(&line) {
                    Ok(Reply::Progress(percent)) => job.progress.store(percent.min(100), Ordering::Relaxed),
                    Ok(Reply::Converted { notes, cpu_seconds }) => match child.hand_out(&inside.output, &job.request.output).await {
                        Ok(()) => break Ok(Converted { notes, cpu_seconds }),
                        Err(e) => break Err(Failure::Unavailable(format!("the result cannot be taken from the converter: {e}"))),
                    },
                    Ok(Reply::Failed { message, code, .. }) => break Err(Failure::Conversion { message, code }),
                    Err(_) => tracing::warn!(line = %line.chars().take(200).collect::<String>(), "a converter child wrote a line that is not a reply"),
                },
                Ok(_) => break Err(self.why_it_died(&mut child, &plan).await),
                Err(_) => {}
            }
        };
        match &outcome {
            Ok(_) | Err(Failure::Conversion { .. }) => {
                child.jobs += 1;
                if child.jobs < JOBS_PER_CHILD && child.clean().await.is_ok() {
                    self.lock_idle().push(child);
                } else {
                    child.kill().await;
                }
            }
            Err(_) => child.kill().await,
        }
        outcome
    }

    /// Why a child's replies ended: its exit status and the end of its stderr.
    async fn why_it_died(&self, child: &mut Child, plan: &crate::config::Plan) -> Failure {
        let status = tokio::time::timeout(Duration::from_secs(5), child.process.wait()).await;
        // The stderr reader may still be draining the pipe.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stderr = child.stderr_text();
        use std::os::unix::process::ExitStatusExt;
        let signal = status.as_ref().ok().and_then(|s| s.as_ref().ok()).and_then(|s| s.signal());
        if stderr.contains("memory allocation of") || stderr.contains("out of memory") || stderr.contains("Cannot allocate memory") {
            return Failure::OutOfMemory { megabytes: plan.max_memory_mb };
        }
        match signal {
            Some(libc::SIGXCPU) => Failure::CpuLimit { seconds: plan.max_job_seconds },
            Some(libc::SIGXFSZ) => Failure::OutputTooLarge,
            _ if stderr.contains("has overflowed its stack") => Failure::Crashed("it overflowed its stack".to_string()),
            Some(libc::SIGABRT) => Failure::Crashed("it aborted".to_string()),
            Some(libc::SIGSEGV) | Some(libc::SIGBUS) => Failure::Crashed("a memory fault".to_string()),
            Some(libc::SIGKILL) => Failure::Crashed("it was killed, perhaps by the kernel's out-of-memory killer".to_string()),
            Some(signal) => Failure::Crashed(format!("signal {signal}")),
            None => match status {
                Ok(Ok(status)) => Failure::Crashed(format!("it exited with {status}")),
                _ => Failure::Crashed("it stopped answering".to_string()),
            },
        }
    }

    /// Removes the folders of children whose service died without clearing
    /// them (a folder is named after the service's process id); returns how
    /// many.
    pub fn sweep_orphans(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.children_dir) else { return 0 };
        let orphans = entries.flatten().filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().and_then(|pid| pid.parse::<u32>().ok());
            pid.is_some_and(|pid| pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists())
        });
        orphans.filter(|entry| std::fs::remove_dir_all(entry.path()).is_ok()).count()
    }

    /// Kills every idle child (at shutdown).
    pub async fn clear(&self) {
        let children: Vec<Child> = std::mem::take(&mut *self.lock_idle());
        for child in children {
            child.kill().await;
        }
    }
}

/// The program children are started from: `configured`, or this very binary.
pub fn program(configured: Option<&Path>) -> PathBuf {
    configured.map(Path::to_path_buf).or_else(|| std::env::current_exe().ok()).unwrap_or_else(|| PathBuf::from("fileconv-server"))
}
