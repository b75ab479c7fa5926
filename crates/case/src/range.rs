//! The case's time range: where the bulk of its events lie, so that one absurd timestamp (a
//! row dated 1601, 1970 or 9999 from a zeroed or saturated clock field) cannot move what is
//! concluded from the rest (detection's warm-up, the containment time, the histograms).
//!
//! Every run's events are counted per day as the run is written (a bounded histogram: beyond
//! [`MAX_BUCKETS`] distinct buckets they widen to two days, four, ...). At commit the range is
//! found robustly from the histogram of all the case's events:
//!
//! 1. the gap allowed inside the data is `max(90 days, 4 × the interquartile range)`;
//! 2. the days holding events are cut into clusters wherever two consecutive ones lie further
//!    apart than that gap;
//! 3. the range runs from the first to the last day of the heaviest cluster (of all clusters
//!    tied for heaviest).
//!
//! A quarter of the events or more can never be outside (they move the quartiles), and a
//! year of data tolerates gaps of years. Events outside are kept in the runs, counted as
//! problems, named in the manifest, and read only on request.

use std::collections::BTreeMap;

use hopscope_model::{EventFlags, EventTable};

/// The problem kind of an event dated outside the case's time range.
pub const OUT_OF_RANGE: &str = "out-of-range-time";
/// Microseconds in a day.
pub const DAY: i64 = 86_400_000_000;
/// The most buckets a histogram holds before its buckets widen.
pub const MAX_BUCKETS: usize = 1 << 16;
/// The smallest gap between clusters, in days.
const MIN_GAP_DAYS: i64 = 90;

/// The earliest event of a bucket: (time, source, position, record flag).
pub(crate) type FirstEvent = (i64, u32, u64, bool);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub count: u64,
    pub first: FirstEvent,
    pub last_time: i64,
}

/// Events counted per bucket of `width` days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TimeHistogram {
    width: i64,
    buckets: BTreeMap<i64, Bucket>,
}

impl Default for TimeHistogram {
    fn default() -> Self {
        TimeHistogram { width: 1, buckets: BTreeMap::new() }
    }
}

impl TimeHistogram {
    fn key(&self, time: i64) -> i64 {
        time.div_euclid(DAY).div_euclid(self.width)
    }

    fn put(&mut self, key: i64, b: Bucket) {
        self.buckets
            .entry(key)
            .and_modify(|e| {
                e.count += b.count;
                e.first = e.first.min(b.first);
                e.last_time = e.last_time.max(b.last_time);
            })
            .or_insert(b);
        while self.buckets.len() > MAX_BUCKETS {
            self.widen(self.width.saturating_mul(2));
        }
    }

    fn widen(&mut self, width: i64) {
        if width <= self.width {
            return;
        }
        let old = std::mem::take(&mut self.buckets);
        let ratio = width / self.width;
        self.width = width;
        for (k, b) in old {
            // `put` without the size check: widening only merges
            self.buckets
                .entry(k.div_euclid(ratio))
                .and_modify(|e| {
                    e.count += b.count;
                    e.first = e.first.min(b.first);
                    e.last_time = e.last_time.max(b.last_time);
                })
                .or_insert(b);
        }
    }

    /// Count the rows of `t` (any order; a sorted table costs one bucket look-up per day).
    pub fn add(&mut self, t: &EventTable) {
        let mut i = 0;
        while i < t.len() {
            let key = self.key(t.time[i]);
            let mut b = Bucket { count: 0, first: first_of(t, i), last_time: t.time[i] };
            while i < t.len() && self.key(t.time[i]) == key {
                b.count += 1;
                b.first = b.first.min(first_of(t, i));
                b.last_time = b.last_time.max(t.time[i]);
                i += 1;
            }
            self.put(key, b);
        }
    }

    pub fn merge(&mut self, other: &TimeHistogram) {
        self.widen(other.width);
        let ratio = self.width / other.width;
        for (&k, &b) in &other.buckets {
            self.put(k.div_euclid(ratio), b);
        }
    }

    pub fn total(&self) -> u64 {
        self.buckets.values().map(|b| b.count).sum()
    }

    /// The case's range `[start, end)` in microseconds, or `None` for no events.
    pub fn range(&self) -> Option<(i64, i64)> {
        let n = self.total();
        if n == 0 {
            return None;
        }
        let keys: Vec<(i64, u64)> = self.buckets.iter().map(|(&k, b)| (k, b.count)).collect();
        let quantile = |p: f64| -> i64 {
            let rank = ((n - 1) as f64 * p).floor() as u64;
            let mut seen = 0;
            for &(k, c) in &keys {
                seen += c;
                if seen > rank {
                    return k;
                }
            }
            keys[keys.len() - 1].0
        };
        let iqr = quantile(0.75).saturating_sub(quantile(0.25));
        let min_gap = (MIN_GAP_DAYS + self.width - 1) / self.width;
        let gap = iqr.saturating_mul(4).max(min_gap);
        // clusters: (first key, last key, events)
        let mut clusters: Vec<(i64, i64, u64)> = Vec::new();
        for &(k, c) in &keys {
            match clusters.last_mut() {
                Some(cl) if k.saturating_sub(cl.1) <= gap => {
                    cl.1 = k;
                    cl.2 += c;
                }
                _ => clusters.push((k, k, c)),
            }
        }
        let heaviest = clusters.iter().map(|c| c.2).max().unwrap_or(0);
        let first = clusters.iter().find(|c| c.2 == heaviest)?.0;
        let last = clusters.iter().rev().find(|c| c.2 == heaviest)?.1;
        let at = |k: i64| k.saturating_mul(self.width).saturating_mul(DAY);
        Some((at(first), at(last.saturating_add(1))))
    }

    /// Buckets whose events all lie outside `[start, end)`, in time order. Range bounds fall
    /// on bucket bounds, so a bucket is wholly inside or wholly outside.
    pub fn outside(&self, start: i64, end: i64) -> impl Iterator<Item = &Bucket> {
        self.buckets.values().filter(move |b| b.last_time < start || b.first.0 >= end)
    }

    /// The first and last time of events inside `[start, end)`.
    pub fn inside_span(&self, start: i64, end: i64) -> Option<(i64, i64)> {
        let mut inside = self.buckets.values().filter(|b| b.first.0 >= start && b.last_time < end);
        let first = inside.next()?;
        let last = inside.next_back().unwrap_or(first);
        Some((first.first.0, last.last_time))
    }
}

fn first_of(t: &EventTable, i: usize) -> FirstEvent {
    (t.time[i], t.source[i], t.position[i], t.flags[i] & EventFlags::RECORD.0 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(days: &[(i64, u64)]) -> TimeHistogram {
        let mut h = TimeHistogram::default();
        for &(d, c) in days {
            h.put(d, Bucket { count: c, first: (d * DAY, 0, 0, false), last_time: d * DAY + 1 });
        }
        h
    }

    const Y2019: i64 = 17_897; // 2019-01-01 in days since the epoch

    #[test]
    fn a_year_of_data_keeps_its_year_and_drops_far_outliers() {
        let mut days: Vec<(i64, u64)> = (0..365).map(|d| (Y2019 + d, 100)).collect();
        for far in [-134_774, 0, 2_932_896 - 1] {
            // 1601-01-01, 1970-01-01, 9999-12-31
            days.push((far, 1));
        }
        let (s, e) = hist(&days).range().unwrap();
        assert_eq!((s, e), (Y2019 * DAY, (Y2019 + 365) * DAY));
    }

    #[test]
    fn a_large_minority_or_a_near_gap_stays_inside() {
        // 30 % of events two years earlier: the quartiles span both
        let mut days: Vec<(i64, u64)> = (0..100).map(|d| (Y2019 + d, 70)).collect();
        days.extend((0..100).map(|d| (Y2019 - 730 + d, 30)));
        let (s, e) = hist(&days).range().unwrap();
        assert_eq!((s, e), ((Y2019 - 730) * DAY, (Y2019 + 100) * DAY));
        // a few events 60 days after a month of data: within the smallest gap
        let mut days: Vec<(i64, u64)> = (0..30).map(|d| (Y2019 + d, 100)).collect();
        days.push((Y2019 + 90, 3));
        assert_eq!(hist(&days).range().unwrap().1, (Y2019 + 91) * DAY);
    }

    #[test]
    fn tied_clusters_are_all_kept_and_one_day_is_a_range() {
        assert_eq!(hist(&[(0, 1)]).range(), Some((0, DAY)));
        assert_eq!(
            hist(&[(Y2019, 1), (-134_774, 1)]).range(),
            Some((-134_774 * DAY, (Y2019 + 1) * DAY))
        );
        assert_eq!(TimeHistogram::default().range(), None);
    }

    #[test]
    fn buckets_widen_and_stay_bounded() {
        let mut h = TimeHistogram::default();
        let mut t = EventTable::default();
        for d in 0..(MAX_BUCKETS as i64 * 3) {
            t.time.push(d * DAY);
        }
        t.source = vec![0; t.time.len()];
        t.position = vec![0; t.time.len()];
        t.flags = vec![0; t.time.len()];
        h.add(&t);
        assert!(h.buckets.len() <= MAX_BUCKETS && h.width == 4, "{} {}", h.buckets.len(), h.width);
        assert_eq!(h.total(), MAX_BUCKETS as u64 * 3);
        let mut other = TimeHistogram::default();
        other.add(&t);
        h.merge(&other);
        assert_eq!(h.total(), MAX_BUCKETS as u64 * 6);
    }
}
