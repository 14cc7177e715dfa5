//! Randomness: a seeded PCG32 stream that counts what it hands out (so a checkpoint can restore
//! it exactly), and standard normal draws by the ziggurat method (Marsaglia & Tsang 2000) —
//! no trigonometry, one 32-bit draw (f32) or 64-bit draw (f64) per variate in ~98.8% of cases.

#![forbid(unsafe_code)]

use crate::real::Real;
use core::convert::Infallible;
use rand_core::{Rng, SeedableRng, TryRng};
use rand_pcg::Pcg32;

include!(concat!(env!("OUT_DIR"), "/zig_tables.rs"));

/// Right edge of the ziggurat's base layer.
const ZIG_R: f64 = 3.442619855899;

/// The kernel's generator: PCG32 (`rand_pcg::Pcg32`) seeded by `seed_from_u64(seed)`, with the
/// number of 32-bit outputs drawn so far. Implements [`rand_core::Rng`].
#[derive(Clone, PartialEq, Debug)]
pub struct SeededRng {
    pcg: Pcg32,
    seed: u64,
    draws: u64,
}

impl SeededRng {
    /// The sizes of the fields, summed (PCG32 is two u64s): the struct's size when it has no
    /// padding, which `Fit` checks at compile time.
    pub(crate) const FIELDS: usize = 4 * 8;

    /// A fresh stream from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng {
            pcg: Pcg32::seed_from_u64(seed),
            seed,
            draws: 0,
        }
    }

    /// The stream `seed` advanced by `draws` 32-bit outputs (O(log draws)).
    pub fn at(seed: u64, draws: u64) -> Self {
        let mut r = Self::new(seed);
        r.pcg.advance(draws);
        r.draws = draws;
        r
    }

    /// The seed this stream started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How many 32-bit outputs have been drawn.
    pub fn draws(&self) -> u64 {
        self.draws
    }
}

impl TryRng for SeededRng {
    type Error = Infallible;
    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.draws += 1;
        Ok(self.pcg.next_u32())
    }
    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let lo = self.try_next_u32()? as u64;
        let hi = self.try_next_u32()? as u64;
        Ok((hi << 32) | lo)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for c in dst.chunks_mut(4) {
            let b = self.try_next_u32()?.to_le_bytes();
            c.copy_from_slice(&b[..c.len()]);
        }
        Ok(())
    }
}

/// Standard normal variates of each precision.
pub trait Normal: Real {
    /// One N(0, 1) draw.
    fn std_normal<R: Rng + ?Sized>(rng: &mut R) -> Self;
    /// One uniform draw in the open interval (0, 1).
    fn uniform_open<R: Rng + ?Sized>(rng: &mut R) -> Self;
}

/// Ziggurat K table of the f32 sampler: the build's variant, [`zig32_k_table`] or (the
/// `vireg_compact` cfg) [`zig32_k_computed`]; the same values (tested).
#[inline(always)]
fn zig32_k(i: usize) -> u32 {
    #[cfg(vireg_compact)]
    return zig32_k_computed(i);
    #[cfg(not(vireg_compact))]
    zig32_k_table(i)
}

/// [`zig32_k`] looked up (hosts: a division per draw costs more there than 512 bytes of table).
#[cfg(any(test, not(vireg_compact)))]
#[inline(always)]
fn zig32_k_table(i: usize) -> u32 {
    ZIG32_K[i]
}

/// [`zig32_k`] computed from W (microcontrollers: less flash than a table of K): 2²⁴·W[i−1]/W[i]
/// in f32 corrected by the stored difference (build.rs), so exactly the table's value; K[0] and
/// K[1] are constants.
#[cfg(any(test, vireg_compact))]
#[inline(always)]
fn zig32_k_computed(i: usize) -> u32 {
    if i < 2 {
        return ZIG32_K01[i];
    }
    let approx = ((ZIG32_W[i - 1] / ZIG32_W[i]) * 16_777_216.0) as u32;
    approx.wrapping_add_signed(i32::from(ZIG32_KD[i]))
}

/// Ziggurat F table of the f32 sampler: the build's variant, [`zig32_f_table`] or (the
/// `vireg_compact` cfg) [`zig32_f_computed`]; the same values (tested). Off the fast path.
#[inline(always)]
fn zig32_f(i: usize) -> f32 {
    #[cfg(vireg_compact)]
    return zig32_f_computed(i);
    #[cfg(not(vireg_compact))]
    zig32_f_table(i)
}

/// [`zig32_f`] looked up (hosts: two exponentials per wedge test cost more there than 512
/// bytes of table).
#[cfg(any(test, not(vireg_compact)))]
#[inline(always)]
fn zig32_f_table(i: usize) -> f32 {
    ZIG32_F[i]
}

/// [`zig32_f`] computed (microcontrollers: less flash than a table of F): e^(−x²/2) at
/// x = W·2²⁴ corrected by the stored number of units of the last place (build.rs), so exactly
/// the table's value.
#[cfg(any(test, vireg_compact))]
#[inline(never)]
fn zig32_f_computed(i: usize) -> f32 {
    if i == 0 {
        return 1.0;
    }
    let x = ZIG32_W[i] * 16_777_216.0;
    let approx = <f32 as Real>::exp(-0.5 * x * x);
    f32::from_bits(approx.to_bits().wrapping_add_signed(i32::from(ZIG32_FD[i])))
}

#[inline(always)]
fn zig64_k(i: usize) -> u64 {
    ZIG64_K[i]
}

#[inline(always)]
fn zig64_f(i: usize) -> f64 {
    ZIG64_F[i]
}

macro_rules! zig_impl {
    ($t:ty, $bits:ty, $ibits:ty, $next:ident, $k:ident, $w:ident, $f:ident, $m:expr, $ushift:expr, $uscale:expr, $slow:ident) => {
        impl Normal for $t {
            // Not inlined: three call sites on the sampler's slow path (code size).
            #[inline(never)]
            fn uniform_open<R: Rng + ?Sized>(rng: &mut R) -> Self {
                (((rng.$next() >> $ushift) as $t) + 0.5) * $uscale
            }

            #[inline]
            fn std_normal<R: Rng + ?Sized>(rng: &mut R) -> Self {
                // Hosts: the fast path (~98.8% of the draws) inlined, the rest out of line.
                #[cfg(not(vireg_compact))]
                {
                    let r: $bits = rng.$next();
                    let iz = (r & 127) as usize;
                    let hz = ((r >> 7) as $ibits) - $m;
                    if hz.unsigned_abs() < $k(iz) {
                        return hz as $t * $w[iz];
                    }
                    $slow(rng, r)
                }
                #[cfg(vireg_compact)]
                {
                    let r: $bits = rng.$next();
                    $slow(rng, r)
                }
            }
        }

        /// The sampler from its first 32/64-bit draw `r` on (the whole loop; on hosts only
        /// reached when `r` missed the fast path, which it then checks again, in vain).
        #[cfg_attr(not(vireg_compact), inline(never), cold)]
        #[cfg_attr(vireg_compact, inline(always))]
        fn $slow<R: Rng + ?Sized>(rng: &mut R, mut r: $bits) -> $t {
            loop {
                let iz = (r & 127) as usize;
                let hz = ((r >> 7) as $ibits) - $m;
                let ahz = hz.unsigned_abs();
                if ahz < $k(iz) {
                    return hz as $t * $w[iz];
                }
                // The slow path (~1.2%): base layer tail, or the wedge of layer iz.
                if iz == 0 {
                    let r0 = ZIG_R as $t;
                    loop {
                        let x = -<$t as Real>::ln(<$t>::uniform_open(rng)) / r0;
                        let y = -<$t as Real>::ln(<$t>::uniform_open(rng));
                        if y + y >= x * x {
                            return if hz > 0 { r0 + x } else { -r0 - x };
                        }
                    }
                }
                let x = hz as $t * $w[iz];
                let u = <$t>::uniform_open(rng);
                let (f0, f1) = ($f(iz), $f(iz - 1));
                if f0 + u * (f1 - f0) < <$t as Real>::exp(-0.5 * x * x) {
                    return x;
                }
                r = rng.$next();
            }
        }
    };
}

zig_impl!(
    f32,
    u32,
    i32,
    next_u32,
    zig32_k,
    ZIG32_W,
    zig32_f,
    1i32 << 24,
    8,
    1.0 / 16_777_216.0,
    zig_from_32
);
zig_impl!(
    f64,
    u64,
    i64,
    next_u64,
    zig64_k,
    ZIG64_W,
    zig64_f,
    1i64 << 56,
    11,
    1.0 / 9_007_199_254_740_992.0,
    zig_from_64
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The f32 sampler's K and F, as stored (differences from computed values), are exactly
    /// the ziggurat's tables computed in f64 and rounded (Marsaglia & Tsang's recurrence, as
    /// build.rs), so the draws are those of the plain tables.
    #[test]
    fn f32_tables_are_the_ziggurat() {
        let m = (1u64 << 24) as f64;
        let (mut kn, mut wn, mut fnn) = ([0.0f64; 128], [0.0f64; 128], [0.0f64; 128]);
        let mut dn: f64 = 3.442619855899;
        let mut tn = dn;
        let vn: f64 = 9.91256303526217e-3;
        let q = vn / (-0.5 * dn * dn).exp();
        kn[0] = (dn / q) * m;
        wn[0] = q / m;
        wn[127] = dn / m;
        fnn[0] = 1.0;
        fnn[127] = (-0.5 * dn * dn).exp();
        for i in (1..=126).rev() {
            dn = (-2.0 * (vn / dn + (-0.5 * dn * dn).exp()).ln()).sqrt();
            kn[i + 1] = (dn / tn) * m;
            tn = dn;
            fnn[i] = (-0.5 * dn * dn).exp();
            wn[i] = dn / m;
        }
        for i in 0..128 {
            assert_eq!(zig32_k(i), kn[i] as u32, "K[{i}]");
            assert_eq!(zig32_k_table(i), kn[i] as u32, "K table[{i}]");
            assert_eq!(zig32_k_computed(i), kn[i] as u32, "computed K[{i}]");
            assert_eq!(ZIG32_W[i], wn[i] as f32, "W[{i}]");
            assert_eq!(zig32_f(i).to_bits(), (fnn[i] as f32).to_bits(), "F[{i}]");
            assert_eq!(
                zig32_f_table(i).to_bits(),
                (fnn[i] as f32).to_bits(),
                "F table[{i}]"
            );
            assert_eq!(
                zig32_f_computed(i).to_bits(),
                (fnn[i] as f32).to_bits(),
                "computed F[{i}]"
            );
        }
    }

    /// The two variants of `std_normal` are one sampler: the hosts' (the fast path inlined,
    /// then the whole loop) and the microcontrollers' (the whole loop from the first draw)
    /// give the same bits and consume the same draws, in f32 and f64.
    #[test]
    fn std_normal_variants_agree() {
        for seed in [0u64, 1, 0x5eed, u64::MAX] {
            let (mut a, mut b) = (SeededRng::new(seed), SeededRng::new(seed));
            for i in 0..100_000 {
                let x = <f32 as Normal>::std_normal(&mut a);
                let r = b.next_u32();
                let y = zig_from_32(&mut b, r);
                assert_eq!(x.to_bits(), y.to_bits(), "f32 draw {i}, seed {seed}");
                let x = <f64 as Normal>::std_normal(&mut a);
                let r = b.next_u64();
                let y = zig_from_64(&mut b, r);
                assert_eq!(x.to_bits(), y.to_bits(), "f64 draw {i}, seed {seed}");
            }
            assert_eq!(a.draws(), b.draws());
        }
    }
}
