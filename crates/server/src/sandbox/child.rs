//! The converter child: `fileconv-server convert-child --folder DIR`,
//! started by the service, never by people. It confines itself to its own
//! folder (see [`confine::confine`]), says what it enforced, then runs one
//! conversion per request line until its stdin closes. Its replies go to the stdout it was given; anything a library
//! prints there goes to stderr instead.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};

use fileconv::{Control, Engine};

use super::confine::{self, Enforced};
use crate::error::JobErrorCode;
use super::protocol::{Reply, Request};

/// Address space a conversion may map beyond the child's own at start and
/// its plan's memory: the conversion thread's stack, allocator arenas, and
/// codec libraries' own tables.
const ADDRESS_SPACE_SLACK: u64 = (256 << 20) + (768 << 20);

/// The first line a child writes.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Ready {
    pub ready: Enforced,
}

/// Runs the child until its stdin closes; the process's exit code.
pub fn main(folder: &Path) -> i32 {
    // The replies' channel is the stdout we were given; fd 1 becomes stderr.
    // SAFETY: dup and dup2 on the process's own standard descriptors.
    let replies = unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            return 70;
        }
        std::fs::File::from_raw_fd(fd)
    };
    let replies = Arc::new(Mutex::new(std::io::BufWriter::new(replies)));
    let enforced = confine::confine(folder);
    let baseline = confine::mapped_bytes();
    if send(&replies, &Ready { ready: enforced }).is_err() {
        return 71;
    }
    let mut engines: HashMap<String, Arc<Engine>> = HashMap::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return 72 };
        let request: Request = match serde_json::from_str(&line) {
            Ok(request) => request,
            Err(e) => {
                eprintln!("fileconv convert-child: bad request: {e}");
                return 73;
            }
        };
        let limits = request.plan.limits(request.memory_share);
        let key = serde_json::to_string(&request.plan).unwrap_or_default() + &request.memory_share.to_string();
        let engine = engines.entry(key).or_insert_with(|| Arc::new(fileconv::engine().clone().with_limits(limits.clone()))).clone();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
        confine::limit_job(
            baseline.saturating_add(limits.max_memory_bytes).saturating_add(ADDRESS_SPACE_SLACK),
            request.plan.max_job_seconds.max(1).saturating_mul(cores).saturating_add(5),
            limits.max_output_bytes.saturating_add(64 << 20),
        );
        let reply = convert(&engine, &request, &replies);
        if send(&replies, &reply).is_err() {
            return 74;
        }
    }
    0
}

fn convert(engine: &Engine, request: &Request, replies: &Arc<Mutex<std::io::BufWriter<std::fs::File>>>) -> Reply {
    let before = confine::process_cpu_seconds();
    let options = match crate::sandbox::protocol::options_from_json(&request.options) {
        Ok(options) => options,
        Err(message) => return Reply::Failed { message, code: JobErrorCode::InvalidInput, cpu_seconds: 0.0 },
    };
    let last = Arc::new(Mutex::new(u32::MAX));
    let sink = replies.clone();
    let control = Control {
        progress: Some(Arc::new(move |fraction: f32| {
            let percent = (fraction * 100.0).round().clamp(0.0, 100.0) as u32;
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if *last != percent {
                *last = percent;
                let _ = send(&sink, &Reply::Progress(percent));
            }
        })),
        cancel: None,
        durable: true,
    };
    let result = fileconv::on_conversion_thread(|| engine.convert_file(&request.input, &request.output, &request.from, &request.to, &options, &control));
    let cpu_seconds = confine::process_cpu_seconds() - before;
    match result {
        Ok(report) => Reply::Converted { notes: report.notes, cpu_seconds },
        Err(e) => Reply::Failed { message: crate::error::job_error_message(&request.job, &e), code: JobErrorCode::of(&e), cpu_seconds },
    }
}

fn send<T: serde::Serialize>(replies: &Mutex<std::io::BufWriter<std::fs::File>>, message: &T) -> std::io::Result<()> {
    let mut out = replies.lock().unwrap_or_else(|e| e.into_inner());
    serde_json::to_writer(&mut *out, message)?;
    out.write_all(b"\n")?;
    out.flush()
}
