//! The prepared splits as one CSV file (`trainbench data export`).
//!
//! The header is `split`, the feature names, then `class`; each row is the split's name
//! (`train`, `val`, `test`, in that order), the standardised features (shortest text that
//! reads back to the same `f32`) and the class index. [`crate::data::csv::load_csv`] reads
//! the file back (it ignores the `split` column).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::data::prepare::Splits;
use crate::error::{Error, Result};

/// Writes `splits` to the CSV file `path` and returns the number of data rows written.
///
/// # Errors
///
/// [`Error::Io`] (`could not write '<path>'`) when the file cannot be created or written.
pub fn write_splits_csv(splits: &Splits, path: &Path) -> Result<usize> {
    let io = |e| Error::io(format!("could not write '{}'", path.display()), e);
    let mut w = BufWriter::new(File::create(path).map_err(io)?);
    let rows = write_splits(splits, &mut w).map_err(io)?;
    w.flush().map_err(io)?;
    Ok(rows)
}

/// Writes `splits` as CSV to `w` and returns the number of data rows written.
///
/// # Errors
///
/// The first error of `w`.
pub fn write_splits(splits: &Splits, w: &mut impl Write) -> std::io::Result<usize> {
    let mut header = vec!["split".to_string()];
    header.extend(splits.train.feature_names.iter().cloned());
    header.push("class".into());
    writeln!(w, "{}", header.join(","))?;
    let mut rows = 0;
    for (name, d) in splits.parts() {
        for i in 0..d.len() {
            let mut line = String::with_capacity(256);
            line.push_str(name);
            for v in d.row(i) {
                line.push(',');
                line.push_str(&v.to_string());
            }
            line.push(',');
            line.push_str(&d.labels[i].to_string());
            writeln!(w, "{line}")?;
            rows += 1;
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::prepare::{ValMode, prepare};
    use crate::data::{Dataset, synth};

    #[test]
    fn export_reads_back_as_the_splits_in_order() {
        let splits = prepare(&synth::generate(300, 5), ValMode::Holdout, 42).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("splits.csv");
        let rows = write_splits_csv(&splits, &path).unwrap();
        assert_eq!(
            rows,
            splits.train.len() + splits.val.len() + splits.test.len()
        );

        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows + 1);
        assert!(
            lines[0].starts_with("split,j_zlogz,") && lines[0].ends_with(",j_multiplicity,class")
        );
        assert!(lines[1].starts_with("train,"));
        assert!(lines[rows].starts_with("test,"));

        let back = crate::data::csv::load_csv(&path).unwrap();
        let mut all = Dataset::jsc(Vec::new(), Vec::new());
        for (_, d) in splits.parts() {
            all.features.extend_from_slice(&d.features);
            all.labels.extend_from_slice(&d.labels);
        }
        assert_eq!(back, all);
    }

    #[test]
    fn unwritable_path_names_the_file() {
        let splits = prepare(&synth::generate(100, 1), ValMode::Mase, 42).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/x.csv");
        let msg = write_splits_csv(&splits, &path).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("could not write '{}'", path.display())),
            "{msg}"
        );
    }
}
