//! `trainbench data info|export`.

use super::DataArgs;
use clap::{Args, Subcommand};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use std::io::Write;
use std::path::PathBuf;
use trainbench::data::{CLASS_NAMES, Dataset, Splits};
use trainbench::{Error, Result};

#[derive(Subcommand)]
pub enum DataCommand {
    /// Rows, class shares and feature statistics of each split.
    Info(SpecArgs),
    /// Write the prepared splits to one CSV with a `split` column.
    Export {
        #[command(flatten)]
        spec: SpecArgs,
        /// Output CSV file
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct SpecArgs {
    /// Data: synth, synth:ROWS[:SEED], or a .csv / .z / .h5 / .hdf5 file
    #[arg(default_value = "synth", value_name = "SPEC")]
    spec: String,
    /// Validation set: holdout or mase
    #[arg(long, default_value = "holdout", value_name = "MODE")]
    val: String,
    /// Seed of the test split and validation holdout
    #[arg(long, default_value_t = 42, value_name = "N")]
    split_seed: u64,
}

impl SpecArgs {
    fn prepare(&self) -> Result<Splits> {
        DataArgs {
            data: self.spec.clone(),
            val: self.val.clone(),
            split_seed: self.split_seed,
        }
        .spec()?
        .prepare()
    }
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Info(spec) => info(&spec.prepare()?),
        DataCommand::Export { spec, out } => export(&spec.prepare()?, &out),
    }
}

fn parts(s: &Splits) -> [(&'static str, &Dataset); 3] {
    [("train", &s.train), ("val", &s.val), ("test", &s.test)]
}

fn info(s: &Splits) -> Result<()> {
    println!(
        "{} duplicate rows dropped; validation: {}; fingerprint {}",
        s.duplicates_dropped,
        if s.val_is_train {
            "the training set (mase mode)"
        } else {
            "held out (10% of train)"
        },
        s.fingerprint
    );
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["split".to_string(), "rows".to_string()];
    header.extend(CLASS_NAMES.iter().map(|c| format!("class {c}")));
    table.set_header(header);
    for (name, d) in parts(s) {
        let counts = d.class_counts();
        let mut row = vec![Cell::new(name), right(d.len().to_string())];
        for c in counts {
            let share = 100.0 * c as f64 / d.len().max(1) as f64;
            row.push(right(format!("{c} ({share:.1}%)")));
        }
        table.add_row(row);
    }
    println!("{table}");

    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["feature", "split", "mean", "std", "min", "max"]);
    let f = s.train.n_features();
    for j in 0..f {
        for (name, d) in parts(s) {
            let col: Vec<f64> = (0..d.len()).map(|i| d.row(i)[j] as f64).collect();
            let n = col.len().max(1) as f64;
            let mean = col.iter().sum::<f64>() / n;
            let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let min = col.iter().copied().fold(f64::INFINITY, f64::min);
            let max = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            table.add_row(vec![
                Cell::new(if name == "train" {
                    s.train.feature_names[j].as_str()
                } else {
                    ""
                }),
                Cell::new(name),
                right(format!("{mean:.4}")),
                right(format!("{sd:.4}")),
                right(format!("{min:.3}")),
                right(format!("{max:.3}")),
            ]);
        }
    }
    println!("standardised features (scaler fitted on the training part):");
    println!("{table}");
    Ok(())
}

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

fn export(s: &Splits, out: &PathBuf) -> Result<()> {
    let io = |e| Error::io(format!("could not write '{}'", out.display()), e);
    let file = std::fs::File::create(out).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    let mut header = vec!["split".to_string()];
    header.extend(s.train.feature_names.iter().cloned());
    header.push("class".into());
    writeln!(w, "{}", header.join(",")).map_err(io)?;
    let mut rows = 0;
    for (name, d) in parts(s) {
        for i in 0..d.len() {
            let mut line = String::with_capacity(256);
            line.push_str(name);
            for v in d.row(i) {
                line.push(',');
                line.push_str(&v.to_string());
            }
            line.push(',');
            line.push_str(&d.labels[i].to_string());
            writeln!(w, "{line}").map_err(io)?;
            rows += 1;
        }
    }
    w.flush().map_err(io)?;
    eprintln!("wrote {rows} rows to {}", out.display());
    Ok(())
}
