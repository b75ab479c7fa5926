//! The alert budget: at most N alerts a day, the highest-scoring ones.

use std::cmp::Ordering;

use crate::detect::alert::Alert;

const DAY: i64 = 86_400_000_000;

/// Ranking: score descending, then first time, then id: a total order.
pub fn rank(a: &Alert, b: &Alert) -> Ordering {
    b.score.total_cmp(&a.score).then(a.first_time.cmp(&b.first_time)).then_with(|| a.id.cmp(&b.id))
}

/// Keep the `per_day` best alerts of each UTC day (by the day they were raised); 0 means no
/// budget. Returns the kept alerts, ranked, and how many were dropped.
pub fn apply_budget(mut alerts: Vec<Alert>, per_day: usize) -> (Vec<Alert>, usize) {
    alerts.sort_by(|a, b| {
        a.raised_at.0.div_euclid(DAY).cmp(&b.raised_at.0.div_euclid(DAY)).then_with(|| rank(a, b))
    });
    let before = alerts.len();
    if per_day > 0 {
        let mut day = i64::MIN;
        let mut used = 0;
        alerts.retain(|a| {
            let d = a.raised_at.0.div_euclid(DAY);
            if d != day {
                day = d;
                used = 0;
            }
            used += 1;
            used <= per_day
        });
    }
    let dropped = before - alerts.len();
    alerts.sort_by(rank);
    (alerts, dropped)
}
