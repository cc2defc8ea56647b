//! Packs or unpacks a folder once, for timing and peak-memory measurements
//! (`/usr/bin/time -v`):
//!
//! ```text
//! cargo run --release --example pack -- generate DIR MIB
//! cargo run --release --example pack -- pack DIR ARCHIVE [LEVEL] [MIN_SAVING_PERCENT]
//! cargo run --release --example pack -- unpack ARCHIVE TARGET
//! ```
#![allow(missing_docs)]

#[path = "../benches/support/model_data.rs"]
mod model_data;

use audmodel_archive::{PackOptions, no_progress, pack, unpack};
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or("missing argument, see the source")
    };
    let start = Instant::now();
    match arg(0)? {
        "generate" => model_data::generate(Path::new(arg(1)?), arg(2)?.parse()?)?,
        "pack" => {
            let mut options = PackOptions::default();
            if let Ok(level) = arg(3) {
                options.level = level.parse()?;
            }
            if let Ok(min) = arg(4) {
                options.min_saving_percent = min.parse()?;
            }
            let packed = pack(
                Path::new(arg(1)?),
                Path::new(arg(2)?),
                &options,
                &no_progress,
            )?;
            println!("{packed:?}");
        }
        "unpack" => println!(
            "{:?}",
            unpack(Path::new(arg(1)?), Path::new(arg(2)?), &no_progress)?
        ),
        other => return Err(format!("unknown command {other}").into()),
    }
    println!("{:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
