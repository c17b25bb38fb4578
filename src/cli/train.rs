//! `trainbench train`: one configuration, one seed.

use super::{BackendArgs, DataArgs};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::OnceCell;
use trainbench::optim::{AdamConfig, Scheduler};
use trainbench::train::{Progress, TrainConfig};
use trainbench::trial::{self, TrialEvent};
use trainbench::{Error, Result};

#[derive(Args)]
#[command(allow_negative_numbers = true)]
pub struct TrainArgs {
    /// Model: jsc-tiny, jsc-tiny-v2, jsc-toy, jsc-s, jsc-tiny-10x, jsc-toy-10x, mlp:16-...-5
    #[arg(long, default_value = "jsc-tiny")]
    model: String,
    /// Rows per training batch
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Initial learning rate
    #[arg(long, default_value_t = 1e-5)]
    lr: f64,
    /// Epochs (also the cosine schedule's T_max)
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Seed for initialisation and shuffling
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Adam weight decay (L2, PyTorch semantics)
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Learning-rate schedule: cosine (to 1e-6, MASE) or constant
    #[arg(long, default_value = "cosine")]
    scheduler: String,
    /// How steps compute gradients: manual (default), autodiff, or fused (plain Rust on the
    /// CPU, other roundings)
    #[arg(long, default_value = "manual")]
    engine: String,
    #[command(flatten)]
    backend: BackendArgs,
    #[command(flatten)]
    data: DataArgs,
    /// Print one JSON object (config, epochs, test metrics, provenance) instead of tables
    #[arg(long)]
    json: bool,
}

pub fn run(args: TrainArgs) -> Result<()> {
    let config = TrainConfig {
        model: args.model.clone(),
        batch_size: args.batch_size,
        lr: args.lr,
        epochs: args.epochs,
        adam: AdamConfig {
            weight_decay: args.weight_decay,
            ..AdamConfig::default()
        },
        scheduler: args.scheduler.parse::<Scheduler>()?,
        engine: args.engine.parse()?,
    };
    config.validate()?;
    let spec = args.data.spec()?;
    trial::check_memory(&config, &spec)?;
    let (backend, device) = args.backend.open()?;
    let style =
        ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} batches {elapsed}")
            .map_err(|e| Error::Other(e.to_string()))?;
    // Made at the first batch, below the data lines.
    let cell = OnceCell::new();
    let bar = || cell.get_or_init(|| ProgressBar::new(0).with_style(style.clone()));
    let epochs = config.epochs;
    let record = trial::train_one(&config, args.seed, &spec, backend, &device, |e| match e {
        TrialEvent::Preparing(spec) => errln!("preparing data {} ...", spec.source),
        TrialEvent::Prepared {
            splits,
            info,
            provenance,
        } => {
            for w in &splits.warnings {
                errln!("warning: {w}");
            }
            errln!(
                "data: {} train / {} val{} / {} test rows ({} duplicates dropped); backend {backend}, {} threads",
                info.train_rows,
                info.val_rows,
                if splits.val_is_train {
                    " (= train, mase mode)"
                } else {
                    ""
                },
                info.test_rows,
                splits.duplicates_dropped,
                provenance.threads,
            );
        }
        TrialEvent::Train(Progress::Batch { epoch, done, total }) => {
            if done == 1 {
                bar().set_length(total as u64);
                bar().set_prefix(format!("{epoch}/{epochs}"));
            }
            bar().set_position(done as u64);
        }
        TrialEvent::Train(Progress::Epoch(_)) => bar().set_position(0),
    })?;
    bar().finish_and_clear();

    if args.json {
        let json = serde_json::to_string(&record).map_err(|e| Error::Other(e.to_string()))?;
        outln!("{json}");
        return Ok(());
    }
    out!("{}", trainbench::report::trial::render(&record));
    Ok(())
}
