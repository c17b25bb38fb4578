//! The prepared data splits as `trainbench data info` prints them: a summary line, each
//! split's rows and class shares, and each feature's statistics per split.

use crate::data::{CLASS_NAMES, Splits};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use std::fmt::Write;

/// The `data info` output of `s`: the summary line, the class table and the feature
/// statistics table.
pub fn render(s: &Splits) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} duplicate rows dropped; validation: {}; fingerprint {}",
        s.duplicates_dropped,
        if s.val_is_train {
            "the training set (mase mode)"
        } else {
            "held out (10% of train)"
        },
        s.fingerprint
    );
    let _ = writeln!(out, "{}", class_table(s));
    let _ = writeln!(
        out,
        "standardised features (scaler fitted on the training part):"
    );
    let _ = writeln!(out, "{}", feature_table(s));
    out
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
