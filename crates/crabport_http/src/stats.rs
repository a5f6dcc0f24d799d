//! Honest comparisons: each measurement round is one sample, and the
//! candidate/baseline ratio of medians gets a bootstrap confidence interval.
//!
//! Treating every request as an independent sample (as autocannon-compare
//! does) ignores that requests in one run share the machine's state, and so
//! declares significance far too easily. Rounds alternate A B A B … so drift
//! (thermal, other load) hits both targets alike.

use serde::Serialize;

/// The median of `values` (mean of the middle two for an even count); NaN
/// for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        f64::midpoint(sorted[mid - 1], sorted[mid])
    }
}

/// candidate / baseline of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatioEstimate {
    /// Ratio of the medians of the rounds.
    pub ratio: f64,
    /// 95% bootstrap percentile interval.
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval lies wholly outside 1 ± noise: a difference that is both
    /// real and larger than the noise threshold.
    pub significant: bool,
}

/// Resamples for the bootstrap; enough for stable 2.5/97.5 percentiles.
pub const RESAMPLES: usize = 10_000;

/// The ratio of medians candidate/baseline with a 95% bootstrap interval
/// (each group resampled with replacement, independently). `None` when
/// either side has no samples or the baseline's median is zero.
pub fn ratio_of_medians(baseline: &[f64], candidate: &[f64], noise: f64) -> Option<RatioEstimate> {
    let base = median(baseline);
    let cand = median(candidate);
    if !(base.is_finite() && cand.is_finite()) || base == 0.0 {
        return None;
    }
    // A fixed seed: the same rounds always give the same interval.
    let mut rng = SplitMix64(0x5eed_c0ff_ee00_d00d);
    let mut ratios = Vec::with_capacity(RESAMPLES);
    let mut a = vec![0.0; baseline.len()];
    let mut b = vec![0.0; candidate.len()];
    for _ in 0..RESAMPLES {
        resample(baseline, &mut a, &mut rng);
        resample(candidate, &mut b, &mut rng);
        let m = median(&a);
        if m != 0.0 {
            ratios.push(median(&b) / m);
        }
    }
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    let (ci_low, ci_high) = (at(0.025), at(0.975));
    Some(RatioEstimate {
        ratio: cand / base,
        ci_low,
        ci_high,
        significant: ci_low > 1.0 + noise || ci_high < 1.0 - noise,
    })
}

fn resample(from: &[f64], into: &mut [f64], rng: &mut SplitMix64) {
    for slot in into.iter_mut() {
        *slot = from[rng.below(from.len())];
    }
}

/// A tiny deterministic PRNG (Steele, Lea & Flood's SplitMix64); statistics
/// need reproducibility here, not cryptographic strength.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // Lemire's multiply-shift: unbiased enough for n ≪ 2^64.
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn a_clear_speedup_is_significant() {
        let node = [1000.0, 1040.0, 980.0, 1010.0, 995.0];
        let rust = [3100.0, 3050.0, 3200.0, 2990.0, 3120.0];
        let r = ratio_of_medians(&node, &rust, 0.05).unwrap();
        assert!((r.ratio - 3100.0 / 1000.0).abs() < 1e-9);
        assert!(r.ci_low > 2.8 && r.ci_high < 3.3, "{r:?}");
        assert!(r.significant);
    }

    #[test]
    fn overlapping_noise_is_no_significant_difference() {
        let a = [1000.0, 1080.0, 950.0, 1020.0, 990.0];
        let b = [1030.0, 970.0, 1060.0, 1000.0, 1010.0];
        let r = ratio_of_medians(&a, &b, 0.05).unwrap();
        assert!(r.ci_low < 1.0 && r.ci_high > 1.0, "{r:?}");
        assert!(!r.significant);
    }

    #[test]
    fn a_real_but_tiny_difference_stays_within_the_noise_threshold() {
        // 2% faster every round, very consistently: real, but under 5%.
        let a = [1000.0, 1001.0, 999.0, 1000.5, 999.5];
        let b = [1020.0, 1021.0, 1019.0, 1020.5, 1019.5];
        let r = ratio_of_medians(&a, &b, 0.05).unwrap();
        assert!(r.ci_low > 1.0, "{r:?}");
        assert!(!r.significant);
        assert!(ratio_of_medians(&a, &b, 0.01).unwrap().significant);
    }

    #[test]
    fn no_ratio_without_a_baseline() {
        assert!(ratio_of_medians(&[], &[1.0], 0.05).is_none());
        assert!(ratio_of_medians(&[0.0, 0.0], &[1.0], 0.05).is_none());
    }

    #[test]
    fn the_interval_is_reproducible() {
        let a = [10.0, 12.0, 11.0];
        let b = [20.0, 25.0, 22.0];
        assert_eq!(
            ratio_of_medians(&a, &b, 0.05),
            ratio_of_medians(&a, &b, 0.05)
        );
    }
}
