//! Parsers of command-line values shared by several commands.

/// A number option: any finite decimal. `NaN` and infinities are refused, because every
/// comparison with NaN is false (`--min-score NaN` would raise no alert and say nothing).
pub fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("expected a number, found {s:?}"))?;
    if !v.is_finite() {
        return Err(format!("expected a finite number, found {s:?}"));
    }
    Ok(v)
}

/// A finite number greater than zero (a scale).
pub fn positive(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v <= 0.0 {
        return Err(format!("expected a number greater than 0, found {s:?}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_numbers_are_refused() {
        for bad in ["NaN", "nan", "inf", "-inf", "infinity", "+Infinity", "1e999", "", "x"] {
            assert!(finite(bad).is_err(), "{bad:?}");
        }
        assert_eq!(finite("4.5"), Ok(4.5));
        assert_eq!(finite("-1"), Ok(-1.0));
        assert!(positive("0").is_err());
        assert!(positive("-2").is_err());
        assert_eq!(positive("0.25"), Ok(0.25));
    }
}
