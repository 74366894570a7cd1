//! A real PostgreSQL for a test: Debian's server binaries (installed by
//! `scripts/install-deps`), a cluster made by `initdb` in a temporary
//! folder, started by `pg_ctl` on a free loopback port as an unprivileged
//! user (`nobody` when the tests run as root), and stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_nobody: bool,
}

/// The newest `/usr/lib/postgresql/N/bin`.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server (Debian's postgresql package; scripts/install-deps installs it)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0));
    versions.pop().expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Postgres {
    /// Makes and starts a cluster; panics with PostgreSQL's log if it cannot.
    pub fn start() -> Postgres {
        let dir = tempfile::Builder::new().prefix("fileconv-pg").tempdir().unwrap();
        // SAFETY: geteuid only reads the process's user id.
        let as_nobody = unsafe { libc::geteuid() } == 0;
        if as_nobody {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let postgres = Postgres { bin: bin_dir(), port: free_port(), dir, as_nobody };
        let data = postgres.data();
        postgres.run("initdb", &["-D", data.to_str().unwrap(), "-U", "fileconv", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", postgres.port, postgres.dir.path().display());
        let log = postgres.dir.path().join("postgres.log");
        let started = postgres.command("pg_ctl", &["-D", data.to_str().unwrap(), "-o", &options, "-l", log.to_str().unwrap(), "-w", "start"]).status().unwrap();
        assert!(started.success(), "pg_ctl start: {}", std::fs::read_to_string(&log).unwrap_or_default());
        postgres
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command.args(args).stdout(std::process::Stdio::null());
        if self.as_nobody {
            use std::os::unix::process::CommandExt;
            command.uid(65534).gid(65534).current_dir(self.dir.path());
        }
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program, args).output().unwrap();
        assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// A new, empty database; its URL.
    pub fn database(&self, name: &str) -> String {
        self.query("postgres", &format!("CREATE DATABASE {name}"));
        format!("postgres://fileconv@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs one SQL statement with psql; its unaligned output.
    pub fn query(&self, database: &str, sql: &str) -> String {
        let output = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "fileconv", "-d", database, "-At", "-c", sql])
            .output()
            .expect("psql (postgresql-client)");
        assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server at once (also done on drop).
    pub fn stop(&self) {
        let data = self.data();
        let _ = self.command("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"]).status();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
