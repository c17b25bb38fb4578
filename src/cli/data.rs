//! `trainbench data info|export`.

use super::DataArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use trainbench::Result;
use trainbench::data::Splits;
use trainbench::data::export::write_splits_csv;
use trainbench::report::splits;

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
        DataCommand::Info(spec) => out!("{}", splits::render(&spec.prepare()?)),
        DataCommand::Export { spec, out } => {
            let rows = write_splits_csv(&spec.prepare()?, &out)?;
            errln!("wrote {rows} rows to {}", out.display());
        }
    }
    Ok(())
}
