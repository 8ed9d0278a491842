//! A log-bucketed histogram of durations in nanoseconds: 64 sub-buckets
//! per power of two, so any value it reports is within 1/64 (1.6%) of
//! the recorded one: fine enough to compare p50s a few percent apart.
//! Fixed size (30 KiB), no allocation per record, mergeable across
//! connections.

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
/// Enough buckets for every `u64`.
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;

/// Counts of values in logarithmic buckets, with the exact maximum.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(value: u64) -> usize {
    if value < SUB as u64 {
        return value as usize;
    }
    let exp = 63 - value.leading_zeros();
    let sub = (value >> (exp - SUB_BITS)) as usize & (SUB - 1);
    (exp - SUB_BITS + 1) as usize * SUB + sub
}

/// The smallest and largest value that land in bucket `index`.
fn bounds_of(index: usize) -> (u64, u64) {
    if index < SUB {
        return (index as u64, index as u64);
    }
    let exp = (index / SUB) as u32 + SUB_BITS - 1;
    let sub = (index % SUB) as u64;
    let low = (1u64 << exp) | (sub << (exp - SUB_BITS));
    let width = 1u64 << (exp - SUB_BITS);
    (low, low + (width - 1))
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether no value was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The largest value recorded, exactly (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0.0 to 1.0): the middle of the bucket
    /// holding the value of that rank, never above the maximum; the
    /// maximum itself for the last rank (0 when empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        // The rank (1-based) of the value asked for.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        if rank >= self.total {
            return self.max;
        }
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bounds_of(index);
                return (low + (high - low) / 2).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        for value in (0..5000).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let index = bucket_of(value);
            let (low, high) = bounds_of(index);
            assert!(
                low <= value && value <= high,
                "{value} in {index}: {low}..={high}"
            );
            // Within 1/64 of the value.
            assert!((high - low) <= value / 64, "{value}: {low}..={high}");
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let close = |got: u64, want: u64| {
            assert!(
                got.abs_diff(want) <= want / 16,
                "got {got}, want about {want}"
            );
        };
        close(h.quantile(0.5), 500_000);
        close(h.quantile(0.9), 900_000);
        close(h.quantile(0.99), 990_000);
        assert_eq!(h.quantile(1.0), 1_000_000);
        assert_eq!(h.max(), 1_000_000);

        let mut other = Histogram::new();
        other.record(7);
        h.merge(&other);
        assert_eq!(h.len(), 1001);
        assert_eq!(h.quantile(0.0), 7);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }
}
