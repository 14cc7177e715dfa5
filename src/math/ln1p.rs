//! ln(1 + e) for e ∈ [0, 1]: the series 2·atanh(e/(2 + e)), the log1p of a softplus.
//!
//! * [`ln_1p_unit`]: domain [0, 1], without a branch (a loop of them vectorises); relative
//!   error below 3ε of libm's `log1p` (ε the precision's machine epsilon) for 0 and every
//!   normal e, tested. The hosts' variant.
//! * [`ln_1p_small`]: domain [0, 1]; the series below 0.136, libm's `log1p` above. Relative
//!   error below 3ε of libm's, tested. The microcontrollers' variant (less flash).
//!
//! The two agree within 4ε (relative) on [0, 1], tested.

#![forbid(unsafe_code)]

use crate::real::Real;

/// ln(1 + e) for e in [0, 1], without a branch: 1 + e = 2ᵏ(1 + f) with k = 1 above √2
/// (f = (e − 1)/2), then ln(1 + f) = 2·atanh(w) = 2(w + w³/3 + w⁵/5 + …), w = f/(2 + f),
/// |w| ≤ 0.1716, truncated where the remainder is below the precision's epsilon (10 terms in
/// f64, 5 in f32). Relative error of a few units of the last place for 0 and every normal e
/// (tested), the smallest included.
#[cfg(any(test, not(vireg_compact)))]
#[inline(always)]
pub(crate) fn ln_1p_unit<T: Real>(e: T) -> T {
    let big = e > T::c(core::f64::consts::SQRT_2 - 1.0);
    let f = if big { (e - T::ONE) * T::c(0.5) } else { e };
    // t = 2w (not w: f/2 of the smallest normal f would be subnormal).
    let t = f / (T::ONE + T::c(0.5) * f);
    let w2 = T::c(0.25) * t * t;
    // 1/3 + w²/5 + w⁴/7 + …, by Estrin's scheme in w² (see exp_core).
    let c = |v: f64| T::c(v);
    let w4 = w2 * w2;
    let poly = if T::BYTES == 8 {
        let q0 = c(1.0 / 3.0) + c(1.0 / 5.0) * w2;
        let q1 = c(1.0 / 7.0) + c(1.0 / 9.0) * w2;
        let q2 = c(1.0 / 11.0) + c(1.0 / 13.0) * w2;
        let q3 = c(1.0 / 15.0) + c(1.0 / 17.0) * w2;
        let w8 = w4 * w4;
        ((q0 + q1 * w4) + (q2 + q3 * w4) * w8) + c(1.0 / 19.0) * (w8 * w8)
    } else {
        (c(1.0 / 3.0) + c(1.0 / 5.0) * w2) + (c(1.0 / 7.0) + c(1.0 / 9.0) * w2) * w4
    };
    let ln2 = if big {
        T::c(core::f64::consts::LN_2)
    } else {
        T::ZERO
    };
    ln2 + (t + t * w2 * poly)
}

/// ln(1 + e) for e ∈ [0, 1]: for e ≤ 0.136 (|ρ| ≥ 2, every scale below 0.127) by the series
/// ln(1+e) = 2·atanh(w) = 2(w + w³/3 + w⁵/5 + …), w = e/(2+e) ≤ 0.0637, truncated where the
/// remainder is below the precision's epsilon (7 terms in f64, 3 in f32); otherwise libm.
#[cfg(any(test, vireg_compact))]
#[inline(always)]
pub(crate) fn ln_1p_small<T: Real>(e: T) -> T {
    if e > T::c(0.136) {
        return e.ln_1p();
    }
    let w = e / (T::c(2.0) + e);
    let w2 = w * w;
    let poly = if T::BYTES == 8 {
        T::ONE
            + w2 * (T::c(1.0 / 3.0)
                + w2 * (T::c(1.0 / 5.0)
                    + w2 * (T::c(1.0 / 7.0)
                        + w2 * (T::c(1.0 / 9.0)
                            + w2 * (T::c(1.0 / 11.0) + w2 * T::c(1.0 / 13.0))))))
    } else {
        T::ONE + w2 * (T::c(1.0 / 3.0) + w2 * T::c(1.0 / 5.0))
    };
    T::c(2.0) * w * poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_1p_unit_matches_libm() {
        let (mut worst64, mut worst32) = (0.0f64, 0.0f64);
        let mut check = |e: f64| {
            let want = libm::log1p(e);
            if want > 0.0 {
                worst64 = worst64.max(((ln_1p_unit(e) - want) / want).abs());
            } else {
                assert_eq!(ln_1p_unit(e), 0.0);
            }
            let e32 = e as f32;
            let want32 = libm::log1p(e32 as f64);
            if want32 > 0.0 {
                worst32 = worst32.max(((ln_1p_unit(e32) as f64 - want32) / want32).abs());
            }
        };
        let mut e = 0.0f64;
        while e <= 1.0 {
            check(e);
            e += 0.000_013_7;
        }
        let sqrt2m1 = core::f64::consts::SQRT_2 - 1.0;
        for e in [
            1.0,
            sqrt2m1,
            sqrt2m1 * (1.0 + 1e-15),
            1e-300,
            1e-30,
            1e-9,
            1.2e-38,
        ] {
            check(e);
        }
        assert!(worst64 < 3.0 * f64::EPSILON, "f64 worst {worst64}");
        assert!(worst32 < 3.0 * f32::EPSILON as f64, "f32 worst {worst32}");
    }

    /// The compact variant against libm, and against the branch-free one: both within 3ε of
    /// libm (relative), so within 4ε of each other (ε of the precision; 0 gives 0 exactly).
    fn small_matches<T: Real>() {
        let eps = T::EPSILON.to_f64();
        let (mut worst_libm, mut worst_pair) = (0.0f64, 0.0f64);
        let mut check = |e: f64| {
            let x = T::c(e);
            let want = libm::log1p(x.to_f64());
            let (a, b) = (ln_1p_small(x).to_f64(), ln_1p_unit(x).to_f64());
            if want == 0.0 {
                assert_eq!((a, b), (0.0, 0.0), "ln(1 + {e})");
                return;
            }
            worst_libm = worst_libm.max(((a - want) / want).abs());
            worst_pair = worst_pair.max(((a - b) / b).abs());
        };
        let mut e = 0.0f64;
        while e <= 1.0 {
            check(e);
            e += 0.000_013_7;
        }
        for e in [1.0, 0.136, 0.1359, 0.1361, 0.414, 1e-30, 1e-9, 1.2e-38] {
            check(e);
        }
        assert!(worst_libm < 3.0 * eps, "worst against libm {worst_libm:e}");
        assert!(
            worst_pair < 4.0 * eps,
            "worst between the two {worst_pair:e}"
        );
    }

    #[test]
    fn ln_1p_small_matches_libm_and_ln_1p_unit() {
        small_matches::<f64>();
        small_matches::<f32>();
    }
}
