//! The scalar type: one trait over `f32` and `f64`, backed by `libm` so it works without `std`.
//!
//! Every constant the kernel needs is written once, in `f64`, and converted by
//! [`Real::c`]; on `f32` targets the conversion is folded at compile time, so the
//! f32 code path never calls software double-precision routines.

#![forbid(unsafe_code)]

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// Floating-point scalar the kernel computes in: implemented for `f32` (microcontrollers)
/// and `f64` (hosts). Sealed: no other type can implement it.
pub trait Real:
    sealed::Sealed
    + Copy
    + Default
    + Debug
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// Largest finite value.
    const MAX: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Number of bytes of the value in a checkpoint.
    const BYTES: usize;
    /// A ρ below this gives a scale softplus(ρ) too close to underflow to be trusted.
    const RHO_MIN: Self;

    /// Converts a constant (folded at compile time when `v` is a literal).
    fn c(v: f64) -> Self;
    /// Widens to `f64` (host-side code, tests and printing only).
    fn to_f64(self) -> f64;
    /// Converts a count.
    fn from_u64(n: u64) -> Self;
    /// Truncates towards zero to an integer (saturating; NaN gives 0).
    fn to_u64(self) -> u64;
    /// Truncates towards zero to an `i32` (saturating).
    fn to_i32_trunc(self) -> i32;
    /// Converts a small integer.
    fn from_i32(k: i32) -> Self;
    /// 2ᵏ for k in the normal exponent range, built from the bits.
    fn pow2i(k: i32) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// eˣ.
    fn exp(self) -> Self;
    /// eˣ − 1, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// ln(1 + x), accurate near 0.
    fn ln_1p(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Whether the value is neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// Little-endian bytes into `out[..Self::BYTES]`.
    fn write_le(self, out: &mut [u8]);
    /// Reads little-endian bytes from `b[..Self::BYTES]`.
    fn read_le(b: &[u8]) -> Self;
    /// Raw bits widened to `u64` (bit-exact comparisons in tests and checkpoints).
    fn to_bits_u64(self) -> u64;

    /// Whether the value is NaN.
    #[inline(always)]
    #[allow(clippy::eq_op)]
    fn is_nan_value(self) -> bool {
        self != self
    }
    /// Larger of two values (NaN-propagation is not relied upon).
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        if self >= o {
            self
        } else {
            o
        }
    }
    /// Smaller of two values.
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        if self <= o {
            self
        } else {
            o
        }
    }
}

macro_rules! impl_real {
    ($t:ty, $ubits:ty, $bias:expr, $mant:expr, $bytes:expr, $rhomin:expr, $from_u64:path, $to_u64:path, $sqrt:path, $exp:path, $expm1:path, $ln:path, $ln1p:path, $fabs:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const MAX: Self = <$t>::MAX;
            const INFINITY: Self = <$t>::INFINITY;
            const BYTES: usize = $bytes;
            const RHO_MIN: Self = $rhomin;
            #[inline(always)]
            fn c(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_u64(n: u64) -> Self {
                $from_u64(n)
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                $to_u64(self)
            }
            #[inline(always)]
            fn to_i32_trunc(self) -> i32 {
                self as i32
            }
            #[inline(always)]
            fn from_i32(k: i32) -> Self {
                k as $t
            }
            #[inline(always)]
            fn pow2i(k: i32) -> Self {
                <$t>::from_bits(((k + $bias) as $ubits) << $mant)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                $expm1(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                $ln1p(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $fabs(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn write_le(self, out: &mut [u8]) {
                out[..$bytes].copy_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn read_le(b: &[u8]) -> Self {
                let mut a = [0u8; $bytes];
                a.copy_from_slice(&b[..$bytes]);
                <$t>::from_le_bytes(a)
            }
            #[inline]
            fn to_bits_u64(self) -> u64 {
                self.to_bits() as u64
            }
        }
    };
}

#[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
use libm::sqrtf as sqrt32;
/// `n as f32` (correctly rounded): the top 32 bits, with a sticky bit for the rest, rounded
/// once. Not compiler_builtins' 64-bit conversion: together with [`f32_to_u64`], less flash on
/// 32-bit targets (it is called, not inlined, either way).
#[inline(never)]
fn u64_to_f32(n: u64) -> f32 {
    if n >> 32 == 0 {
        return n as u32 as f32;
    }
    let k = 64 - (n >> 32).leading_zeros(); // 1 ..= 32: n has 32 + k bits
    let sticky = u32::from(n & ((1u64 << k) - 1) != 0);
    ((n >> k) as u32 | sticky) as f32 * f32::from_bits((127 + k) << 23)
}

/// `x as u64` (truncating, saturating, NaN to 0); see [`u64_to_f32`].
#[inline(never)]
fn f32_to_u64(x: f32) -> u64 {
    if x >= 18_446_744_073_709_551_616.0 {
        u64::MAX
    } else if x >= 4_294_967_296.0 {
        // 2³² ≤ x < 2⁶⁴: an integer, read off its bits.
        let b = x.to_bits();
        u64::from((b & 0x007f_ffff) | 0x0080_0000) << ((b >> 23) - 150)
    } else {
        u64::from(x as u32) // below 2³², negative or NaN
    }
}

#[inline(always)]
fn u64_to_f64(n: u64) -> f64 {
    n as f64
}

#[inline(always)]
fn f64_to_u64(x: f64) -> u64 {
    x as u64
}

/// √x in f32: libm's where it is fast (hosts) or must be integer-only (soft float); with a
/// hardware FPU but no square root that libm knows of (hard-float 32-bit ARM), [`sqrt_f32`].
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
use sqrt_f32 as sqrt32;

/// The correctly rounded √x in f32 (the same value as IEEE 754's, as libm's `sqrtf`) from three
/// Newton steps in f32 and an exact integer check of the rounding; no table (libm's costs 480
/// bytes of flash on Cortex-M4F). Tested against libm over every significand of both exponent
/// parities, every subnormal and special values.
#[cfg_attr(not(all(target_arch = "arm", target_abi = "eabihf")), allow(dead_code))]
#[inline(never)]
pub(crate) fn sqrt_f32(x: f32) -> f32 {
    let b = x.to_bits();
    if b.wrapping_sub(0x0080_0000) >= 0x7f00_0000 {
        // Not a positive normal number: ±0, +∞ and NaN are their own root, a negative is NaN,
        // and a subnormal is scaled into the normal range (exactly, by powers of two).
        if x > 0.0 && x < f32::MIN_POSITIVE {
            return sqrt_f32(x * 16_777_216.0) * (1.0 / 4096.0);
        }
        return if x < 0.0 { f32::NAN } else { x };
    }
    // x = N·2^(2j) with N = significand·2^s an integer in [2⁴⁶, 2⁴⁸), so √x = √N·2^j with
    // √N in [2²³, 2²⁴]: the result's significand is R = round(√N).
    let e = (b >> 23) as i32 - 127;
    let s = if e & 1 == 0 { 23 } else { 24 };
    let n4 = u64::from((b & 0x007f_ffff) | 0x0080_0000) << (s + 2); // 4N
    let j = (e - 23 - s) >> 1;
    // Within a few units of the last place: Newton from a guess within 4% (the bits' trick).
    let mut y = f32::from_bits((b >> 1) + 0x1fbd_1df5);
    for _ in 0..3 {
        y = 0.5 * (y + x / y);
    }
    let base = ((j + 149) << 23) as u32;
    let mut r = y.to_bits().wrapping_sub(base);
    // R is round(√N) iff (2R − 1)² < 4N < (2R + 1)² (never equal: odd squares, even 4N).
    let sq = |k: u32| u64::from(k) * u64::from(k);
    while sq(2 * r + 1) < n4 {
        r += 1;
    }
    while sq(2 * r - 1) > n4 {
        r -= 1;
    }
    f32::from_bits(base.wrapping_add(r))
}

impl_real!(
    f32,
    u32,
    127,
    23,
    4,
    -80.0,
    u64_to_f32,
    f32_to_u64,
    sqrt32,
    libm::expf,
    libm::expm1f,
    libm::logf,
    libm::log1pf,
    libm::fabsf
);
impl_real!(
    f64,
    u64,
    1023,
    52,
    8,
    -700.0,
    u64_to_f64,
    f64_to_u64,
    libm::sqrt,
    libm::exp,
    libm::expm1,
    libm::log,
    libm::log1p,
    libm::fabs
);

/// ln(2π).
pub(crate) const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// softplus(ρ) = ln(1 + e^ρ) and sigmoid(ρ) = its derivative, with one `exp` and one `ln_1p`,
/// stable for every finite ρ.
#[inline]
pub(crate) fn softplus_sigmoid<T: Real>(rho: T) -> (T, T) {
    let neg = if rho > T::ZERO { -rho } else { rho };
    let e = exp_nonpos(neg); // e^{-|ρ|} ∈ (0, 1]
    let sp = rho.max(T::ZERO) + ln_1p_small(e);
    let inv = T::ONE / (T::ONE + e);
    let sig = if rho > T::ZERO { inv } else { e * inv };
    (sp, sig)
}

/// eˣ for x ≤ 0 (x ≥ −700 in f64, −87 in f32; below that libm's exp handles the underflow).
/// Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, then a Taylor polynomial truncated where
/// the remainder is below the precision's epsilon (degree 13 in f64, 7 in f32), then 2ᵏ. About
/// half the instructions of libm's general exp, which also handles every special case.
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
    // ln2 split so that k·LN2_HI is exact for |k| < 2¹¹ (f64) / 2⁸ (f32).
    let (hi, lo) = if T::BYTES == 8 {
        (
            T::c(6.931_471_803_691_238_2e-1),
            T::c(1.908_214_929_270_587_7e-10),
        )
    } else {
        (T::c(0.693_145_751_953_125), T::c(1.428_606_765_330_187e-6))
    };
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

/// ln(1 + e) for e ∈ [0, 1]: for e ≤ 0.136 (|ρ| ≥ 2, every scale below 0.127) by the series
/// ln(1+e) = 2·atanh(w) = 2(w + w³/3 + w⁵/5 + …), w = e/(2+e) ≤ 0.0637, truncated where the
/// remainder is below the precision's epsilon (7 terms in f64, 3 in f32); otherwise libm.
#[inline(always)]
fn ln_1p_small<T: Real>(e: T) -> T {
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

    #[test]
    fn exp_nonpos_matches_libm() {
        let mut worst64 = 0.0f64;
        let mut worst32 = 0.0f64;
        let mut x = 0.0f64;
        while x > -700.0 {
            let (a, b) = (exp_nonpos(x), libm::exp(x));
            worst64 = worst64.max(((a - b) / b).abs());
            if x > -87.0 {
                let (c, d) = (exp_nonpos(x as f32) as f64, libm::exp(x as f32 as f64));
                worst32 = worst32.max(((c - d) / d).abs());
            }
            x -= 0.000_731;
        }
        assert!(
            worst64 < 4.0 * f64::EPSILON,
            "f64 worst relative error {worst64}"
        );
        assert!(
            worst32 < 4.0 * f32::EPSILON as f64,
            "f32 worst relative error {worst32}"
        );
        assert_eq!(exp_nonpos(-1000.0f64), 0.0);
        assert_eq!(exp_nonpos(0.0f64), 1.0);
    }

    #[test]
    fn f32_u64_conversions_are_the_casts() {
        let mut n = 1u64;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..200_000u64 {
            // Every magnitude, and the values around powers of two and rounding boundaries.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            for v in [
                state >> (i % 64),
                n,
                n - 1,
                n + 1,
                n | 0x7f,
                n | 0x80,
                n | 0x81,
                u64::MAX,
            ] {
                assert_eq!(u64_to_f32(v).to_bits(), (v as f32).to_bits(), "{v}");
            }
            n = n.rotate_left(1);
            let x = f32::from_bits(state as u32);
            assert_eq!(f32_to_u64(x), x as u64, "{x:e}");
        }
        for x in [
            0.0f32,
            -0.0,
            -1.0,
            0.5,
            4_294_967_295.0,
            4_294_967_296.0,
            1.844_674_3e19,
            1.844_674_4e19,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
        ] {
            assert_eq!(f32_to_u64(x), x as u64, "{x:e}");
        }
    }

    #[test]
    fn sqrt_f32_is_correctly_rounded() {
        let check = |x: f32| {
            let (a, b) = (sqrt_f32(x), libm::sqrtf(x));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "sqrt({x:e}) = {a:e}, libm {b:e}"
            );
        };
        // Every significand with an even and an odd exponent ([1, 4)): the algorithm only
        // scales by powers of four between exponents of the same parity, exactly.
        for bits in 0x3f80_0000u32..0x4080_0000 {
            check(f32::from_bits(bits));
        }
        // Every subnormal.
        for bits in 1u32..0x0080_0000 {
            check(f32::from_bits(bits));
        }
        // Every exponent, a spread of significands (the last one included).
        for e in 1u32..255 {
            for m in (0..0x0080_0000u32).step_by(4099).chain([0x007f_ffff]) {
                check(f32::from_bits(e << 23 | m));
            }
        }
        for x in [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -1.0,
            -1e-40,
            f32::NAN,
            f32::MAX,
        ] {
            check(x);
        }
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
