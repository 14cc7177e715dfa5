//! eˣ for x ≤ 0 and the pair (eˣ, e⁻ˣ), by Cody–Waite reduction and a Taylor polynomial.
//!
//! * [`exp_core`]: domain [[`Real::EXP_LO`], 0] (−700 in f64, −87 in f32), without a branch
//!   (a loop of them vectorises); outside the domain the result is wrong (callers clamp).
//!   Relative error below 3ε of libm's `exp` (ε the precision's machine epsilon), tested.
//! * [`exp_nonpos`]: every x ≤ 0 (libm below −700 / −87 and for NaN); relative error below 4ε
//!   of libm's (tested). The compact variant: a loop, no vector unit assumed.
//! * [`exp_pair`]: (eˣ, e⁻ˣ) for every x, one exponential and one division: [`wide::exp_pair`]
//!   (by [`exp_core`]) or [`compact::exp_pair`] (libm's `exp`); each within 4ε of libm's
//!   (relative) where the result is a normal number, the two within 8ε of each other.

#![forbid(unsafe_code)]

use crate::real::Real;

/// ln 2 = hi + lo with hi's low bits zero, so that k·hi is exact for |k| < 2¹¹ (f64) / 2⁸
/// (f32): the Cody–Waite reduction of the exponentials.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn ln2_split<T: Real>() -> (T, T) {
    if T::BYTES == 8 {
        (
            T::c(6.931_471_803_691_238_2e-1),
            T::c(1.908_214_929_270_587_7e-10),
        )
    } else {
        (T::c(0.693_145_751_953_125), T::c(1.428_606_765_330_187e-6))
    }
}

/// (eˣ, e⁻ˣ) for any x: the build's variant ([`wide::exp_pair`], or [`compact::exp_pair`] with
/// the `vireg_compact` cfg).
#[inline(always)]
pub(crate) fn exp_pair<T: Real>(x: T) -> (T, T) {
    #[cfg(vireg_compact)]
    return compact::exp_pair(x);
    #[cfg(not(vireg_compact))]
    wide::exp_pair(x)
}

/// The hosts' variants: branch-free kernels whose loops vectorise.
#[cfg(any(test, not(vireg_compact)))]
pub(crate) mod wide {
    use super::exp_core;
    use crate::real::Real;

    /// (eˣ, e⁻ˣ) for any x: one exponential of −|x| ([`exp_core`], or libm's beyond its range)
    /// and one division.
    #[inline(always)]
    pub(crate) fn exp_pair<T: Real>(x: T) -> (T, T) {
        let pos = x > T::ZERO;
        let neg = if pos { -x } else { x };
        let small = if neg < T::EXP_LO {
            neg.exp()
        } else {
            exp_core(neg)
        };
        let big = T::ONE / small;
        if pos {
            (big, small)
        } else {
            (small, big)
        }
    }
}

/// The microcontrollers' variants: less flash, no vector unit assumed.
#[cfg(any(test, vireg_compact))]
pub(crate) mod compact {
    use crate::real::Real;

    /// (eˣ, e⁻ˣ) for any x: libm's exponential and one division.
    #[inline(always)]
    pub(crate) fn exp_pair<T: Real>(x: T) -> (T, T) {
        let e = x.exp();
        (e, T::ONE / e)
    }
}

/// eˣ for x in [[`Real::EXP_LO`], 0], without a branch: x = k·ln2 + r with k = round(x/ln2)
/// found by adding a shifter (the integer lands in the low bits of the sum), ln2 split so that
/// k·LN2_HI is exact, a Taylor polynomial in r (|r| ≤ ln2/2) truncated where the remainder is
/// below the precision's epsilon (degree 13 in f64, 7 in f32), and 2ᵏ from the shifter's bits.
/// Within 3 units of the last place of libm's (tested).
#[cfg(any(test, not(vireg_compact)))]
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub(crate) fn exp_core<T: Real>(x: T) -> T {
    let kd = x * T::c(core::f64::consts::LOG2_E) + T::SHIFTER;
    let k = kd - T::SHIFTER;
    let (hi, lo) = ln2_split::<T>();
    let r = (x - k * hi) - k * lo;
    // Estrin's scheme (pairs, then pairs of pairs, …): a dependency chain of four
    // multiply-adds instead of Horner's thirteen.
    let c = |v: f64| T::c(v);
    let r2 = r * r;
    let r4 = r2 * r2;
    let poly = if T::BYTES == 8 {
        let q0 = T::ONE + r;
        let q1 = c(1.0 / 2.0) + c(1.0 / 6.0) * r;
        let q2 = c(1.0 / 24.0) + c(1.0 / 120.0) * r;
        let q3 = c(1.0 / 720.0) + c(1.0 / 5_040.0) * r;
        let q4 = c(1.0 / 40_320.0) + c(1.0 / 362_880.0) * r;
        let q5 = c(1.0 / 3_628_800.0) + c(1.0 / 39_916_800.0) * r;
        let q6 = c(1.0 / 479_001_600.0) + c(1.0 / 6_227_020_800.0) * r;
        let t0 = (q0 + q1 * r2) + (q2 + q3 * r2) * r4;
        let t1 = (q4 + q5 * r2) + q6 * r4;
        t0 + t1 * (r4 * r4)
    } else {
        let q0 = T::ONE + r;
        let q1 = c(1.0 / 2.0) + c(1.0 / 6.0) * r;
        let q2 = c(1.0 / 24.0) + c(1.0 / 120.0) * r;
        let q3 = c(1.0 / 720.0) + c(1.0 / 5_040.0) * r;
        (q0 + q1 * r2) + (q2 + q3 * r2) * r4
    };
    poly * T::pow2_shifted(kd)
}

/// eˣ for x ≤ 0 (x ≥ −700 in f64, −87 in f32; below that libm's exp handles the underflow).
/// Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, then a Taylor polynomial truncated where
/// the remainder is below the precision's epsilon (degree 13 in f64, 7 in f32), then 2ᵏ. About
/// half the instructions of libm's general exp, which also handles every special case.
#[cfg(any(test, vireg_compact))]
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub(crate) fn exp_nonpos<T: Real>(x: T) -> T {
    let lim = if T::BYTES == 8 {
        T::c(-700.0)
    } else {
        T::c(-87.0)
    };
    if x.is_nan_value() || x < lim {
        return x.exp();
    }
    let kf = (x * T::c(core::f64::consts::LOG2_E) - T::c(0.5)).to_i32_trunc();
    let k = T::from_i32(kf);
    let (hi, lo) = ln2_split::<T>();
    let r = (x - k * hi) - k * lo;
    // The coefficients are converted to T in the arrays, not in the loops: a loop that is not
    // unrolled would convert at run time (software double on f32 targets).
    let poly = if T::BYTES == 8 {
        let mut acc = T::c(1.0 / 6_227_020_800.0); // 1/13!
        for c in [
            T::c(1.0 / 479_001_600.0),
            T::c(1.0 / 39_916_800.0),
            T::c(1.0 / 3_628_800.0),
            T::c(1.0 / 362_880.0),
            T::c(1.0 / 40_320.0),
            T::c(1.0 / 5_040.0),
            T::c(1.0 / 720.0),
            T::c(1.0 / 120.0),
            T::c(1.0 / 24.0),
            T::c(1.0 / 6.0),
            T::c(0.5),
            T::ONE,
            T::ONE,
        ] {
            acc = acc * r + c;
        }
        acc
    } else {
        let mut acc = T::c(1.0 / 5_040.0);
        for c in [
            T::c(1.0 / 720.0),
            T::c(1.0 / 120.0),
            T::c(1.0 / 24.0),
            T::c(1.0 / 6.0),
            T::c(0.5),
            T::ONE,
            T::ONE,
        ] {
            acc = acc * r + c;
        }
        acc
    };
    poly * T::pow2i(kf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_core_matches_libm() {
        let mut worst64 = 0.0f64;
        let mut worst32 = 0.0f64;
        let mut x = 0.0f64;
        while x >= -700.0 {
            let (a, b) = (exp_core(x), libm::exp(x));
            worst64 = worst64.max(((a - b) / b).abs());
            if x >= -87.0 {
                let (c, d) = (exp_core(x as f32) as f64, libm::exp(x as f32 as f64));
                worst32 = worst32.max(((c - d) / d).abs());
            }
            x -= 0.000_731;
        }
        for x in [-700.0, -0.5 * core::f64::consts::LN_2, -1e-300, -0.0] {
            worst64 = worst64.max(((exp_core(x) - libm::exp(x)) / libm::exp(x)).abs());
        }
        let x = -87.0f32;
        worst32 = worst32.max(((exp_core(x) as f64 - libm::exp(-87.0)) / libm::exp(-87.0)).abs());
        assert!(
            worst64 < 3.0 * f64::EPSILON,
            "f64 worst relative error {worst64}"
        );
        assert!(
            worst32 < 3.0 * f32::EPSILON as f64,
            "f32 worst relative error {worst32}"
        );
        assert_eq!(exp_core(0.0f64), 1.0);
        assert_eq!(exp_core(0.0f32), 1.0);
    }

    #[test]
    fn exp_pair_matches_libm() {
        for x in [
            -800.0, -700.5, -3.0, -1e-10, 0.0, 1e-10, 0.7, 5.0, 699.0, 705.0, 709.0,
        ] {
            let (a, b) = exp_pair(x);
            let (ea, eb) = (libm::exp(x), libm::exp(-x));
            assert!(
                a == ea || ((a - ea) / ea).abs() < 4.0 * f64::EPSILON,
                "e^{x}: {a} vs {ea}"
            );
            if eb.is_finite() {
                assert!(
                    ((b - eb) / eb).abs() < 4.0 * f64::EPSILON,
                    "e^-{x}: {b} vs {eb}"
                );
            } else {
                assert_eq!(b, f64::INFINITY);
            }
            let x32 = x as f32;
            let (c, _) = exp_pair(x32);
            let ec = libm::exp(x32 as f64);
            if ec < f32::MAX as f64 && ec > f32::MIN_POSITIVE as f64 {
                assert!(
                    ((c as f64 - ec) / ec).abs() < 4.0 * f32::EPSILON as f64,
                    "f32 e^{x}"
                );
            }
        }
    }

    #[test]
    fn exp_nonpos_matches_libm() {
        let mut x = 0.0f64;
        while x > -700.0 {
            let (a, b) = (exp_nonpos(x), libm::exp(x));
            assert!(((a - b) / b).abs() < 4.0 * f64::EPSILON, "exp_nonpos({x})");
            if x > -87.0 {
                let (c, d) = (exp_nonpos(x as f32) as f64, libm::exp(x as f32 as f64));
                assert!(
                    ((c - d) / d).abs() < 4.0 * f32::EPSILON as f64,
                    "f32 exp_nonpos({x})"
                );
            }
            x -= 0.000_731;
        }
        assert_eq!(exp_nonpos(-1000.0f64), 0.0);
        assert_eq!(exp_nonpos(-0.0f64), 1.0);
        assert!(exp_nonpos(f64::NAN).is_nan());
    }

    /// The two (eˣ, e⁻ˣ): within 8ε of each other (relative) wherever both values are normal
    /// numbers (|x| ≤ 708 in f64, 87 in f32): each is within 4ε of libm's.
    fn exp_pair_variants_agree<T: Real>(lim: f64) {
        let check = |x: f64| {
            let (a, b) = (wide::exp_pair(T::c(x)), compact::exp_pair(T::c(x)));
            for (u, v) in [(a.0, b.0), (a.1, b.1)] {
                let (u, v) = (u.to_f64(), v.to_f64());
                assert!(
                    (u - v).abs() <= 8.0 * T::EPSILON.to_f64() * v.abs(),
                    "exp_pair({x}): {a:?} vs {b:?}"
                );
            }
        };
        let mut x = -lim;
        while x <= lim {
            check(x);
            x += lim / 9_973.0;
        }
        for x in [0.0, -0.0, 1e-300, -1e-300, 1e-7, 0.5, 1.0, lim, -lim] {
            check(x);
        }
    }

    #[test]
    fn exp_pair_variants_agree_within_8_eps() {
        exp_pair_variants_agree::<f64>(708.0);
        exp_pair_variants_agree::<f32>(87.0);
    }
}
