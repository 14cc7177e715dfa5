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
    ($t:ty, $bytes:expr, $rhomin:expr, $sqrt:path, $exp:path, $expm1:path, $ln:path, $ln1p:path, $fabs:path) => {
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
                n as $t
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
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

impl_real!(
    f32,
    4,
    -80.0,
    libm::sqrtf,
    libm::expf,
    libm::expm1f,
    libm::logf,
    libm::log1pf,
    libm::fabsf
);
impl_real!(
    f64,
    8,
    -700.0,
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
    let e = neg.exp(); // e^{-|ρ|} ∈ (0, 1]
    let sp = rho.max(T::ZERO) + e.ln_1p();
    let inv = T::ONE / (T::ONE + e);
    let sig = if rho > T::ZERO { inv } else { e * inv };
    (sp, sig)
}

/// softplus(ρ) alone.
#[inline]
pub(crate) fn softplus<T: Real>(rho: T) -> T {
    softplus_sigmoid(rho).0
}

/// The inverse of softplus: ρ with softplus(ρ) = s, for s > 0.
#[inline]
pub(crate) fn softplus_inv<T: Real>(s: T) -> T {
    // ln(e^s − 1) = s + ln(1 − e^{−s}); the second form is stable for large s.
    if s > T::c(15.0) {
        s + (-(-s).exp()).ln_1p()
    } else {
        s.exp_m1().ln()
    }
}
