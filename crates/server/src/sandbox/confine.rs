//! What a converter child may do: resource limits per job, and, where the
//! kernel has them, a filesystem ruleset (landlock) and a system-call
//! filter (seccomp). Every measure is best effort: what this kernel
//! enforces is reported once, at start-up, by the first child.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What a child found it could enforce on itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Enforced {
    /// `fully enforced`, `partially enforced`, `not enforced` or why it failed.
    pub landlock: String,
    /// `sockets and exec denied` or why it failed.
    pub seccomp: String,
}

/// In the forked child, before `exec`: die with the service
/// (`PR_SET_PDEATHSIG`), gain no privileges (`PR_SET_NO_NEW_PRIVS`), dump
/// no core, and inherit no descriptor but the three pipes.
///
/// Only async-signal-safe calls: it runs between `fork` and `exec`.
///
/// # Errors
/// A `prctl` or `setrlimit` the kernel refuses.
pub fn before_exec() -> io::Result<()> {
    let check = |result: libc::c_int| if result == 0 { Ok(()) } else { Err(io::Error::last_os_error()) };
    // SAFETY: prctl, setrlimit and close_range only change this process's
    // own attributes; none allocates or takes a lock.
    unsafe {
        check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0))?;
        check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
        check(libc::setrlimit(libc::RLIMIT_CORE, &libc::rlimit { rlim_cur: 0, rlim_max: 0 }))?;
        // Older kernels lack close_range; Rust opens its own descriptors
        // close-on-exec, so this only catches a library's careless ones.
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
    }
    Ok(())
}

/// What a child's own folder holds: the input of its current job, which it
/// may only read, and the folder it writes the result and any temporary
/// file to. The pool fills and empties both around every job.
pub const INPUT_FOLDER: &str = "input";
pub const WORK_FOLDER: &str = "work";

/// Folders a conversion reads besides its input: shared libraries, fonts,
/// configuration, `/proc/self` and devices. Nothing of the service's data
/// (its database, uploads, results, other jobs) is among them.
const SYSTEM_READ: [&str; 11] = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc", "/proc", "/sys", "/dev", "/var/cache/fontconfig", "/run/systemd/resolve"];

/// Restricts the calling process for good: it may read system folders
/// (with the fonts named by `FILECONV_FONT_DIR`) and `folder/input`, and
/// write only under `folder/work` (and `/dev/null`); no socket can be
/// opened and no program executed. Call before any other thread starts, so
/// that every thread inherits the filter.
pub fn confine(folder: &Path) -> Enforced {
    Enforced { landlock: landlock_rules(folder), seccomp: seccomp_filter() }
}

fn landlock_rules(folder: &Path) -> String {
    use landlock::{path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, ABI};
    let abi = ABI::V5;
    let font_dirs = std::env::var("FILECONV_FONT_DIR").unwrap_or_default();
    let readable: Vec<std::path::PathBuf> = SYSTEM_READ
        .iter()
        .map(std::path::PathBuf::from)
        .chain(font_dirs.split(':').filter(|d| !d.is_empty()).map(std::path::PathBuf::from))
        .chain([folder.join(INPUT_FOLDER)])
        .collect();
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(&readable, AccessFs::from_read(abi))))
        .and_then(|r| r.add_rules(path_beneath_rules([folder.join(WORK_FOLDER)], AccessFs::from_all(abi))))
        .and_then(|r| r.add_rules(path_beneath_rules(["/dev/null"], AccessFs::WriteFile)))
        .and_then(|r| r.restrict_self());
    match status {
        Ok(status) => match status.ruleset {
            RulesetStatus::FullyEnforced => "fully enforced".to_string(),
            RulesetStatus::PartiallyEnforced => "partially enforced (an older landlock ABI)".to_string(),
            RulesetStatus::NotEnforced => "not enforced (the kernel has no landlock)".to_string(),
        },
        Err(e) => format!("not enforced ({e})"),
    }
}

/// System calls a conversion never needs, answered `EPERM`.
const DENIED_SYSCALLS: [libc::c_long; 6] = [libc::SYS_socket, libc::SYS_socketpair, libc::SYS_execve, libc::SYS_execveat, libc::SYS_ptrace, libc::SYS_process_vm_writev];

fn seccomp_filter() -> String {
    use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};
    let arch = match std::env::consts::ARCH.try_into() {
        Ok(arch) => arch,
        Err(e) => return format!("not enforced ({e:?})"),
    };
    let rules = DENIED_SYSCALLS.iter().map(|call| (*call, Vec::new())).collect();
    let program: Result<BpfProgram, String> = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), arch)
        .map_err(|e| e.to_string())
        .and_then(|filter| filter.try_into().map_err(|e: seccompiler::BackendError| e.to_string()));
    match program.and_then(|p| seccompiler::apply_filter(&p).map_err(|e| e.to_string())) {
        Ok(()) => "sockets and exec denied".to_string(),
        Err(e) => format!("not enforced ({e})"),
    }
}

/// Limits for the next job in a reused child: address space, CPU time
/// (counted from what the child has used so far) and the size of any file
/// it writes. Soft limits only, below hard limits left as they were, so the
/// next job can have other ones.
pub fn limit_job(address_space: u64, cpu_seconds: u64, file_bytes: u64) {
    let used_cpu = process_cpu_seconds().ceil() as u64;
    for (resource, value) in [(libc::RLIMIT_AS, address_space), (libc::RLIMIT_CPU, used_cpu.saturating_add(cpu_seconds)), (libc::RLIMIT_FSIZE, file_bytes)] {
        // SAFETY: getrlimit/setrlimit read and write only the structs given.
        unsafe {
            let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            if libc::getrlimit(resource, &mut limit) == 0 {
                limit.rlim_cur = value.min(limit.rlim_max);
                libc::setrlimit(resource, &limit);
            }
        }
    }
}

/// Bytes of address space the calling process maps now (`VmSize`).
pub fn mapped_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmSize:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()).map_or(0, |kb| kb * 1024)
}

/// CPU time (user and system, all threads) of the calling process.
pub fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    #[test]
    fn process_cpu_time_grows_with_work() {
        let before = super::process_cpu_seconds();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(super::process_cpu_seconds() > before);
    }
}
