//! A split's rows on the host, laid out for the fused engine's random access: gathered a batch
//! at a time into feature-major buffers, prefetched ahead, in huge pages where Linux allows.

/// A split's rows on the host: what the fused engine trains and evaluates on (a copy of a
/// [`crate::data::Dataset`]'s, made by `DeviceSplits::upload`).
pub struct HostSplit {
    features: Vec<f32>,
    labels: Vec<u8>,
    width: usize,
}

impl HostSplit {
    /// The rows of `table` (row-major, `stride` values per row): each row's first `width`
    /// values are its features, the value at `label_at` its class. The features are copied
    /// once, into memory backed by huge pages where the system allows.
    pub fn from_table(table: &[f32], stride: usize, width: usize, label_at: usize) -> Self {
        let rows = table.len() / stride;
        let mut features = huge_page_vec(rows * width);
        let mut labels = Vec::with_capacity(rows);
        for row in table.chunks_exact(stride) {
            features.extend_from_slice(&row[..width]);
            labels.push(row[label_at] as u8);
        }
        HostSplit {
            features,
            labels,
            width,
        }
    }

    /// Rows in the split.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the split has no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Features per row.
    pub fn features(&self) -> usize {
        self.width
    }

    /// Rows `rows` as feature-major features `x: [features][rows]` and their labels. Rows
    /// are read in random order from a table larger than the caches, so each is prefetched a
    /// few rows ahead of its use.
    pub fn gather(&self, rows: &[u32], x: &mut Vec<f32>, labels: &mut Vec<u8>) {
        const AHEAD: usize = 16;
        let (f, b) = (self.width, rows.len());
        x.resize(f * b, 0.0);
        labels.resize(b, 0);
        for (k, &i) in rows.iter().enumerate() {
            if let Some(&next) = rows.get(k + AHEAD) {
                // A row may straddle two cache lines (the table is not 64-byte aligned).
                let row = &self.features[next as usize * f..(next as usize + 1) * f];
                prefetch(row.as_ptr());
                prefetch(row[f - 1..].as_ptr());
                prefetch(self.labels[next as usize..].as_ptr());
            }
            let i = i as usize;
            let row = &self.features[i * f..(i + 1) * f];
            for (column, &v) in x.chunks_exact_mut(b).zip(row) {
                column[k] = v;
            }
            labels[k] = self.labels[i];
        }
    }
}

/// An empty vector with room for `len` values, in memory that the kernel is asked to back
/// with huge pages (Linux, where transparent huge pages are on `madvise`): rows read in random
/// order from a table of tens of megabytes otherwise miss the TLB on nearly every read. Only a
/// hint, given before the memory is touched: the values are the same either way.
fn huge_page_vec(len: usize) -> Vec<f32> {
    let values: Vec<f32> = Vec::with_capacity(len);
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = values.as_ptr() as usize;
        let end = start + len * std::mem::size_of::<f32>();
        let first = start.next_multiple_of(HUGE);
        if end > first + HUGE {
            // SAFETY: the range lies inside the vector's own (still untouched) allocation;
            // madvise changes how it is backed, not its contents or validity.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    (end - first) / HUGE * HUGE,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    values
}

/// Asks the CPU to bring the cache line holding `*at` into the cache (a hint; no effect on
/// results, and none on other architectures).
#[inline(always)]
fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault; the pointer is into a live slice.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
