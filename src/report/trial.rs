//! One trial as `trainbench train` prints it: its learning curve, one row per epoch, and a
//! summary line.

use crate::format::{num, pct};
use crate::record::TrialRecord;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

/// The `train` output of `record`: the epochs table, then the summary line.
pub fn render(record: &TrialRecord) -> String {
    format!("{}\n{}\n", epochs(record), summary(record))
}

/// The learning curve, one row per epoch.
fn epochs(record: &TrialRecord) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "epoch",
        "lr",
        "train loss",
        "train acc",
        "val loss",
        "val acc",
        "train s",
        "eval s",
    ]);
    for e in &record.outcome.epochs {
        table.add_row(vec![
            e.epoch.to_string(),
            format!("{:.3e}", e.lr),
            num(e.train_loss, 4),
            pct(e.train_acc),
            num(e.val_loss, 4),
            pct(e.val_acc),
            format!("{:.3}", e.train_seconds),
            format!("{:.3}", e.eval_seconds),
        ]);
    }
    table
}

/// The summary line: the configuration, then the test accuracy or where it diverged.
fn summary(record: &TrialRecord) -> String {
    let o = &record.outcome;
    let c = &record.config;
    let head = format!(
        "{} bs={} lr={:e} epochs={} seed={} on {}",
        c.model, c.batch_size, c.lr, c.epochs, o.seed, record.provenance.backend
    );
    match o.diverged_at {
        Some(epoch) => format!("{head}: DIVERGED at epoch {epoch} (loss became NaN/inf)"),
        None => {
            let train_s: f64 = o.epochs.iter().map(|e| e.train_seconds).sum();
            format!(
                "{head}: test acc {} (loss {}), {:.3} s/epoch training, {:.1} s total",
                pct(o.test_acc),
                num(o.test_loss, 4),
                train_s / o.epochs.len().max(1) as f64,
                o.total_seconds
            )
        }
    }
}
