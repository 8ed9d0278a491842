//! What `/proc` says about a process: CPU time (`/proc/PID/stat`),
//! resident memory (`/proc/PID/status`), and the open-file limit a
//! benchmark with 10,000 connections needs raised.

use std::io;

/// Clock ticks per second, the unit of `utime` and `stime`.
#[allow(unsafe_code)]
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        // USER_HZ is 100 on every Linux this runs on.
        100
    }
}

/// User plus system CPU time of process `pid` (`"self"` works), in
/// seconds.
pub fn cpu_seconds(pid: &str) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat_ticks(&stat)
        .map(|ticks| ticks as f64 / clock_ticks_per_second() as f64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc/PID/stat"))
}

/// CPU time of process `pid` in user space alone (utime), in seconds:
/// with [`cpu_seconds`], it tells the process's own code from the
/// kernel's work for it.
pub fn user_cpu_seconds(pid: &str) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat_user_system(&stat)
        .map(|(user, _)| user as f64 / clock_ticks_per_second() as f64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc/PID/stat"))
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    parse_stat_user_system(stat).map(|(user, system)| user + system)
}

/// utime and stime (fields 14 and 15) of a `/proc/PID/stat` line, in
/// ticks. The command name (field 2) may hold spaces and parentheses, so
/// fields are counted from the last `)`.
pub fn parse_stat_user_system(stat: &str) -> Option<(u64, u64)> {
    let after = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is the first.
    let mut fields = after.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// Resident set size (`VmRSS`) of process `pid`, in bytes.
pub fn rss_bytes(pid: &str) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| {
            let kib = line.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?;
            kib.trim().parse::<u64>().ok()
        })
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS in /proc/PID/status"))
}

/// Raises the soft limit on open files to the hard limit; returns the
/// new soft limit. Children inherit it.
#[allow(unsafe_code)]
pub fn raise_nofile_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_tricky_name() {
        let stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 1 0 100 0 0";
        assert_eq!(parse_stat_ticks(stat), Some(325));
        assert_eq!(parse_stat_user_system(stat), Some((250, 75)));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn own_process_is_readable() {
        assert!(cpu_seconds("self").unwrap() >= 0.0);
        assert!(rss_bytes("self").unwrap() > 0);
    }
}
