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
        let mut child = Command::new(env!("CARGO_BIN_EXE_fileconv-server"))
            .args(["--listen", listen, "--data-dir"])
            .arg(data_dir)
            .arg("--config")
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("fileconv-server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base_url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(base_url.starts_with("http://127.0.0.1:"), "unexpected first line: {line:?}");
        Server { child, base_url, data_dir: data_dir.to_path_buf() }
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
