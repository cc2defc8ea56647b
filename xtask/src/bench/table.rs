//! Medians of the measurements and the Markdown table of results.

use crate::harness::api::Side;
use crate::harness::process::Measured;
use std::fmt::Write as _;

/// What was measured.
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    Publish,
    Load,
}

/// Every run of one step, per side.
#[derive(Default)]
pub(super) struct Samples {
    python: Vec<Measured>,
    rust: Vec<Measured>,
    binding: Vec<Measured>,
}

impl Samples {
    pub(super) fn push(&mut self, side: Side, measured: Measured) {
        match side {
            Side::Python => self.python.push(measured),
            Side::Rust => self.rust.push(measured),
            Side::Binding => self.binding.push(measured),
        }
    }
}

/// The publish settings of a row: the level for both, and the Rust sides'
/// `--min-saving` (the reference always deflates at levels 1-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Case {
    pub(super) compression: u8,
    pub(super) min_saving: Option<u8>,
}

impl Case {
    pub(super) fn label(&self) -> String {
        match self.min_saving {
            None => self.compression.to_string(),
            Some(percent) => format!("{}, --min-saving {percent}", self.compression),
        }
    }

    /// Whether both programs do the same work, and which.
    fn work(&self) -> &'static str {
        match (self.compression, self.min_saving) {
            (0, _) => "equal: both store",
            (_, Some(0)) => "equal: both deflate every file",
            _ => "Rust stores what deflates < 10 %",
        }
    }
}

/// One line of the table.
pub(super) struct Row {
    pub(super) store: &'static str,
    pub(super) case: Case,
    pub(super) step: Step,
    /// Median seconds the store needs for the same bytes (see `Floor`).
    pub(super) floor: f64,
    /// The same with the bytes' MD5 computed beside them (S3 publish).
    pub(super) floor_hashed: Option<f64>,
    pub(super) samples: Samples,
    /// Archive bytes written by the reference and by Rust.
    pub(super) archive: [Option<u64>; 2],
}

/// The median (mean of the middle two for an even count).
pub(super) fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn median_seconds(samples: &[Measured]) -> Option<f64> {
    median(&mut samples.iter().map(|m| m.seconds).collect::<Vec<_>>())
}

/// The largest peak over the runs, in MiB.
fn peak_mib(samples: &[Measured]) -> String {
    samples.iter().filter_map(|m| m.peak_kib).max().map_or_else(
        || "?".to_owned(),
        |kib| format!("{:.0}", kib as f64 / 1024.0),
    )
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "?".to_owned(),
        |b| format!("{:.1}", b as f64 / f64::from(1u32 << 20)),
    )
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |s| format!("{s:.2}"))
}

/// The table, ready to paste into docs/benchmarks.md.
pub(super) fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| repository | compression | work | step | floor (s) | Python (s) | Rust (s) | Python / Rust | Rust / floor | floor with MD5 (s) | Rust / floor with MD5 | audmodel_rs (s) | Python / audmodel_rs | audmodel_rs / Rust | Python archive (MiB) | Rust archive (MiB) | Rust peak RSS (MiB) | audmodel_rs peak RSS (MiB) | Python peak RSS (MiB) |\n\
         | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.1}×", a / b),
        _ => "?".to_owned(),
    };
    // Measured for S3 publishes only: elsewhere nothing hashes the archive.
    let hashed = |row: &Row, shown: String| match row.floor_hashed {
        Some(_) => shown,
        None => "—".to_owned(),
    };
    for row in rows {
        let python = median_seconds(&row.samples.python);
        let rust = median_seconds(&row.samples.rust);
        let binding = median_seconds(&row.samples.binding);
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.store,
            row.case.label(),
            row.case.work(),
            match row.step {
                Step::Publish => "publish",
                Step::Load => "load",
            },
            row.floor,
            seconds(python),
            seconds(rust),
            ratio(python, rust),
            ratio(rust, Some(row.floor)),
            hashed(row, seconds(row.floor_hashed)),
            hashed(row, ratio(rust, row.floor_hashed)),
            seconds(binding),
            ratio(python, binding),
            ratio(binding, rust),
            mib(row.archive[0]),
            mib(row.archive[1]),
            peak_mib(&row.samples.rust),
            peak_mib(&row.samples.binding),
            peak_mib(&row.samples.python),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seconds: f64, peak_kib: u64) -> Measured {
        Measured {
            seconds,
            peak_kib: Some(peak_kib),
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn a_row_shows_medians_ratio_and_largest_peak() {
        let mut samples = Samples::default();
        for (p, r) in [(9.0, 1.0), (8.0, 2.0), (10.0, 3.0)] {
            samples.push(Side::Python, run(p, 300 * 1024));
            samples.push(Side::Rust, run(r, 40 * 1024));
            samples.push(Side::Binding, run(r + 0.25, 50 * 1024));
        }
        samples.push(Side::Rust, run(2.0, 60 * 1024));
        let table = markdown(&[Row {
            store: "garage",
            case: Case {
                compression: 1,
                min_saving: Some(0),
            },
            step: Step::Publish,
            floor: 0.5,
            floor_hashed: Some(0.8),
            samples,
            archive: [Some(3 << 20), None],
        }]);
        let line = table.lines().nth(2).unwrap_or_default();
        assert_eq!(
            line,
            "| garage | 1, --min-saving 0 | equal: both deflate every file | publish | 0.50 | 9.00 | 2.00 | 4.5× | 4.0× | 0.80 | 2.5× | 2.25 | 4.0× | 1.1× | 3.0 | ? | 60 | 50 | 300 |"
        );
    }

    #[test]
    fn a_row_without_a_hashed_floor_shows_dashes_there() {
        let mut samples = Samples::default();
        samples.push(Side::Rust, run(0.3, 8 * 1024));
        let table = markdown(&[Row {
            store: "fs",
            case: Case {
                compression: 0,
                min_saving: None,
            },
            step: Step::Load,
            floor: 0.2,
            floor_hashed: None,
            samples,
            archive: [None, Some(1 << 20)],
        }]);
        let line = table.lines().nth(2).unwrap_or_default();
        assert_eq!(
            line,
            "| fs | 0 | equal: both store | load | 0.20 | ? | 0.30 | ? | 1.5× | — | — | ? | ? | ? | ? | 1.0 | 8 | ? | ? |"
        );
    }
}
