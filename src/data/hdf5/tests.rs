//! Tests of the HDF5 loader: files written here (contiguous and chunked, deflated) checked
//! against the same table as CSV, h5py-written fixtures, and every error case.

use super::*;
use hdf5_pure::{CompoundTypeBuilder, FileBuilder, make_f32_type, make_f64_type};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Column storage for the generated test files.
#[derive(Clone, Copy)]
enum Ty {
    F32,
    F64,
    I32,
    U8,
}

impl Ty {
    fn datatype(self) -> Datatype {
        match self {
            Ty::F32 => make_f32_type(),
            Ty::F64 => make_f64_type(),
            Ty::I32 => hdf5_pure::make_i32_type(),
            Ty::U8 => hdf5_pure::make_u8_type(),
        }
    }
    fn encode(self, v: f64, out: &mut Vec<u8>) {
        match self {
            Ty::F32 => out.extend_from_slice(&(v as f32).to_le_bytes()),
            Ty::F64 => out.extend_from_slice(&v.to_le_bytes()),
            Ty::I32 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            Ty::U8 => out.push(v as u8),
        }
    }
}

/// A MASE-like table: (name, type, values per row).
struct Table {
    columns: Vec<(String, Ty, Vec<f64>)>,
}

fn feature_value(r: usize, c: usize) -> f64 {
    // Values exactly representable as f32, so f4 and f8 storage agree.
    (((r * 131 + c * 17) % 1013) as f64 - 300.0) * 0.125
}

/// `rows` rows, fields shuffled among extra ones, features of `fty`, one-hot of `lty`.
fn mase_table(rows: usize, fty: Ty, lty: Ty) -> Table {
    let mut columns = vec![(
        "j_ptfrac".to_string(),
        Ty::F32,
        (0..rows).map(|r| r as f64 * 0.5).collect(),
    )];
    for (c, name) in FEATURE_NAMES.iter().enumerate().rev() {
        columns.push((
            name.to_string(),
            fty,
            (0..rows).map(|r| feature_value(r, c)).collect(),
        ));
    }
    columns.push((
        "j_index".to_string(),
        Ty::I32,
        (0..rows).map(|r| r as f64).collect(),
    ));
    for (k, name) in ONE_HOT_COLUMNS.iter().enumerate() {
        columns.push((
            name.to_string(),
            lty,
            (0..rows)
                .map(|r| if (r * 7 + r / 3) % 5 == k { 1.0 } else { 0.0 })
                .collect(),
        ));
    }
    columns.push((
        "j_pt".to_string(),
        Ty::F64,
        (0..rows).map(|r| 1000.0 + r as f64).collect(),
    ));
    Table { columns }
}

impl Table {
    fn rows(&self) -> usize {
        self.columns[0].2.len()
    }

    fn set(&mut self, name: &str, row: usize, v: f64) {
        let col = self.columns.iter_mut().find(|c| c.0 == name).unwrap();
        col.2[row] = v;
    }

    fn drop_column(&mut self, name: &str) {
        self.columns.retain(|c| c.0 != name);
    }

    /// Writes the table as compound `name`, optionally chunked + deflated.
    fn write_h5(&self, path: &Path, name: &str, chunk: Option<u64>) {
        let mut ct = CompoundTypeBuilder::new();
        for (n, ty, _) in &self.columns {
            ct = ct.field(n, ty.datatype());
        }
        let dt = ct.build().unwrap();
        let mut raw = Vec::new();
        for r in 0..self.rows() {
            for (_, ty, vals) in &self.columns {
                ty.encode(vals[r], &mut raw);
            }
        }
        let mut b = FileBuilder::new();
        let d = b.create_dataset(name);
        d.with_compound_data(dt, raw, self.rows() as u64);
        if let Some(c) = chunk {
            d.with_chunks(&[c]).with_shuffle().with_deflate(6);
        }
        b.write(path).unwrap();
    }

    /// Writes the same table as CSV (all columns, in table order).
    fn write_csv(&self, path: &Path) {
        let mut s = self
            .columns
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>()
            .join(",");
        s.push('\n');
        for r in 0..self.rows() {
            let cells: Vec<String> = self.columns.iter().map(|c| c.2[r].to_string()).collect();
            writeln!(s, "{}", cells.join(",")).unwrap();
        }
        std::fs::write(path, s).unwrap();
    }
}

fn err_msg(r: Result<Dataset>) -> String {
    match r {
        Err(e @ Error::Data { .. }) => e.to_string(),
        Err(e) => panic!("expected Error::Data, got {e:?}"),
        Ok(_) => panic!("expected an error"),
    }
}

fn tmp(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn hdf5_and_csv_load_identically() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (fty, lty, chunk)) in [
        (Ty::F32, Ty::F32, None),
        (Ty::F64, Ty::I32, None),
        (Ty::F32, Ty::U8, Some(64)),
        (Ty::F64, Ty::F64, Some(100)),
    ]
    .into_iter()
    .enumerate()
    {
        let t = mase_table(300, fty, lty);
        let h5 = tmp(&dir, &format!("t{i}.h5"));
        let csv = tmp(&dir, &format!("t{i}.csv"));
        t.write_h5(&h5, DATASET_NAME, chunk);
        t.write_csv(&csv);
        let a = load_hdf5(&h5).unwrap();
        let b = crate::data::csv::load_csv(&csv).unwrap();
        assert_eq!(a.len(), 300);
        assert_eq!(a, b, "case {i}");
        assert_eq!(a.row(7)[3], feature_value(7, 3) as f32);
        assert_eq!(a.class_counts().iter().sum::<usize>(), 300);
        assert!(a.class_counts().iter().all(|&c| c > 0));
    }
}

#[test]
fn many_windows_chunked() {
    // More rows than one decode window, with chunks that straddle window boundaries.
    let dir = tempfile::tempdir().unwrap();
    let rows = WINDOW_ROWS as usize + 1234;
    let t = mase_table(rows, Ty::F32, Ty::U8);
    let h5 = tmp(&dir, "big.h5");
    t.write_h5(&h5, DATASET_NAME, Some(10_000));
    let d = load_hdf5(&h5).unwrap();
    assert_eq!(d.len(), rows);
    for r in [0, 1, 65_535, 65_536, rows - 1] {
        for c in 0..16 {
            assert_eq!(d.row(r)[c], feature_value(r, c) as f32);
        }
        assert_eq!(d.labels[r] as usize, (r * 7 + r / 3) % 5);
    }
}

/// Files written by h5py (libhdf5) itself, made by `scripts/make-hdf5-fixture.py`: a
/// contiguous f4 file and a chunked, gzip+shuffle f8 file with integer/bool labels. The
/// script also writes the same values as CSV.
#[test]
fn h5py_fixtures_match_their_csv() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let csv = crate::data::csv::load_csv(&dir.join("jsc_small.csv")).unwrap();
    assert_eq!(csv.len(), 200);
    for name in ["jsc_small.h5", "jsc_small_gzip.h5"] {
        let h5 = load_hdf5(&dir.join(name)).unwrap();
        assert_eq!(h5, csv, "{name}");
    }
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let msg = err_msg(load_hdf5(&tmp(&dir, "nope.h5")));
    assert!(msg.contains("cannot open"), "{msg}");
}

#[test]
fn not_hdf5() {
    let dir = tempfile::tempdir().unwrap();
    let p = tmp(&dir, "text.h5");
    std::fs::write(&p, "j_zlogz,class\n1,2\n").unwrap();
    let msg = err_msg(load_hdf5(&p));
    assert!(msg.contains("not an HDF5 file"), "{msg}");
    std::fs::write(&p, "").unwrap();
    let msg = err_msg(load_hdf5(&p));
    assert!(msg.contains("not an HDF5 file"), "{msg}");
}

#[test]
fn truncated_hdf5() {
    let dir = tempfile::tempdir().unwrap();
    let p = tmp(&dir, "t.h5");
    mase_table(50, Ty::F32, Ty::U8).write_h5(&p, DATASET_NAME, None);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 3]).unwrap();
    let _ = err_msg(load_hdf5(&p));
}

#[test]
fn missing_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let p = tmp(&dir, "other.h5");
    mase_table(5, Ty::F32, Ty::U8).write_h5(&p, "jets", None);
    let msg = err_msg(load_hdf5(&p));
    assert!(msg.contains("no dataset `t_allpar_new`"), "{msg}");
    assert!(msg.contains("jets"), "{msg}");
}

#[test]
fn not_compound() {
    let dir = tempfile::tempdir().unwrap();
    let p = tmp(&dir, "plain.h5");
    let mut b = FileBuilder::new();
    b.create_dataset(DATASET_NAME).with_f32_data(&[1.0, 2.0]);
    b.write(&p).unwrap();
    let msg = err_msg(load_hdf5(&p));
    assert!(msg.contains("compound"), "{msg}");
}

#[test]
fn missing_field() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["j_c2_b2_mmdt", "j_w"] {
        let p = tmp(&dir, &format!("{name}.h5"));
        let mut t = mase_table(5, Ty::F32, Ty::U8);
        t.drop_column(name);
        t.write_h5(&p, DATASET_NAME, None);
        let msg = err_msg(load_hdf5(&p));
        assert!(msg.contains(&format!("missing field `{name}`")), "{msg}");
    }
}

#[test]
fn empty_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let p = tmp(&dir, "empty.h5");
    mase_table(0, Ty::F32, Ty::U8).write_h5(&p, DATASET_NAME, None);
    let msg = err_msg(load_hdf5(&p));
    assert!(msg.contains("no rows"), "{msg}");
}

#[test]
fn non_finite_feature_names_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for (i, v) in [f64::NAN, f64::INFINITY, 1e300].into_iter().enumerate() {
        let p = tmp(&dir, &format!("nan{i}.h5"));
        let mut t = mase_table(20, Ty::F64, Ty::U8);
        t.set("j_mass_mmdt", 13, v);
        t.write_h5(&p, DATASET_NAME, Some(8));
        let msg = err_msg(load_hdf5(&p));
        assert!(msg.contains("row 13"), "{msg}");
        assert!(msg.contains("`j_mass_mmdt`"), "{msg}");
        assert!(msg.contains("non-finite"), "{msg}");
    }
}

#[test]
fn bad_one_hot_names_row() {
    let dir = tempfile::tempdir().unwrap();
    // Row 4's class is (28 + 1) % 5 = 4 (j_t).
    for (i, (field, v)) in [("j_g", 1.0), ("j_t", 0.0), ("j_t", 0.5), ("j_q", 2.0)]
        .into_iter()
        .enumerate()
    {
        let p = tmp(&dir, &format!("oh{i}.h5"));
        let mut t = mase_table(10, Ty::F32, Ty::F32);
        t.set(field, 4, v);
        t.write_h5(&p, DATASET_NAME, None);
        let msg = err_msg(load_hdf5(&p));
        assert!(msg.contains("row 4"), "{msg}");
        assert!(msg.contains("not exactly one-hot"), "{msg}");
    }
}

#[test]
fn decodes_big_endian_and_signed_ints() {
    let be_f32 = Field {
        offset: 1,
        scalar: Scalar::Float { size: 4, big: true },
    };
    let mut rec = vec![0u8];
    rec.extend_from_slice(&1.5f32.to_be_bytes());
    assert_eq!(be_f32.get(&rec), 1.5);
    let i16_be = Field {
        offset: 0,
        scalar: Scalar::Int {
            size: 2,
            signed: true,
            big: true,
        },
    };
    assert_eq!(i16_be.get(&(-3i16).to_be_bytes()), -3.0);
    let i8_le = Field {
        offset: 0,
        scalar: Scalar::Int {
            size: 1,
            signed: true,
            big: false,
        },
    };
    assert_eq!(i8_le.get(&[0xff]), -1.0);
    let u64_le = Field {
        offset: 0,
        scalar: Scalar::Int {
            size: 8,
            signed: false,
            big: false,
        },
    };
    assert_eq!(u64_le.get(&7u64.to_le_bytes()), 7.0);
}
