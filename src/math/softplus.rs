//! softplus(ρ) = ln(1 + e^ρ), its derivative sigmoid(ρ), and its inverse: the guide's scales.
//!
//! Domain: every finite ρ. Both variants give softplus and sigmoid within 4ε (relative; ε the
//! precision's machine epsilon) of their definitions evaluated by libm, and within 4ε of each
//! other (tested):
//!
//! * [`wide::softplus_sigmoid`] (hosts): branch-free ([`wide::softplus_sigmoid_core`], whose
//!   loops vectorise), libm only where e^{−|ρ|} leaves the normal range;
//! * [`compact::softplus_sigmoid`] (the `vireg_compact` cfg, microcontrollers): one
//!   [`exp_nonpos`](super::exp::exp_nonpos) and one [`ln_1p_small`](super::ln1p::ln_1p_small),
//!   branches to libm (less flash).
//!
//! [`softplus_inv`] inverts softplus within 10⁻⁹·(1 + |ρ|) in f64 (tested).

#![forbid(unsafe_code)]

use crate::real::Real;

/// softplus(ρ) = ln(1 + e^ρ) and sigmoid(ρ) = its derivative, stable for every finite ρ: the
/// build's variant: [`wide::softplus_sigmoid`], or [`compact::softplus_sigmoid`] with the
/// `vireg_compact` cfg.
#[inline]
pub(crate) fn softplus_sigmoid<T: Real>(rho: T) -> (T, T) {
    #[cfg(vireg_compact)]
    return compact::softplus_sigmoid(rho);
    #[cfg(not(vireg_compact))]
    wide::softplus_sigmoid(rho)
}

/// The hosts' variant.
#[cfg(any(test, not(vireg_compact)))]
pub(crate) mod wide {
    use crate::math::exp::exp_core;
    use crate::math::ln1p::ln_1p_unit;
    use crate::real::Real;

    /// [`softplus_sigmoid`](super::softplus_sigmoid) on hosts: the branch-free
    /// [`softplus_sigmoid_core`] and, in the rare case it cannot take (e^{−|ρ|} below the normal
    /// range: ρ < [`Real::RHO_MIN`] or ρ above 700 in f64 / 87 in f32), libm.
    #[inline]
    pub(crate) fn softplus_sigmoid<T: Real>(rho: T) -> (T, T) {
        let (sp, sig, ok) = softplus_sigmoid_core(rho);
        if ok {
            (sp, sig)
        } else {
            softplus_sigmoid_libm(rho)
        }
    }

    /// [`softplus_sigmoid`] by libm's `exp` and `ln_1p`, for every finite ρ (off the fast path).
    #[inline(never)]
    fn softplus_sigmoid_libm<T: Real>(rho: T) -> (T, T) {
        let e = (-rho.abs()).exp();
        let inv = T::ONE / (T::ONE + e);
        let sig = if rho > T::ZERO { inv } else { e * inv };
        (rho.max(T::ZERO) + e.ln_1p(), sig)
    }

    /// softplus(ρ), sigmoid(ρ) and whether they are right: without a branch or a call, so that a
    /// loop of them vectorises. The third value is false when e^{−|ρ|} is below
    /// [`Real::EXP_LO`]'s exponential (the argument is clamped there, which is only exact for a
    /// large positive ρ; a NaN ρ gives false).
    #[inline(always)]
    pub(crate) fn softplus_sigmoid_core<T: Real>(rho: T) -> (T, T, bool) {
        let pos = rho > T::ZERO;
        let neg = if pos { -rho } else { rho };
        let ok = neg >= T::EXP_LO;
        let e = exp_core(if ok { neg } else { T::EXP_LO }); // e^{−|ρ|} ∈ (0, 1]
        let sp = (if pos { rho } else { T::ZERO }) + ln_1p_unit(e);
        let inv = T::ONE / (T::ONE + e);
        let sig = if pos { inv } else { e * inv };
        (sp, sig, ok)
    }
}

/// The microcontrollers' variant.
#[cfg(any(test, vireg_compact))]
pub(crate) mod compact {
    use crate::math::exp::exp_nonpos;
    use crate::math::ln1p::ln_1p_small;
    use crate::real::Real;

    /// softplus(ρ) = ln(1 + e^ρ) and sigmoid(ρ) = its derivative, with one `exp` and one `ln_1p`,
    /// stable for every finite ρ: the microcontrollers' version (branches to libm instead of the
    /// hosts' branch-free evaluation, which costs more flash and saves no time without a vector
    /// unit). Tested on hosts too.
    #[inline]
    pub(crate) fn softplus_sigmoid<T: Real>(rho: T) -> (T, T) {
        let neg = if rho > T::ZERO { -rho } else { rho };
        let e = exp_nonpos(neg); // e^{-|ρ|} ∈ (0, 1]
        let sp = rho.max(T::ZERO) + ln_1p_small(e);
        let inv = T::ONE / (T::ONE + e);
        let sig = if rho > T::ZERO { inv } else { e * inv };
        (sp, sig)
    }
}

/// softplus(ρ) alone.
#[inline]
pub(crate) fn softplus<T: Real>(rho: T) -> T {
    softplus_sigmoid(rho).0
}

/// The inverse of softplus: ρ with softplus(ρ) = s, for s > 0. Not inlined (code size; off the
/// SVI path).
#[inline(never)]
pub(crate) fn softplus_inv<T: Real>(s: T) -> T {
    // ln(e^s − 1) = s + ln(1 − e^{−s}); the second form is stable for large s.
    if s > T::c(15.0) {
        s + (-(-s).exp()).ln_1p()
    } else {
        s.exp_m1().ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `a` is within `k` units of `T::EPSILON` of `b`, relatively; below the normal
    /// range (a sigmoid of ρ < −708 in f64, −87 in f32), within `k` times the smallest normal.
    fn close<T: Real>(a: T, b: T, k: f64) -> bool {
        let (a, b) = (a.to_f64(), b.to_f64());
        let eps = T::EPSILON.to_f64();
        let tiny = if T::BYTES == 8 {
            f64::MIN_POSITIVE
        } else {
            f32::MIN_POSITIVE as f64
        };
        a == b || (a - b).abs() <= k * eps * b.abs().max(tiny)
    }

    /// The hosts' and the microcontrollers' softplus and sigmoid agree within 4ε (relative):
    /// each is within a few units of the last place of the definition.
    fn variants_agree<T: Real>(edges: &[f64]) {
        let check = |rho: T| {
            let (a, b) = (wide::softplus_sigmoid(rho), compact::softplus_sigmoid(rho));
            assert!(close(a.0, b.0, 4.0), "softplus({rho:?}): {a:?} vs {b:?}");
            assert!(close(a.1, b.1, 4.0), "sigmoid({rho:?}): {a:?} vs {b:?}");
        };
        let mut rho = -60.0f64;
        while rho < 60.0 {
            check(T::c(rho));
            rho += 0.0137;
        }
        for &e in edges {
            check(T::c(e));
            check(T::c(-e));
        }
    }

    #[test]
    fn softplus_variants_agree() {
        let common = [
            0.0, 1e-300, 1e-30, 1e-7, 0.5, 1.0, 2.0, 2.0625, 5.0, 30.0, 79.9, 80.0, 80.1, 86.9,
            87.0, 87.1,
        ];
        variants_agree::<f32>(&common);
        let mut f64_edges = common.to_vec();
        f64_edges.extend([100.0, 699.9, 700.0, 700.1, 708.0, 709.0, 745.0, 1e6]);
        variants_agree::<f64>(&f64_edges);
        let mut f32_edges = common.to_vec();
        f32_edges.extend([88.0, 103.0, 104.0, 1e6]);
        variants_agree::<f32>(&f32_edges);
    }

    #[test]
    fn softplus_matches_its_definition() {
        let mut rho = -60.0f64;
        while rho < 60.0 {
            let (s, g) = softplus_sigmoid(rho);
            let want = if rho > 30.0 {
                rho + libm::exp(-rho)
            } else {
                libm::log1p(libm::exp(rho))
            };
            assert!(
                ((s - want) / want).abs() < 4.0 * f64::EPSILON,
                "softplus({rho}) = {s} vs {want}"
            );
            let sig = 1.0 / (1.0 + libm::exp(-rho));
            assert!(((g - sig) / sig).abs() < 4.0 * f64::EPSILON);
            let r32 = rho as f32;
            let (s32, _) = softplus_sigmoid(r32);
            let r64 = r32 as f64;
            let want32 = if r64 > 30.0 {
                r64 + libm::exp(-r64)
            } else {
                libm::log1p(libm::exp(r64))
            };
            assert!(
                ((s32 as f64 - want32) / want32).abs() < 4.0 * f32::EPSILON as f64,
                "f32 softplus({rho})"
            );
            assert!((softplus_inv(s) - rho).abs() < 1e-9 * (1.0 + rho.abs()) || s == rho);
            rho += 0.0137;
        }
    }
}
