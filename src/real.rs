//! The scalar type: one trait over `f32` and `f64`, backed by `libm` so it works without `std`.
//!
//! Every constant the kernel needs is written once, in `f64`, and converted by
//! [`Real::c`]; on `f32` targets the conversion is folded at compile time, so the
//! f32 code path never calls software double-precision routines.
//!
//! The trait's operations are libm's, std's square root on hosts and the conversions below;
//! the hand-written kernels built from them (exponential, ln(1 + e), softplus, the f32 square
//! root) live in `math/`, one file per function family.

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
    /// Smallest positive normal value (below it, numbers are subnormal: slow on some FPUs,
    /// and their reciprocals overflow).
    const MIN_NORMAL: Self;
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
            const MIN_NORMAL: Self = <$t>::MIN_POSITIVE;
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

/// √x with std, where the library is not built compact (lib.rs links std then): the IEEE
/// operation itself, which the compiler knows and can vectorise (libm's is an opaque
/// instruction in inline assembly). The compact variant is libm's (or
/// [`sqrt_f32`](crate::math::sqrt::sqrt_f32) on
/// hard-float 32-bit ARM): the same correctly rounded value (tested in math/sqrt.rs).
#[cfg(not(vireg_compact))]
#[inline(always)]
fn sqrt32(x: f32) -> f32 {
    f32::sqrt(x)
}

/// See [`sqrt32`].
#[cfg(not(vireg_compact))]
#[inline(always)]
fn sqrt64(x: f64) -> f64 {
    f64::sqrt(x)
}

#[cfg(vireg_compact)]
use libm::sqrt as sqrt64;
#[cfg(all(
    vireg_compact,
    not(all(target_os = "none", target_arch = "arm", target_abi = "eabihf"))
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

/// √x in f32 on bare metal: libm's where it must be integer-only (soft float); with a hardware FPU
/// but no square root that libm knows of (hard-float 32-bit ARM),
/// [`sqrt_f32`](crate::math::sqrt::sqrt_f32).
#[cfg(all(target_os = "none", target_arch = "arm", target_abi = "eabihf"))]
use crate::math::sqrt::sqrt_f32 as sqrt32;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
