//! Running a command for its output, or for its time and peak memory.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a call of a scenario may take before it counts as hung.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// How long one benchmarked process may take.
const MEASURE_TIMEOUT: Duration = Duration::from_secs(1800);

/// Runs a command and returns its standard output; fails with the last
/// lines of its standard error when it fails or hangs (it is then killed).
pub(crate) fn capture(command: &mut Command) -> Result<String> {
    capture_within(command, CALL_TIMEOUT)
}

fn capture_within(command: &mut Command, timeout: Duration) -> Result<String> {
    watched(command, timeout, |_| {})
}

/// Runs a command to its end or its timeout, calling `watch` with its
/// process ID every few milliseconds while it runs.
fn watched(command: &mut Command, timeout: Duration, mut watch: impl FnMut(u32)) -> Result<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", describe(command)))?;
    // Drained on threads so a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + timeout;
    let status = loop {
        watch(child.id());
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            // Our own child, by its handle: nothing else is touched.
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "`{}` took longer than {timeout:?}; killed",
                describe(command)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = stdout.map(joined).unwrap_or_default();
    let stderr = stderr.map(joined).unwrap_or_default();
    if !status.success() {
        bail!(
            "`{}` exited with {}: {}",
            describe(command),
            status,
            summary(&String::from_utf8_lossy(&stderr))
        );
    }
    String::from_utf8(stdout)
        .with_context(|| format!("`{}` printed text that is not UTF-8", describe(command)))
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn joined(handle: JoinHandle<Vec<u8>>) -> Vec<u8> {
    handle.join().unwrap_or_default()
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
        capture_within(&mut wrapped, MEASURE_TIMEOUT)?;
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
    let mut peak_kib = None;
    watched(&mut command, MEASURE_TIMEOUT, |pid| {
        // VmHWM is the high-water mark, so a late read still sees the peak.
        if let Some(kib) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| vm_hwm_kib(&s))
        {
            peak_kib = Some(kib);
        }
    })?;
    let seconds = started.elapsed().as_secs_f64();
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

    /// A process that holds about 60 MB for a moment.
    fn hungry() -> Command {
        let mut command = Command::new("python3");
        command.args([
            "-c",
            "import time; x = bytearray(60_000_000); time.sleep(0.3)",
        ]);
        command
    }

    #[test]
    fn peak_memory_is_read_both_ways() {
        for measured in [
            measure(&hungry()).expect("measure"),
            measure_by_polling(hungry()).expect("measure by polling"),
        ] {
            let peak = measured.peak_kib.expect("a peak");
            assert!((58_000..200_000).contains(&peak), "peak {peak} KiB");
            assert!(measured.seconds >= 0.3, "{} s", measured.seconds);
        }
    }

    #[test]
    fn a_hung_command_is_killed_and_a_failing_one_reports_its_error() {
        let started = Instant::now();
        let error = capture_within(Command::new("sleep").arg("30"), Duration::from_millis(200))
            .expect_err("timed out");
        assert!(error.to_string().contains("killed"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));

        let error = capture(Command::new("sh").args(["-c", "echo out; echo boom >&2; exit 3"]))
            .expect_err("failed");
        assert!(error.to_string().contains("boom"), "{error}");
        let out = capture(Command::new("sh").args(["-c", "echo out"])).expect("runs");
        assert_eq!(out, "out\n");
    }

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
