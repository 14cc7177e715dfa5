//! √x in f32 without a table, for hard-float targets whose libm has no square-root instruction.
//!
//! Domain: every f32. The result is the correctly rounded √x (0 ulp: the same bits as IEEE
//! 754's and libm's `sqrtf`), NaN for a negative x, ±0, +∞ and NaN their own root; tested over
//! every significand of both exponent parities, every subnormal and the special values.

#![forbid(unsafe_code)]

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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// `Real::sqrt`'s two variants, std's (hosts) and libm's (compact), are one function: both
    /// correctly rounded, the same bits for a spread of every exponent, f32 and f64.
    #[test]
    fn std_and_libm_sqrt_agree() {
        for e in 0u32..256 {
            for m in (0..0x0080_0000u32).step_by(65_537).chain([0x007f_ffff]) {
                let x = f32::from_bits(e << 23 | m);
                let (a, b) = (x.sqrt(), libm::sqrtf(x));
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{x:e}"
                );
            }
        }
        for e in 0u64..2048 {
            for m in (0..1u64 << 52).step_by(1 << 45).chain([(1 << 52) - 1]) {
                let x = f64::from_bits(e << 52 | m);
                let (a, b) = (x.sqrt(), libm::sqrt(x));
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{x:e}"
                );
            }
        }
        for x in [0.0f64, -0.0, f64::INFINITY] {
            assert_eq!(x.sqrt().to_bits(), libm::sqrt(x).to_bits(), "{x}");
        }
        for x in [-1.0f64, f64::NAN, f64::NEG_INFINITY] {
            assert!(x.sqrt().is_nan() && libm::sqrt(x).is_nan(), "{x}");
        }
    }
}
