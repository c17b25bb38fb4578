//! `trainbench data info|export`.

use super::DataArgs;
use clap::{Args, Subcommand};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use std::path::PathBuf;
use trainbench::Result;
use trainbench::data::export::write_splits_csv;
use trainbench::data::{CLASS_NAMES, Splits};

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
    /// Loads and prepares the splits, printing the load's warnings.
    fn prepare(&self) -> Result<Splits> {
        let spec = DataArgs {
            data: self.spec.clone(),
            val: self.val.clone(),
            split_seed: self.split_seed,
        }
        .spec()?;
        trainbench::study::cost::check_data_memory(&spec)?;
        let splits = spec.prepare()?;
        for w in &splits.warnings {
            errln!("warning: {w}");
        }
        Ok(splits)
    }
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Info(spec) => info(&spec.prepare()?),
        DataCommand::Export { spec, out } => {
            let rows = write_splits_csv(&spec.prepare()?, &out)?;
            errln!("wrote {rows} rows to {}", out.display());
        }
    }
    Ok(())
}

/// Prints the summary line, the class table and the feature statistics table.
fn info(s: &Splits) {
    outln!(
        "{} duplicate rows dropped; validation: {}; fingerprint {}",
        s.duplicates_dropped,
        if s.val_is_train {
            "the training set (mase mode)"
        } else {
            "held out (10% of train)"
        },
        s.fingerprint
    );
    outln!("{}", class_table(s));
    outln!("standardised features (scaler fitted on the training part):");
    outln!("{}", feature_table(s));
}

/// Rows and class shares of each split.
fn class_table(s: &Splits) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["split".to_string(), "rows".to_string()];
    header.extend(CLASS_NAMES.iter().map(|c| format!("class {c}")));
    table.set_header(header);
    for (name, d) in s.parts() {
        let mut row = vec![Cell::new(name), right(d.len().to_string())];
        for (c, share) in d.class_counts().iter().zip(d.class_percentages()) {
            row.push(right(format!("{c} ({share:.1}%)")));
        }
        table.add_row(row);
    }
    table
}

/// Mean, std, min and max of each feature in each split (feature name on the train row).
fn feature_table(s: &Splits) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["feature", "split", "mean", "std", "min", "max"]);
    let stats = s.parts().map(|(name, d)| (name, d.feature_stats()));
    for (j, feature) in s.train.feature_names.iter().enumerate() {
        for (name, split) in &stats {
            let st = split[j];
            let name = *name;
            table.add_row(vec![
                Cell::new(if name == "train" {
                    feature.as_str()
                } else {
                    ""
                }),
                Cell::new(name),
                right(format!("{:.4}", st.mean)),
                right(format!("{:.4}", st.std)),
                right(format!("{:.3}", st.min)),
                right(format!("{:.3}", st.max)),
            ]);
        }
    }
    table
}

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}
