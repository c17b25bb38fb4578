//! Loader for MASE's JSC HDF5 file.
//!
//! MASE reads the file in Python as `h5py.File(path)["t_allpar_new"]`: a one-dimensional
//! compound (numpy structured) dataset with one named field per column. This loader takes the
//! 16 input fields of [`FEATURE_NAMES`] and the one-hot label fields of [`ONE_HOT_COLUMNS`]
//! (class = index of the field that is 1) and ignores every other field.
//!
//! Fields may be IEEE floats of 4 or 8 bytes (converted to `f32`), integers of 1 to 8 bytes, or
//! integer-based enums (h5py's booleans), little- or big-endian. Contiguous, compact and
//! chunked layouts are read, including deflate (gzip) and shuffle filtered ones, via the
//! pure-Rust [`hdf5_pure`] crate: no C library is needed.
//!
//! Rows in error messages are 0-based indices into `t_allpar_new`, as numpy would index them.

use std::path::Path;

use hdf5_pure::{CompoundMember, Datatype, DatatypeByteOrder};

use crate::data::dataset::{Dataset, FEATURE_NAMES, ONE_HOT_COLUMNS};
use crate::error::{Error, Result};

/// The dataset MASE reads.
pub const DATASET_NAME: &str = "t_allpar_new";

/// Rows decoded per window, bounding the extra memory of a load.
const WINDOW_ROWS: u64 = 1 << 16;

/// How one scalar field is stored.
#[derive(Debug, Clone, Copy)]
enum Scalar {
    /// IEEE float of `size` (4 or 8) bytes.
    Float { size: usize, big: bool },
    /// Integer of `size` (1, 2, 4 or 8) bytes.
    Int {
        size: usize,
        signed: bool,
        big: bool,
    },
}

/// One field to extract: its byte offset in the record and its storage.
#[derive(Debug, Clone, Copy)]
struct Field {
    offset: usize,
    scalar: Scalar,
}

impl Field {
    /// Decodes the field from one record (`rec` is at least `offset + size` bytes long).
    fn get(&self, rec: &[u8]) -> f64 {
        let o = self.offset;
        match self.scalar {
            Scalar::Float { size: 4, big } => {
                let b: [u8; 4] = rec[o..o + 4].try_into().expect("4 bytes");
                f64::from(if big {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                })
            }
            Scalar::Float { big, .. } => {
                let b: [u8; 8] = rec[o..o + 8].try_into().expect("8 bytes");
                if big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                }
            }
            Scalar::Int { size, signed, big } => {
                let mut b = [0u8; 8];
                b[..size].copy_from_slice(&rec[o..o + size]);
                if big {
                    b[..size].reverse();
                }
                let raw = u64::from_le_bytes(b);
                if signed {
                    let shift = 64 - 8 * size as u32;
                    (((raw << shift) as i64) >> shift) as f64
                } else {
                    raw as f64
                }
            }
        }
    }

    /// Stored size in bytes.
    fn size(&self) -> usize {
        match self.scalar {
            Scalar::Float { size, .. } | Scalar::Int { size, .. } => size,
        }
    }
}

/// Loads `t_allpar_new` from MASE's JSC HDF5 file into a [`Dataset`] with features in
/// [`FEATURE_NAMES`] order and labels `0..=4` from the one-hot fields.
///
/// # Errors
///
/// [`Error::Data`] when the file is missing, not HDF5, has no `t_allpar_new` dataset, the
/// dataset is not compound, lacks a needed field or has it in an unsupported type, is empty,
/// holds a non-finite feature, or a label that is not exactly one-hot (the message names the
/// row and field).
pub fn load_hdf5(path: &Path) -> Result<Dataset> {
    let file = open_file(path)?;
    let ds = find_dataset(path, &file)?;
    let record = Record::of(path, &ds)?;
    let extent = Extent::of(path, &ds)?;
    read_rows(path, &ds, &record, &extent)
}

/// An [`Error::Data`] about the `t_allpar_new` dataset of `path`.
fn bad(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::data(path, format!("dataset `{DATASET_NAME}`: {msg}"))
}

/// Opens `path` after checking that it is an HDF5 file at all.
fn open_file(path: &Path) -> Result<hdf5_pure::File> {
    match hdf5_pure::is_hdf5(path) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::data(
                path,
                "not an HDF5 file (no HDF5 signature found)",
            ));
        }
        Err(e) => return Err(Error::data(path, format!("cannot open HDF5 file: {e}"))),
    }
    hdf5_pure::File::open(path)
        .map_err(|e| Error::data(path, format!("cannot read HDF5 file: {e}")))
}

/// The `t_allpar_new` dataset; when it is missing, the error lists the root group's datasets.
fn find_dataset(path: &Path, file: &hdf5_pure::File) -> Result<hdf5_pure::Dataset> {
    file.dataset(DATASET_NAME).map_err(|e| {
        let available = file
            .root()
            .datasets()
            .map(|names| {
                if names.is_empty() {
                    "the root group has no datasets".to_string()
                } else {
                    format!("datasets in the root group: {}", names.join(", "))
                }
            })
            .unwrap_or_else(|_| format!("could not list the root group: {e}"));
        Error::data(path, format!("no dataset `{DATASET_NAME}` ({available})"))
    })
}

/// The layout of one record of the compound datatype: its size and the fields loaded.
struct Record {
    /// Bytes per record.
    size: usize,
    /// The feature fields, in [`FEATURE_NAMES`] order.
    features: Vec<Field>,
    /// The one-hot label fields, in [`ONE_HOT_COLUMNS`] order.
    labels: Vec<Field>,
}

impl Record {
    /// Finds every needed field in the dataset's compound datatype.
    fn of(path: &Path, ds: &hdf5_pure::Dataset) -> Result<Record> {
        let dtype = ds
            .datatype()
            .map_err(|e| bad(path, format!("cannot read datatype: {e}")))?;
        let Datatype::Compound { size, members } = &dtype else {
            return Err(bad(
                path,
                format!(
                    "expected a compound (structured) datatype with named fields, found {dtype:?}"
                ),
            ));
        };
        let size = *size as usize;
        let field = |name: &&str| find_field(path, members, size, name);
        Ok(Record {
            size,
            features: FEATURE_NAMES.iter().map(field).collect::<Result<_>>()?,
            labels: ONE_HOT_COLUMNS.iter().map(field).collect::<Result<_>>()?,
        })
    }

    /// Decodes record `rec` (0-based row `row`): appends its features to `features` and
    /// returns its class.
    fn decode(&self, path: &Path, rec: &[u8], row: u64, features: &mut Vec<f32>) -> Result<u8> {
        for (name, f) in FEATURE_NAMES.iter().zip(&self.features) {
            let v = f.get(rec) as f32;
            if !v.is_finite() {
                return Err(bad(
                    path,
                    format!("row {row}, field `{name}`: non-finite value {}", f.get(rec)),
                ));
            }
            features.push(v);
        }
        let mut one_hot = [0.0f64; 5];
        for (v, f) in one_hot.iter_mut().zip(&self.labels) {
            *v = f.get(rec);
        }
        crate::data::csv::one_hot_class(&one_hot).ok_or_else(|| {
            bad(
                path,
                format!(
                    "row {row}: label fields `{}` hold {one_hot:?}, not exactly one-hot \
                     (need one 1 and four 0s)",
                    ONE_HOT_COLUMNS.join("`, `")
                ),
            )
        })
    }
}

/// The member `name` of a compound type whose records are `record_size` bytes, if it is there,
/// of a supported type and inside the record.
fn find_field(
    path: &Path,
    members: &[CompoundMember],
    record_size: usize,
    name: &str,
) -> Result<Field> {
    let m = members.iter().find(|m| m.name == name).ok_or_else(|| {
        bad(
            path,
            format!(
                "missing field `{name}` (the compound type has {} fields)",
                members.len()
            ),
        )
    })?;
    let scalar = scalar_of(&m.datatype).ok_or_else(|| {
        bad(
            path,
            format!("field `{name}` has unsupported type {:?}", m.datatype),
        )
    })?;
    let f = Field {
        offset: m.byte_offset as usize,
        scalar,
    };
    if f.offset + f.size() > record_size {
        return Err(bad(
            path,
            format!("field `{name}` lies outside the {record_size}-byte record"),
        ));
    }
    Ok(f)
}

/// How many records the dataset holds and how they are read: in windows along the first
/// dimension (a multi-dimensional dataset is read as its flattened elements, one row each).
struct Extent {
    /// Records in all.
    rows: usize,
    /// Length of the first dimension (at least 1).
    dim0: u64,
    /// Records per index of the first dimension.
    per_dim0: u64,
}

impl Extent {
    /// The dataset's extent; an error when it has no rows.
    fn of(path: &Path, ds: &hdf5_pure::Dataset) -> Result<Extent> {
        let shape = ds
            .shape()
            .map_err(|e| bad(path, format!("cannot read shape: {e}")))?;
        let n_rows: u64 = shape.iter().product();
        if n_rows == 0 {
            return Err(bad(path, "the dataset has no rows"));
        }
        let dim0 = shape.first().copied().unwrap_or(1).max(1);
        Ok(Extent {
            rows: usize::try_from(n_rows).map_err(|_| bad(path, "too many rows"))?,
            dim0,
            per_dim0: n_rows / dim0,
        })
    }
}

/// Reads and decodes every record, [`WINDOW_ROWS`] indices of the first dimension at a time.
fn read_rows(
    path: &Path,
    ds: &hdf5_pure::Dataset,
    record: &Record,
    extent: &Extent,
) -> Result<Dataset> {
    let mut features = Vec::with_capacity(extent.rows.saturating_mul(FEATURE_NAMES.len()));
    let mut labels = Vec::with_capacity(extent.rows);
    let mut start = 0u64;
    while start < extent.dim0 {
        let count = WINDOW_ROWS.min(extent.dim0 - start);
        let raw = read_window(path, ds, record.size, extent.per_dim0, start, count)?;
        for rec in raw.chunks_exact(record.size) {
            let row = labels.len() as u64;
            labels.push(record.decode(path, rec, row, &mut features)?);
        }
        start += count;
    }
    Ok(Dataset::jsc(features, labels))
}

/// The raw bytes of first-dimension indices `start..start + count`, checked for length.
fn read_window(
    path: &Path,
    ds: &hdf5_pure::Dataset,
    record_size: usize,
    per_dim0: u64,
    start: u64,
    count: u64,
) -> Result<Vec<u8>> {
    let raw = ds.read_raw_rows(start, count).map_err(|e| {
        let mut msg = format!("cannot read rows {start}..{}: {e}", start + count);
        if msg.contains("layout version") {
            msg.push_str(
                " (a file written with HDF5 2.x and libver=\"latest\" uses a storage layout \
                 this reader does not support yet; rewrite it with h5py's \
                 libver=(\"earliest\", \"v114\") or export it as CSV)",
            );
        }
        bad(path, msg)
    })?;
    let expect = (count * per_dim0) as usize * record_size;
    if raw.len() != expect {
        return Err(bad(
            path,
            format!(
                "read {} bytes for rows {start}..{}, expected {expect}",
                raw.len(),
                start + count
            ),
        ));
    }
    Ok(raw)
}

/// The scalar storage of a field's datatype, if it is one this loader decodes.
fn scalar_of(dt: &Datatype) -> Option<Scalar> {
    let big = |o: &DatatypeByteOrder| match o {
        DatatypeByteOrder::LittleEndian => Some(false),
        DatatypeByteOrder::BigEndian => Some(true),
        _ => None,
    };
    match dt {
        Datatype::FloatingPoint {
            size, byte_order, ..
        } if *size == 4 || *size == 8 => Some(Scalar::Float {
            size: *size as usize,
            big: big(byte_order)?,
        }),
        Datatype::FixedPoint {
            size,
            byte_order,
            layout,
        } if matches!(size, 1 | 2 | 4 | 8) => Some(Scalar::Int {
            size: *size as usize,
            signed: layout.signed,
            big: big(byte_order)?,
        }),
        Datatype::Enumeration { base_type, .. } => match scalar_of(base_type)? {
            s @ Scalar::Int { .. } => Some(s),
            Scalar::Float { .. } => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
