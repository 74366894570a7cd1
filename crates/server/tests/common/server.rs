//! The real `fileconv-server` binary, started on a data dir for a test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub base_url: String,
    pub data_dir: PathBuf,
}

/// A configuration file in `dir` with `toml` in it; its path.
pub fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("server.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

impl Server {
    /// Starts the binary on `listen` (`127.0.0.1:0` for any free port) and
    /// waits for its "listening on" line.
    pub fn start(data_dir: &Path, config: &Path, listen: &str) -> Server {
        Self::start_with(Self::command(data_dir, config, listen))
    }

    /// As [`Server::start`], under an address-space limit of `bytes`: an
    /// allocation past it fails (and the process aborts) instead of taking
    /// the test machine's memory.
    pub fn start_limited(data_dir: &Path, config: &Path, listen: &str, bytes: u64) -> Server {
        use std::os::unix::process::CommandExt;
        let mut command = Self::command(data_dir, config, listen);
        // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child before exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Self::start_with(command)
    }

    /// As [`Server::start`] on any free port, as an `api` or `worker` process.
    pub fn start_with_role(data_dir: &Path, config: &Path, role: &str) -> Server {
        let mut command = Self::command(data_dir, config, "127.0.0.1:0");
        // Many processes at once: only their errors are worth reading.
        command.args(["--role", role]).env("RUST_LOG", "error");
        Self::start_with(command)
    }

    fn command(data_dir: &Path, config: &Path, listen: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fileconv-server"));
        command.args(["--listen", listen, "--data-dir"]).arg(data_dir).arg("--config").arg(config).env("RUST_LOG", "warn").stdout(Stdio::piped());
        command
    }

    fn start_with(mut command: Command) -> Server {
        let mut child = command.spawn().expect("fileconv-server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base_url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(base_url.starts_with("http://127.0.0.1:"), "unexpected first line: {line:?}");
        let data_dir = command.get_args().skip_while(|a| *a != "--data-dir").nth(1).map(PathBuf::from).unwrap_or_default();
        Server { child, base_url, data_dir }
    }

    /// The process's peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        self.status_kb("VmHWM:") * 1024
    }

    /// The process's open descriptors.
    pub fn open_descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map(|d| d.count()).unwrap_or(0)
    }

    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().map(|s| s.is_none()).unwrap_or(false)
    }

    /// `fileconv-server keys ...` on the same data dir; its standard output.
    pub fn keys(data_dir: &Path, config: &Path, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_fileconv-server"))
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .arg("keys")
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(output.status.success(), "keys {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn port(&self) -> u16 {
        self.base_url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// SIGKILL: the process dies mid-work, as in a crash.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the graceful exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
