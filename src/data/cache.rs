//! A compact binary cache of loaded datasets.
//!
//! Parsing a large CSV or HDF5 file takes seconds; reading its cache takes a fraction of a
//! second. [`load_cached`] keys each cache file by the source's canonical path, size and a
//! 64-bit hash of its content, so any edit to the source is seen — even one that keeps the
//! size and restores the modification time — and rebuilds any cache it cannot use. The
//! content hash costs one extra read of the source per load (7–20 ms per 100 MB from the page
//! cache, see `docs/data.md`), small next to parsing it. It is not cryptographic: it
//! catches edits, not a deliberately forged collision.
//!
//! # File format (version 2, all integers little-endian)
//!
//! ```text
//! magic        8 bytes  "TBDSCACH"
//! version      u32      2
//! source path  u32 length + UTF-8 bytes (canonical path of the source)
//! source size  u64      bytes
//! source hash  u64      content hash of the source's bytes (the checksum function below)
//! n_rows       u64
//! n_features   u32
//! names        n_features x (u32 length + UTF-8 bytes)
//! features     n_rows * n_features x f32, row-major
//! labels       n_rows x u8 (each < 5)
//! checksum     u64      hash of every byte before it
//! ```
//!
//! Version 1 keyed on the source's modification time instead of its content hash; a
//! version-1 file is treated like any other stale cache and rebuilt.

use std::fs;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::dataset::{Dataset, Loaded};
use crate::error::{Error, Result};

/// First bytes of every cache file.
const MAGIC: &[u8; 8] = b"TBDSCACH";
/// Current format version; any other version is treated as a stale cache.
const VERSION: u32 = 2;
/// Extension of cache files.
const EXTENSION: &str = "tbcache";

/// What a cache file was built from: a source is reused only while all three match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// Canonical path of the source file, as a string.
    pub source: String,
    /// Size of the source in bytes.
    pub size: u64,
    /// Content hash of the source's bytes ([`hash_file`]).
    pub content_hash: u64,
}

impl CacheKey {
    /// The key of `source` as it is on disk now: canonical path, size and content hash (one
    /// read of the whole file).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the source cannot be found or read.
    pub fn for_source(source: &Path) -> Result<CacheKey> {
        let canonical = fs::canonicalize(source)
            .map_err(|e| Error::input(format!("could not resolve '{}'", source.display()), e))?;
        let (size, content_hash) = hash_file(&canonical)
            .map_err(|e| Error::input(format!("could not read '{}'", source.display()), e))?;
        Ok(CacheKey {
            source: canonical.to_string_lossy().into_owned(),
            size,
            content_hash,
        })
    }
}

/// The size and content hash of the file at `path`, read in 1 MiB blocks.
///
/// The hash is the function that checksums cache files, over the source's bytes: four
/// independent multiply-xor lanes over 8-byte words, several GB/s. Not cryptographic.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, u64)> {
    let file = fs::File::open(path)?;
    hash_reader(file, &mut vec![0; 1 << 20])
}

/// [`checksum`] of everything `reader` yields, and its length, reading into `buf` (whose
/// length must be a multiple of 32).
fn hash_reader(mut reader: impl Read, buf: &mut [u8]) -> std::io::Result<(u64, u64)> {
    debug_assert!(!buf.is_empty() && buf.len().is_multiple_of(32));
    let mut lanes = Lanes::new();
    let mut len = 0u64;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        len += filled as u64;
        let rest = lanes.feed(&buf[..filled]);
        if filled < buf.len() {
            return Ok((len, lanes.finish(rest, len)));
        }
    }
}

/// The cache file for a source with canonical path `source` in `cache_dir`: the source's file
/// stem (for people) plus the 64-bit FNV-1a hash of the full path in hex (for uniqueness).
pub fn cache_path(cache_dir: &Path, source: &str) -> PathBuf {
    let stem: String = Path::new(source)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    cache_dir.join(format!(
        "{stem}-{:016x}.{EXTENSION}",
        fnv1a(source.as_bytes())
    ))
}

/// Loads `source` through the cache in `cache_dir`.
///
/// If a cache file keyed by the source's canonical path, size and content hash exists and is
/// valid, it is read; otherwise `build(source)` loads the dataset, the cache is written
/// (atomically: temp file + rename) and the dataset returned. The key is taken before
/// `build`, so a source edited while it is parsed only costs a rebuild next time. Stale or
/// corrupt caches (and caches of an older format version) are rebuilt, never fatal; a cache
/// that cannot be written (read-only directory, full disk) only earns a warning (`could not
/// write data cache: ...`) in [`Loaded::warnings`], for the caller to show.
///
/// # Errors
///
/// Whatever `build` returns (including for a missing source, which is handed to `build` so
/// that the loader reports it).
pub fn load_cached(
    source: &Path,
    cache_dir: &Path,
    build: impl FnOnce(&Path) -> Result<Dataset>,
) -> Result<Loaded> {
    let Ok(key) = CacheKey::for_source(source) else {
        // Missing or unreadable source: let the loader say what is wrong with it.
        return build(source).map(Loaded::new);
    };
    let path = cache_path(cache_dir, &key.source);
    if let Ok((cached_key, data)) = read_cache(&path)
        && cached_key == key
    {
        return Ok(Loaded::new(data));
    }
    let data = build(source)?;
    let written = fs::create_dir_all(cache_dir)
        .map_err(|e| {
            Error::io(
                format!("could not create cache directory '{}'", cache_dir.display()),
                e,
            )
        })
        .and_then(|()| write_cache(&path, &key, &data));
    let mut loaded = Loaded::new(data);
    if let Err(e) = written {
        loaded
            .warnings
            .push(format!("could not write data cache: {e}"));
    }
    Ok(loaded)
}

/// Writes `data` and its `key` to the cache file `path`, atomically (a temporary file in the
/// same directory, renamed over `path`).
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be written or renamed; [`Error::Data`] when `data` is
/// inconsistent (feature count not `rows * names`, or a label of 5 or more).
pub fn write_cache(path: &Path, key: &CacheKey, data: &Dataset) -> Result<()> {
    check_cacheable(path, data)?;
    write_atomically(path, &encode(key, data))
}

/// Checks that `data` is consistent enough to cache (and so to read back).
fn check_cacheable(path: &Path, data: &Dataset) -> Result<()> {
    let n_rows = data.labels.len();
    let n_features = data.feature_names.len();
    if data.features.len() != n_rows * n_features {
        return Err(Error::data(
            path,
            format!(
                "refusing to cache an inconsistent dataset: {} feature values for {n_rows} rows \
                 x {n_features} columns",
                data.features.len()
            ),
        ));
    }
    if let Some(i) = data.labels.iter().position(|&l| l >= 5) {
        return Err(Error::data(
            path,
            format!(
                "refusing to cache a dataset with label {} at row {i}",
                data.labels[i]
            ),
        ));
    }
    Ok(())
}

/// The bytes of a cache file (see the module docs for the format).
fn encode(key: &CacheKey, data: &Dataset) -> Vec<u8> {
    let n_rows = data.labels.len();
    let n_features = data.feature_names.len();
    let names_len: usize = data.feature_names.iter().map(|n| 4 + n.len()).sum();
    let mut buf =
        Vec::with_capacity(64 + key.source.len() + names_len + n_rows * (4 * n_features + 1) + 8);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&VERSION.to_le_bytes());
    put_str(&mut buf, &key.source);
    buf.extend_from_slice(&key.size.to_le_bytes());
    buf.extend_from_slice(&key.content_hash.to_le_bytes());
    buf.extend_from_slice(&(n_rows as u64).to_le_bytes());
    buf.extend_from_slice(&(n_features as u32).to_le_bytes());
    for name in &data.feature_names {
        put_str(&mut buf, name);
    }
    for v in &data.features {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    buf.extend_from_slice(&data.labels);
    let sum = checksum(&buf);
    buf.extend_from_slice(&sum.to_le_bytes());
    buf
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed over
/// `path`; the temporary file is removed when anything fails.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cache".to_string());
    // Unique per process and call, so concurrent writers never share a temporary file.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let tmp = path.with_file_name(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)
            .map_err(|e| Error::io(format!("could not create '{}'", tmp.display()), e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(format!("could not write '{}'", tmp.display()), e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| {
            Error::io(
                format!(
                    "could not rename '{}' to '{}'",
                    tmp.display(),
                    path.display()
                ),
                e,
            )
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads a cache file written by [`write_cache`].
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read; [`Error::Data`] when it is not a cache file, has
/// another format version, is truncated or corrupt (checksum mismatch, label out of range).
pub fn read_cache(path: &Path) -> Result<(CacheKey, Dataset)> {
    let bytes =
        fs::read(path).map_err(|e| Error::io(format!("could not read '{}'", path.display()), e))?;
    let bad = |msg: &str| Error::data(path, format!("invalid cache file: {msg}"));
    if bytes.len() < MAGIC.len() + 4 + 8 || &bytes[..8] != MAGIC {
        return Err(bad("not a trainbench cache file"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut r = Reader { buf: body, pos: 8 };
    let version = r.u32().ok_or_else(|| bad("truncated"))?;
    if version != VERSION {
        return Err(bad(&format!(
            "format version {version}, expected {VERSION}"
        )));
    }
    if checksum(body).to_le_bytes() != sum {
        return Err(bad("checksum mismatch (truncated or corrupt)"));
    }
    let trunc = || bad("truncated");
    let source = r.string().ok_or_else(trunc)?;
    let size = r.u64().ok_or_else(trunc)?;
    let content_hash = r.u64().ok_or_else(trunc)?;
    let n_rows = usize::try_from(r.u64().ok_or_else(trunc)?).map_err(|_| trunc())?;
    let n_features = r.u32().ok_or_else(trunc)? as usize;
    let mut feature_names = Vec::with_capacity(n_features.min(1024));
    for _ in 0..n_features {
        feature_names.push(r.string().ok_or_else(trunc)?);
    }
    let n_values = n_rows.checked_mul(n_features).ok_or_else(trunc)?;
    let raw = r
        .take(n_values.checked_mul(4).ok_or_else(trunc)?)
        .ok_or_else(trunc)?;
    let features: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let labels = r.take(n_rows).ok_or_else(trunc)?.to_vec();
    if r.pos != body.len() {
        return Err(bad("trailing bytes"));
    }
    if labels.iter().any(|&l| l >= 5) {
        return Err(bad("label out of range"));
    }
    Ok((
        CacheKey {
            source,
            size,
            content_hash,
        },
        Dataset {
            features,
            labels,
            feature_names,
        },
    ))
}

/// Appends a length-prefixed string.
fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// A bounds-checked cursor over the cache bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A fast hash for corruption checks and source contents: four independent multiply-xor
/// lanes over 8-byte words (several GB/s), then the tail bytes and the length. Not
/// cryptographic.
fn checksum(bytes: &[u8]) -> u64 {
    let mut lanes = Lanes::new();
    let rest = lanes.feed(bytes);
    lanes.finish(rest, bytes.len() as u64)
}

/// The four lanes of [`checksum`], fed whole 32-byte blocks.
struct Lanes([u64; 4]);

impl Lanes {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    fn new() -> Lanes {
        Lanes([
            0x243f_6a88_85a3_08d3,
            0x1319_8a2e_0370_7344,
            0xa409_3822_299f_31d0,
            0x082e_fa98_ec4e_6c89,
        ])
    }

    /// Mixes in every whole 32-byte block of `bytes`; returns the bytes left over.
    fn feed<'b>(&mut self, bytes: &'b [u8]) -> &'b [u8] {
        let mut blocks = bytes.chunks_exact(32);
        for block in &mut blocks {
            for (lane, w) in self.0.iter_mut().zip(block.chunks_exact(8)) {
                let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
                *lane = (*lane ^ w).wrapping_mul(Self::K).rotate_left(29);
            }
        }
        blocks.remainder()
    }

    /// The hash, given the last (< 32) bytes and the total length.
    fn finish(self, tail: &[u8], len: u64) -> u64 {
        let mut h = fnv1a(tail) ^ len;
        for lane in self.0 {
            h = (h ^ lane).wrapping_mul(Self::K).rotate_left(31);
        }
        h ^ (h >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::time::{Duration, SystemTime};

    /// Sets the modification time of `path`.
    fn set_mtime(path: &Path, t: SystemTime) {
        let f = fs::File::options().write(true).open(path).unwrap();
        f.set_modified(t).unwrap();
    }

    fn sample(rows: usize) -> Dataset {
        let features = (0..rows * 16)
            .map(|i| (i as f32 * 0.731).sin() * 100.0)
            .collect();
        let labels = (0..rows).map(|r| (r * 3 % 5) as u8).collect();
        Dataset::jsc(features, labels)
    }

    fn key() -> CacheKey {
        CacheKey {
            source: "/data/jsc é.csv".to_string(),
            size: 123_456,
            content_hash: 0xfedc_ba98_7654_3210,
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.tbcache");
        for rows in [0, 1, 257] {
            let d = sample(rows);
            write_cache(&p, &key(), &d).unwrap();
            let (k, back) = read_cache(&p).unwrap();
            assert_eq!(k, key());
            assert_eq!(back, d);
        }
        // Other feature sets round-trip too.
        let d = Dataset {
            features: vec![1.0, -0.0, f32::MIN_POSITIVE, 3.5],
            labels: vec![4, 0],
            feature_names: vec!["a".into(), "bé".into()],
        };
        write_cache(&p, &key(), &d).unwrap();
        assert_eq!(read_cache(&p).unwrap().1, d);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn truncated_or_corrupt_cache_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.tbcache");
        write_cache(&p, &key(), &sample(50)).unwrap();
        let good = fs::read(&p).unwrap();
        for cut in [0, 5, 12, 40, good.len() / 2, good.len() - 1] {
            fs::write(&p, &good[..cut]).unwrap();
            assert!(read_cache(&p).is_err(), "cut at {cut}");
        }
        for flip in [0, 9, 30, good.len() / 2, good.len() - 9, good.len() - 1] {
            let mut b = good.clone();
            b[flip] ^= 0x10;
            fs::write(&p, &b).unwrap();
            assert!(read_cache(&p).is_err(), "flip at {flip}");
        }
        let mut b = good.clone();
        b.insert(good.len() - 8, 0);
        fs::write(&p, &b).unwrap();
        assert!(read_cache(&p).is_err());
        assert!(matches!(
            read_cache(&dir.path().join("missing")),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn rejects_inconsistent_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = sample(3);
        d.features.pop();
        assert!(write_cache(&dir.path().join("x"), &key(), &d).is_err());
        let mut d = sample(3);
        d.labels[1] = 5;
        assert!(write_cache(&dir.path().join("x"), &key(), &d).is_err());
    }

    /// Counts builds; the dataset depends on the source's current length.
    fn loader(count: &Cell<usize>) -> impl FnOnce(&Path) -> Result<Dataset> + '_ {
        move |p: &Path| {
            count.set(count.get() + 1);
            let len = fs::metadata(p).unwrap().len() as usize;
            Ok(sample(len % 7 + 1))
        }
    }

    #[test]
    fn load_cached_builds_once_then_reads() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data.csv");
        fs::write(&src, "abc").unwrap();
        let cache = dir.path().join("cache/nested");
        let n = Cell::new(0);
        let a = load_cached(&src, &cache, loader(&n)).unwrap();
        let b = load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 1);
        // Built and cached, then read: no warnings either time.
        assert!(a.warnings.is_empty() && b.warnings.is_empty());
        let (a, b) = (a.data, b.data);
        assert_eq!(a, b);
        assert_eq!(a, sample(4));
        let files: Vec<_> = fs::read_dir(&cache).unwrap().collect();
        assert_eq!(files.len(), 1);
        let name = files[0].as_ref().unwrap().file_name();
        assert!(name.to_string_lossy().starts_with("data-"), "{name:?}");
        // Via a different (relative / non-canonical) spelling of the same path: same cache.
        let alias = dir.path().join(".").join("data.csv");
        load_cached(&alias, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 1);
    }

    #[test]
    fn stale_cache_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data.csv");
        fs::write(&src, "abc").unwrap();
        let cache = dir.path().join("cache");
        let n = Cell::new(0);
        load_cached(&src, &cache, loader(&n)).unwrap();
        // Size change.
        fs::write(&src, "abcdef").unwrap();
        let d = load_cached(&src, &cache, loader(&n)).unwrap().data;
        assert_eq!((n.get(), d), (2, sample(7)));
        // Same size, different mtime.
        fs::write(&src, "uvwxyz").unwrap();
        set_mtime(&src, SystemTime::now() + Duration::from_secs(3600));
        load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 3);
        load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 3);
        // Same size, mtime restored: the content decides.
        let mtime = fs::metadata(&src).unwrap().modified().unwrap();
        fs::write(&src, "uvwxyZ").unwrap();
        set_mtime(&src, mtime);
        assert_eq!(fs::metadata(&src).unwrap().modified().unwrap(), mtime);
        load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 4);
        // Touched but unchanged: still a hit.
        set_mtime(&src, mtime + Duration::from_secs(60));
        load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 4);
    }

    #[test]
    fn a_cache_of_another_format_version_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data.csv");
        fs::write(&src, "abcd").unwrap();
        let cache = dir.path().join("cache");
        let n = Cell::new(0);
        load_cached(&src, &cache, loader(&n)).unwrap();
        let cp = cache_path(&cache, &CacheKey::for_source(&src).unwrap().source);
        let mut bytes = fs::read(&cp).unwrap();
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        fs::write(&cp, &bytes).unwrap();
        let msg = read_cache(&cp).unwrap_err().to_string();
        assert!(msg.contains("format version 1, expected 2"), "{msg}");
        load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(n.get(), 2);
        assert!(read_cache(&cp).is_ok());
    }

    #[test]
    fn the_streamed_content_hash_is_the_checksum_of_the_bytes() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [0, 1, 31, 32, 33, 64, 95, 96, 97, 500, 1000] {
            let want = checksum(&bytes[..len]);
            for buf_len in [32, 64, 96] {
                let got = hash_reader(&bytes[..len], &mut vec![0; buf_len]).unwrap();
                assert_eq!(got, (len as u64, want), "len {len}, buffer {buf_len}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, &bytes).unwrap();
        assert_eq!(hash_file(&p).unwrap(), (1000, checksum(&bytes)));
        // One changed byte anywhere changes the hash.
        for i in [0, 31, 32, 500, 999] {
            let mut b = bytes.clone();
            b[i] ^= 1;
            assert_ne!(checksum(&b), checksum(&bytes), "byte {i}");
        }
    }

    #[test]
    fn corrupt_cache_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data.csv");
        fs::write(&src, "abcd").unwrap();
        let cache = dir.path().join("cache");
        let n = Cell::new(0);
        let good = load_cached(&src, &cache, loader(&n)).unwrap().data;
        let key = CacheKey::for_source(&src).unwrap();
        let cp = cache_path(&cache, &key.source);
        let bytes = fs::read(&cp).unwrap();
        fs::write(&cp, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(load_cached(&src, &cache, loader(&n)).unwrap().data, good);
        assert_eq!(n.get(), 2);
        fs::write(&cp, b"garbage").unwrap();
        assert_eq!(load_cached(&src, &cache, loader(&n)).unwrap().data, good);
        assert_eq!(n.get(), 3);
        // A cache for the right key but the wrong source path (hash collision) is not used.
        let mut other = key.clone();
        other.source.push('x');
        write_cache(&cp, &other, &sample(1)).unwrap();
        assert_eq!(load_cached(&src, &cache, loader(&n)).unwrap().data, good);
        assert_eq!(n.get(), 4);
    }

    #[test]
    fn different_sources_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        fs::create_dir(dir.path().join("x")).unwrap();
        let a = dir.path().join("data.csv");
        let b = dir.path().join("x/data.csv");
        fs::write(&a, "a").unwrap();
        fs::write(&b, "bb").unwrap();
        let n = Cell::new(0);
        let da = load_cached(&a, &cache, loader(&n)).unwrap().data;
        let db = load_cached(&b, &cache, loader(&n)).unwrap().data;
        assert_ne!(da, db);
        assert_eq!(load_cached(&a, &cache, loader(&n)).unwrap().data, da);
        assert_eq!(load_cached(&b, &cache, loader(&n)).unwrap().data, db);
        assert_eq!(n.get(), 2);
    }

    #[test]
    fn missing_source_and_build_errors_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let r = load_cached(&dir.path().join("nope.csv"), &cache, |p| {
            Err(Error::data(p, "cannot open"))
        });
        assert!(matches!(r, Err(Error::Data { .. })));
        let src = dir.path().join("bad.csv");
        fs::write(&src, "x").unwrap();
        let r = load_cached(&src, &cache, |p| Err(Error::data(p, "bad")));
        assert!(matches!(r, Err(Error::Data { .. })));
        assert!(!cache.exists() || fs::read_dir(&cache).unwrap().count() == 0);
    }

    #[test]
    fn concurrent_loads_of_one_source_agree() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data.csv");
        fs::write(&src, "abcde").unwrap();
        let cache = dir.path().join("cache");
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let d = load_cached(&src, &cache, |_| Ok(sample(300))).unwrap().data;
                    assert_eq!(d, sample(300));
                });
            }
        });
        assert_eq!(fs::read_dir(&cache).unwrap().count(), 1);
        assert_eq!(
            read_cache(&cache_path(
                &cache,
                &CacheKey::for_source(&src).unwrap().source
            ))
            .unwrap()
            .1,
            sample(300)
        );
    }

    #[test]
    fn unwritable_cache_dir_is_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data.csv");
        fs::write(&src, "abc").unwrap();
        // A regular file where the cache directory should be.
        let cache = dir.path().join("file");
        fs::write(&cache, "").unwrap();
        let n = Cell::new(0);
        let loaded = load_cached(&src, &cache, loader(&n)).unwrap();
        assert_eq!(loaded.data, sample(4));
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        let w = &loaded.warnings[0];
        assert!(w.starts_with("could not write data cache: "), "{w}");
        assert!(w.contains("could not create cache directory"), "{w}");
    }
}
