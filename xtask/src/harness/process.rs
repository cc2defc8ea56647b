//! Running a command for its output, or for its time and peak memory.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a command and returns its standard output; fails with the first
/// lines of its standard error when it fails.
pub(crate) fn capture(command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start {}", describe(command)))?;
    if !output.status.success() {
        bail!(
            "`{}` exited with {}: {}",
            describe(command),
            output.status,
            summary(&String::from_utf8_lossy(&output.stderr))
        );
    }
    String::from_utf8(output.stdout)
        .with_context(|| format!("`{}` printed text that is not UTF-8", describe(command)))
}

/// How long a command took, and the most memory it held.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Measured {
    /// Wall-clock time of the whole process.
    pub(crate) seconds: f64,
    /// Peak resident set size in KiB, when it could be read.
    pub(crate) peak_kib: Option<u64>,
}

/// Runs a command to completion, timing it and reading its peak resident
/// memory: through `/usr/bin/time` when present, else by polling `/proc`.
pub(crate) fn measure(command: &Command) -> Result<Measured> {
    let time = Path::new("/usr/bin/time");
    if time.is_file() {
        let report = tempfile::NamedTempFile::new().context("cannot create a temporary file")?;
        let mut wrapped = Command::new(time);
        wrapped
            .args(["-f", "%M", "-o"])
            .arg(report.path())
            .arg(command.get_program())
            .args(command.get_args());
        copy_environment(command, &mut wrapped);
        let started = Instant::now();
        capture(wrapped.stdout(Stdio::null()))?;
        let seconds = started.elapsed().as_secs_f64();
        let text = std::fs::read_to_string(report.path()).unwrap_or_default();
        // GNU time may print a status line before the number.
        let peak_kib = text
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .next_back();
        return Ok(Measured { seconds, peak_kib });
    }
    let mut plain = Command::new(command.get_program());
    plain.args(command.get_args());
    copy_environment(command, &mut plain);
    measure_by_polling(plain)
}

fn measure_by_polling(mut command: Command) -> Result<Measured> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", describe(&command)))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = None;
    let status = loop {
        // VmHWM is the high-water mark, so a late read still sees the peak.
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| vm_hwm_kib(&s))
        {
            peak_kib = Some(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        bail!(
            "`{}` exited with {status}: {}",
            describe(&command),
            summary(&stderr)
        );
    }
    Ok(Measured { seconds, peak_kib })
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn copy_environment(from: &Command, to: &mut Command) {
    for (key, value) in from.get_envs() {
        match value {
            Some(value) => to.env(key, value),
            None => to.env_remove(key),
        };
    }
    if let Some(dir) = from.get_current_dir() {
        to.current_dir(dir);
    }
}

/// The program and its arguments, shortened so a Python snippet stays readable.
fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let args: Vec<String> = command
        .get_args()
        .map(|a| {
            let a = a.to_string_lossy();
            match a.lines().next() {
                Some(first) if a.contains('\n') => format!("{first}…"),
                _ => a.into_owned(),
            }
        })
        .collect();
    format!("{program} {}", args.join(" "))
}

/// The last non-empty lines of an error output (a Python traceback ends with
/// the error), on one line.
fn summary(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = &lines[lines.len().saturating_sub(2)..];
    if tail.is_empty() {
        "(no error output)".to_owned()
    } else {
        tail.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(1234));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }

    #[test]
    fn summary_keeps_the_end_of_a_traceback() {
        let stderr = "Traceback:\n  File x\nRuntimeError: boom\n";
        assert_eq!(summary(stderr), "File x | RuntimeError: boom");
        assert_eq!(summary(""), "(no error output)");
    }
}
