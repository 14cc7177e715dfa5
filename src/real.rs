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
    /// The lowest argument of the branch-free exponential (e^EXP_LO is a normal number; at
    /// most [`Real::RHO_MIN`]).
    const EXP_LO: Self;
    /// 1.5·2^(mantissa bits): adding it rounds a small number to an integer held in the low bits.
    const SHIFTER: Self;

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
    /// 2ᵏ from `kd` = k + [`Real::SHIFTER`] (k in the normal exponent range), from the bits.
    fn pow2_shifted(kd: Self) -> Self;
    /// (e, m) with self = 2ᵉ·m, m in [1, 2), for a positive normal number, from the bits.
    fn split_exp(self) -> (i32, Self);
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
    /// Little-endian bytes into `out[..Self::BYTES]` (nothing if `out` is shorter).
    fn write_le(self, out: &mut [u8]);
    /// Reads little-endian bytes from `b[..Self::BYTES]` (NaN if `b` is shorter).
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
    ($t:ty, $ubits:ty, $bias:expr, $mant:expr, $bytes:expr, $rhomin:expr, $explo:expr, $from_u64:path, $to_u64:path, $sqrt:path, $exp:path, $expm1:path, $ln:path, $ln1p:path, $fabs:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const MAX: Self = <$t>::MAX;
            const INFINITY: Self = <$t>::INFINITY;
            const BYTES: usize = $bytes;
            const RHO_MIN: Self = $rhomin;
            const EXP_LO: Self = $explo;
            const SHIFTER: Self = 1.5 * (1u64 << $mant) as $t;
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
            fn pow2_shifted(kd: Self) -> Self {
                // The low bits of kd's significand hold k (two's complement): bias and shift
                // them into the exponent field; the bits above fall off.
                <$t>::from_bits(kd.to_bits().wrapping_add($bias) << $mant)
            }
            #[inline(always)]
            fn split_exp(self) -> (i32, Self) {
                let b = self.to_bits();
                let m = (b & ((1 << $mant) - 1)) | ($bias << $mant);
                ((b >> $mant) as i32 - $bias, <$t>::from_bits(m))
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
                if let Some(o) = out.first_chunk_mut::<$bytes>() {
                    *o = self.to_le_bytes();
                }
            }
            #[inline]
            fn read_le(b: &[u8]) -> Self {
                b.first_chunk::<$bytes>()
                    .map_or(<$t>::NAN, |a| <$t>::from_le_bytes(*a))
            }
            #[inline]
            fn to_bits_u64(self) -> u64 {
                self.to_bits() as u64
            }
        }
    };
}

/// √x on hosts, where std is linked (lib.rs): std's, the IEEE operation itself, which the
/// compiler knows and can vectorise (libm's is an opaque instruction in inline assembly); the
/// same correctly rounded value.
#[cfg(not(target_os = "none"))]
#[inline(always)]
fn sqrt32(x: f32) -> f32 {
    f32::sqrt(x)
}

/// See [`sqrt32`].
#[cfg(not(target_os = "none"))]
#[inline(always)]
fn sqrt64(x: f64) -> f64 {
    f64::sqrt(x)
}

#[cfg(target_os = "none")]
use libm::sqrt as sqrt64;
#[cfg(all(
    target_os = "none",
    not(all(target_arch = "arm", target_abi = "eabihf"))
))]
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

/// √x in f32 on bare metal: libm's where it must be integer-only (soft float); with a hardware
/// FPU but no square root that libm knows of (hard-float 32-bit ARM), [`sqrt_f32`].
#[cfg(all(target_os = "none", target_arch = "arm", target_abi = "eabihf"))]
use sqrt_f32 as sqrt32;

/// The correctly rounded √x in f32 (the same value as IEEE 754's, as libm's `sqrtf`) from three
/// Newton steps in f32 and an exact integer check of the rounding; no table (libm's costs 480
/// bytes of flash on Cortex-M4F). Tested against libm over every significand of both exponent
/// parities, every subnormal and special values.
#[cfg_attr(
    not(all(target_os = "none", target_arch = "arm", target_abi = "eabihf")),
    allow(dead_code)
)]
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
    -87.0,
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
    -700.0,
    u64_to_f64,
    f64_to_u64,
    sqrt64,
    libm::exp,
    libm::expm1,
    libm::log,
    libm::log1p,
    libm::fabs
);

/// ln(2π).
pub(crate) const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// softplus(ρ) = ln(1 + e^ρ) and sigmoid(ρ) = its derivative, stable for every finite ρ: the
/// branch-free [`softplus_sigmoid_core`] and, in the rare case it cannot take (e^{−|ρ|} below
/// the normal range: ρ < [`Real::RHO_MIN`] or ρ above 700 in f64 / 87 in f32), libm. On
/// microcontrollers, [`softplus_sigmoid_mcu`].
#[inline]
pub(crate) fn softplus_sigmoid<T: Real>(rho: T) -> (T, T) {
    #[cfg(target_os = "none")]
    return softplus_sigmoid_mcu(rho);
    #[cfg(not(target_os = "none"))]
    softplus_sigmoid_host(rho)
}

/// [`softplus_sigmoid`] on hosts.
#[cfg(any(test, not(target_os = "none")))]
#[inline]
fn softplus_sigmoid_host<T: Real>(rho: T) -> (T, T) {
    let (sp, sig, ok) = softplus_sigmoid_core(rho);
    if ok {
        (sp, sig)
    } else {
        softplus_sigmoid_libm(rho)
    }
}

/// [`softplus_sigmoid`] by libm's `exp` and `ln_1p`, for every finite ρ (off the fast path).
#[cfg(any(test, not(target_os = "none")))]
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
#[cfg(any(test, not(target_os = "none")))]
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

/// (eˣ, e⁻ˣ) for any x: one exponential of −|x| ([`exp_core`], or libm's beyond its range)
/// and one division.
#[cfg(any(test, not(target_os = "none")))]
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

/// eˣ for x in [[`Real::EXP_LO`], 0], without a branch: x = k·ln2 + r with k = round(x/ln2)
/// found by adding a shifter (the integer lands in the low bits of the sum), ln2 split so that
/// k·LN2_HI is exact, a Taylor polynomial in r (|r| ≤ ln2/2) truncated where the remainder is
/// below the precision's epsilon (degree 13 in f64, 7 in f32), and 2ᵏ from the shifter's bits.
/// Within 3 units of the last place of libm's (tested).
#[cfg(any(test, not(target_os = "none")))]
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

/// ln(1 + e) for e in [0, 1], without a branch: 1 + e = 2ᵏ(1 + f) with k = 1 above √2
/// (f = (e − 1)/2), then ln(1 + f) = 2·atanh(w) = 2(w + w³/3 + w⁵/5 + …), w = f/(2 + f),
/// |w| ≤ 0.1716, truncated where the remainder is below the precision's epsilon (10 terms in
/// f64, 5 in f32). Relative error of a few units of the last place for 0 and every normal e
/// (tested), the smallest included.
#[cfg(any(test, not(target_os = "none")))]
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

/// softplus(ρ) = ln(1 + e^ρ) and sigmoid(ρ) = its derivative, with one `exp` and one `ln_1p`,
/// stable for every finite ρ: the microcontrollers' version (branches to libm instead of the
/// hosts' branch-free evaluation, which costs more flash and saves no time without a vector
/// unit). Tested on hosts too.
#[cfg(any(test, target_os = "none"))]
#[inline]
pub(crate) fn softplus_sigmoid_mcu<T: Real>(rho: T) -> (T, T) {
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
#[cfg(any(test, target_os = "none"))]
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

/// ln(1 + e) for e ∈ [0, 1]: for e ≤ 0.136 (|ρ| ≥ 2, every scale below 0.127) by the series
/// ln(1+e) = 2·atanh(w) = 2(w + w³/3 + w⁵/5 + …), w = e/(2+e) ≤ 0.0637, truncated where the
/// remainder is below the precision's epsilon (7 terms in f64, 3 in f32); otherwise libm.
#[cfg(any(test, target_os = "none"))]
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
    fn mcu_exp_and_softplus_match_libm() {
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
        let mut rho = -60.0f64;
        while rho < 60.0 {
            // The two versions agree to a few units of the last place.
            let (a, b) = (softplus_sigmoid_mcu(rho), softplus_sigmoid_host(rho));
            assert!(
                ((a.0 - b.0) / b.0).abs() < 4.0 * f64::EPSILON,
                "softplus({rho})"
            );
            assert!(
                ((a.1 - b.1) / b.1).abs() < 4.0 * f64::EPSILON,
                "sigmoid({rho})"
            );
            let r = rho as f32;
            let (c, d) = (softplus_sigmoid_mcu(r), softplus_sigmoid_host(r));
            assert!(
                ((c.0 - d.0) / d.0).abs() < 4.0 * f32::EPSILON,
                "f32 softplus({rho})"
            );
            assert!(
                ((c.1 - d.1) / d.1).abs() < 4.0 * f32::EPSILON,
                "f32 sigmoid({rho})"
            );
            rho += 0.0137;
        }
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
