//! ELBO estimators with closed-form gradients (no autodiff).
//!
//! * [`Estimator::MonteCarlo`]: the reparameterized estimator of Pyro's
//!   `Trace_ELBO(num_particles = K)`; its loss value uses the sampled −log q(z), as Pyro does.
//! * [`Estimator::Analytic`]: the exact expectation under q — zero variance.
//!
//! Both return the **loss = −ELBO** and its gradient with respect to the guide's (loc, ρ).

#![forbid(unsafe_code)]

use crate::guide::Guide;
#[cfg(any(test, not(vireg_compact)))]
use crate::math::ln1p::ln_1p_unit;
use crate::math::softplus::softplus_sigmoid;
#[cfg(any(test, not(vireg_compact)))]
use crate::math::softplus::wide::softplus_sigmoid_core;
#[cfg(vireg_compact)]
use crate::model::log_joint_grad;
use crate::model::ModelConsts;
use crate::real::Real;
#[cfg(vireg_compact)]
use crate::real::LN_2PI;
use crate::rng::Normal;
use crate::stats::Stats;
#[cfg(not(vireg_compact))]
use crate::vector::width;
use crate::vector::Coefs;
#[cfg(any(test, vireg_compact))]
use crate::vector::Latent;
use rand_core::Rng;

/// How the ELBO and its gradient are estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    /// Reparameterized Monte Carlo with this many particles (≥ 1); 1 reproduces the seed.
    MonteCarlo {
        /// Number of particles K averaged per step.
        particles: u32,
    },
    /// The exact expectation (closed form), deterministic.
    Analytic,
}

impl Default for Estimator {
    /// One-particle Monte Carlo, as Pyro's default `Trace_ELBO()`.
    fn default() -> Self {
        Estimator::MonteCarlo { particles: 1 }
    }
}

/// Scales s = softplus(ρ) and their derivatives ds/dρ = sigmoid(ρ) into `s` and `sig`, and
/// returns Σ ln s if `want_lns`, else 0 (it is finite whenever the scales are: ρ ≥
/// [`Real::RHO_MIN`]; the compact variant always returns it). (Outputs as arguments: a
/// returned tuple is one more copy on the stack.) The build's variant: [`wide::scales`], or
/// [`compact::scales`] with the `vireg_compact` cfg; the two agree within a few units of the
/// last place (tested). Hosts call [`wide::scales`] from their narrowed kernels directly.
#[cfg(vireg_compact)]
#[inline(always)]
pub(crate) fn scales<T: Real, const P: usize>(
    g: &Guide<T, P>,
    p: usize,
    s: &mut Latent<T, P>,
    sig: &mut Latent<T, P>,
    want_lns: bool,
) -> T {
    #[cfg(vireg_compact)]
    return compact::scales(g, p, s, sig, want_lns);
    #[cfg(not(vireg_compact))]
    wide::scales(g, p, s, sig, want_lns)
}

/// The hosts' variant: loops over whole arrays that vectorise.
#[cfg(any(test, not(vireg_compact)))]
pub(crate) mod wide {
    use super::{ln_1p_unit, softplus_sigmoid, softplus_sigmoid_core};
    use crate::guide::Guide;
    #[cfg(not(vireg_compact))]
    use crate::model::{log_joint_grad_width, ModelConsts};
    use crate::real::Real;
    #[cfg(not(vireg_compact))]
    use crate::real::LN_2PI;
    #[cfg(not(vireg_compact))]
    use crate::rng::Normal;
    #[cfg(not(vireg_compact))]
    use crate::stats::Stats;
    #[cfg(not(vireg_compact))]
    use crate::vector::Coefs;
    use crate::vector::{width, Latent};
    #[cfg(not(vireg_compact))]
    use rand_core::Rng;

    /// [`mc_loss_grad`](super::mc_loss_grad) on vectors of the first `Q` (p ≤ Q ≤ P) entries
    /// of the guide: the same operations on the same numbers as on whole vectors, at a cost
    /// that follows the features in use. `grad`'s entries past p are zero, as the whole
    /// version leaves them. Not inlined: each width gets its own stack frame, as small as it.
    #[cfg(not(vireg_compact))]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mc_width<T: Normal, const P: usize, const Q: usize, R: Rng + ?Sized>(
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        guide: &Guide<T, P>,
        particles: u32,
        rng: &mut R,
        grad: &mut Guide<T, P>,
        want_loss: bool,
    ) -> T {
        // Every lane used (p at the width, the seed's case): p is then the constant Q, and
        // the loops over the features have no per-entry test or select.
        if stats.features() >= Q {
            mc_lanes::<T, P, Q, R, true>(stats, mc, guide, particles, rng, grad, want_loss)
        } else {
            mc_lanes::<T, P, Q, R, false>(stats, mc, guide, particles, rng, grad, want_loss)
        }
    }

    /// [`mc_width`], knowing whether every lane is used (`ALL`: p = Q).
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn mc_lanes<T: Normal, const P: usize, const Q: usize, R: Rng + ?Sized, const ALL: bool>(
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        guide: &Guide<T, P>,
        particles: u32,
        rng: &mut R,
        grad: &mut Guide<T, P>,
        want_loss: bool,
    ) -> T {
        let p = if ALL { Q } else { stats.features().min(Q) };
        let g: Guide<T, Q> = Guide {
            loc: guide.loc.narrow(),
            rho: guide.rho.narrow(),
        };
        let (mut s, mut sig, mut q) = (g.rho, g.rho, g.rho);
        let lns = scales_q(&g, p, &mut s, &mut sig, &mut q, want_loss);
        // The sums of the particles' gradients (of log p, and of log p times ε).
        let mut sl: Latent<T, Q> = Latent::splat(T::ZERO);
        let mut sr: Latent<T, Q> = Latent::splat(T::ZERO);
        let mut loss = T::ZERO;
        let k = particles.max(1);
        let neg_logq0 = lns + T::from_i32(p as i32 + 2) * T::c(0.5 * LN_2PI);
        for _ in 0..k {
            let (lp, e2) =
                particle::<T, P, Q, R, ALL>(stats, mc, &g.loc, &s, p, rng, &mut sl, &mut sr);
            // −log q(z) = Σ ln s + (D/2) ln 2π + ½Σε²
            loss += -(lp + neg_logq0 + T::c(0.5) * e2);
        }
        let inv_k = T::ONE / T::from_u64(k as u64);
        // d loss/dm = −mean(g); d loss/dρ = −(mean(g·ε) + 1/s)·sigmoid(ρ), in one pass, with
        // sigmoid(ρ)/s from `scales_q` (no division here).
        Latent::zip4_whole(&mut sl, &q, &mut sr, &mut sig, p, |o, qi, a, sg, live| {
            *o = if live { -*o * inv_k } else { T::ZERO };
            *a = if live {
                -(*a * inv_k * *sg + qi)
            } else {
                T::ZERO
            };
        });
        grad.loc.widen_from(&sl);
        grad.rho.widen_from(&sr);
        loss * inv_k
    }

    /// One particle of [`mc_width`]: z = m + s ⊙ ε drawn, log p(y, z) and its gradient g
    /// added to `sl` (Σ g) and g ⊙ ε to `sr`; returns log p and Σε². Not inlined: inside the
    /// particles' loop the summary's rows are loop invariants, which the compiler would load
    /// before the loop into more registers than there are (copies on the stack each step, for
    /// one particle).
    #[cfg(not(vireg_compact))]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn particle<T: Normal, const P: usize, const Q: usize, R: Rng + ?Sized, const ALL: bool>(
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        loc: &Latent<T, Q>,
        s: &Latent<T, Q>,
        p: usize,
        rng: &mut R,
        sl: &mut Latent<T, Q>,
        sr: &mut Latent<T, Q>,
    ) -> (T, T) {
        let p = if ALL { Q } else { p };
        let mut theta = loc.theta;
        let mut eps: Latent<T, Q> = Latent::splat(T::ZERO);
        let mut gl: Latent<T, Q> = Latent::splat(T::ZERO);
        let mut e2 = T::ZERO;
        let mut draw = |e: &mut T, z: &mut T, m: T, sd: T| {
            let v = T::std_normal(rng);
            *e = v;
            e2 += v * v;
            *z = m + sd * v;
        };
        draw(
            &mut eps.theta.alpha,
            &mut theta.alpha,
            loc.theta.alpha,
            s.theta.alpha,
        );
        for j in 0..p {
            draw(
                &mut eps.theta.beta[j],
                &mut theta.beta[j],
                loc.theta.beta[j],
                s.theta.beta[j],
            );
        }
        let mut u = T::ZERO;
        draw(&mut eps.u, &mut u, loc.u, s.u);
        let (lp, gu) = log_joint_grad_width(stats, mc, &theta, u, &mut gl.theta, p);
        gl.u = gu;
        // Σ g and Σ g·ε, in one pass (past p, g and ε are zero: the sums stay zero).
        Latent::zip4_whole(sl, &gl, sr, &mut eps, p, |l, g, r, e, _| {
            *l += g;
            *r += g * *e;
        });
        (lp, e2)
    }

    /// [`analytic_loss_grad`](super::analytic_loss_grad) on vectors of the first `Q`
    /// (p ≤ Q ≤ P) entries of the guide: the same operations on the same numbers, at a cost
    /// that follows the features in use. Writes the same entries of `grad` (those of the p
    /// features). Not inlined: each width gets its own stack frame.
    #[cfg(not(vireg_compact))]
    #[inline(never)]
    pub(crate) fn analytic_width<T: Real, const P: usize, const Q: usize>(
        stats: &Stats<T, P>,
        mc: &ModelConsts<T, P>,
        gdiag: &Coefs<T, P>,
        guide: &Guide<T, P>,
        grad: Option<&mut Guide<T, P>>,
    ) -> T {
        let p = stats.features().min(Q);
        let guide: Guide<T, Q> = Guide {
            loc: guide.loc.narrow(),
            rho: guide.rho.narrow(),
        };
        let n = mc.n;
        let prec = &mc.prec;
        let (mut s, mut sig) = (guide.rho, guide.rho);
        let lns = scales(&guide, p, &mut s, &mut sig, true);
        let m = &guide.loc;
        let mut gth = Coefs::splat(T::ZERO);
        let rss_m = stats.rss_grad_width::<Q, Q>(&m.theta, &mut gth); // gth = G m − b
        let mut erss = rss_m;
        let mut quad = T::ZERO;
        // The intercept's entry, then the features' by slice index (no index arithmetic).
        let mut acc = |sj: T, gj: T, mj: T, pj: T| {
            let sj2 = sj * sj;
            erss += sj2 * gj;
            quad += (mj * mj + sj2) * pj;
        };
        let (st, mt) = (&s.theta, &m.theta);
        acc(st.alpha, gdiag.alpha, mt.alpha, prec.alpha);
        for j in 0..p {
            acc(st.beta[j], gdiag.beta[j], mt.beta[j], prec.beta[j]);
        }
        let su = s.u;
        let su2 = su * su;
        let two = T::c(2.0);
        let lam = (two * su2 - two * m.u).exp();
        let kap = (two * su2 + two * m.u).exp();
        let inv_ts2 = mc.inv_ts2;
        let half = T::c(0.5);
        let d = T::from_i32(p as i32 + 2);
        let elbo =
            mc.log_norm - half * quad - half * kap * inv_ts2 + m.u - n * m.u - half * lam * erss
                + lns
                + d * T::c(0.5 * (LN_2PI + 1.0));
        if let Some(grad) = grad {
            let g = |mj: T, pj: T, gtj: T, sj: T, gdj: T, sgj: T, loc: &mut T, rho: &mut T| {
                let gm = -mj * pj - lam * gtj;
                let gs = -sj * pj - lam * sj * gdj + T::ONE / sj;
                *loc = -gm;
                *rho = -gs * sgj;
            };
            let (mt, st, sgt) = (&m.theta, &s.theta, &sig.theta);
            let (loc, rho) = (&mut grad.loc.theta, &mut grad.rho.theta);
            g(
                mt.alpha,
                prec.alpha,
                gth.alpha,
                st.alpha,
                gdiag.alpha,
                sgt.alpha,
                &mut loc.alpha,
                &mut rho.alpha,
            );
            for j in 0..p {
                g(
                    mt.beta[j],
                    prec.beta[j],
                    gth.beta[j],
                    st.beta[j],
                    gdiag.beta[j],
                    sgt.beta[j],
                    &mut loc.beta[j],
                    &mut rho.beta[j],
                );
            }
            let gmu = -kap * inv_ts2 + T::ONE - n + lam * erss;
            let gsu = -two * su * kap * inv_ts2 - two * su * lam * erss + T::ONE / su;
            grad.loc.u = -gmu;
            grad.rho.u = -gsu * sig.u;
        }
        -elbo
    }

    /// [`scales`](super::scales) by [`softplus_sigmoid_core`] (no branch or call) over whole
    /// arrays: the evaluations become vector instructions. If some ρ is out of that function's
    /// range, every scale is redone by
    /// [`softplus_sigmoid`](crate::math::softplus::softplus_sigmoid). Σ ln s is the sum of the
    /// exponents times ln 2 plus the logarithm of the product of the significands, renormalised at
    /// each factor (no overflow or underflow whatever the number of features): one logarithm.
    #[inline]
    pub(crate) fn scales<T: Real, const P: usize>(
        g: &Guide<T, P>,
        p: usize,
        s: &mut Latent<T, P>,
        sig: &mut Latent<T, P>,
        want_lns: bool,
    ) -> T {
        let mut q = g.rho;
        scales_q(g, p, s, sig, &mut q, want_lns)
    }

    /// [`scales`], and also q = sigmoid(ρ)/s into `q` (the entropy's gradient, d ln s/dρ): the
    /// division done in the same vectorised loop as the scales. Inlined: the callers' copies
    /// of ρ into `s`, `sig` and `q`, all overwritten here, are then dropped.
    #[inline(always)]
    pub(crate) fn scales_q<T: Real, const P: usize>(
        g: &Guide<T, P>,
        p: usize,
        s: &mut Latent<T, P>,
        sig: &mut Latent<T, P>,
        q: &mut Latent<T, P>,
        want_lns: bool,
    ) -> T {
        // The coefficients over the first `width` entries of the arrays (a loop of known
        // length, which the compiler turns into vector instructions); the entries past p are
        // computed too (from whatever ρ holds there) but not checked, and never read.
        let mut ok = match width::<P>(p) {
            4 => coefs_width::<T, P, 4>(g, p, s, sig, q),
            8 => coefs_width::<T, P, 8>(g, p, s, sig, q),
            16 => coefs_width::<T, P, 16>(g, p, s, sig, q),
            32 => coefs_width::<T, P, 32>(g, p, s, sig, q),
            _ => coefs_width::<T, P, P>(g, p, s, sig, q),
        };
        // The intercept and u, twice over: four lanes, the loop of `coefs_lanes` on them (one
        // vector in f32, two in f64, rather than two evaluations one value at a time).
        let r = [g.rho.theta.alpha, g.rho.u, g.rho.theta.alpha, g.rho.u];
        let (mut a, mut b, mut c) = ([T::ZERO; 4], [T::ZERO; 4], [T::ZERO; 4]);
        ok &= coefs_lanes(&r, &mut a, &mut b, &mut c, 4);
        (s.theta.alpha, s.u) = (a[0], a[1]);
        (sig.theta.alpha, sig.u) = (b[0], b[1]);
        (q.theta.alpha, q.u) = (c[0], c[1]);
        if !ok {
            return scales_exact(g, p, s, sig, q);
        }
        if !want_lns {
            return T::ZERO;
        }
        let (mut ex, mut prod) = (0i32, T::ONE);
        let mut acc = |v: T| {
            let (e1, m1) = v.split_exp();
            let (e2, m2) = (prod * m1).split_exp();
            ex += e1 + e2;
            prod = m2;
        };
        acc(s.theta.alpha);
        s.theta.beta.iter().take(p).for_each(|v| acc(*v));
        acc(s.u);
        T::from_i32(ex) * T::c(core::f64::consts::LN_2) + ln_1p_unit(prod - T::ONE)
    }

    /// The coefficients' part of [`scales_q`] over the first `Q` ≤ P entries; whether the
    /// p used ones are in [`softplus_sigmoid_core`]'s range.
    #[inline(always)]
    fn coefs_width<T: Real, const P: usize, const Q: usize>(
        g: &Guide<T, P>,
        p: usize,
        s: &mut Latent<T, P>,
        sig: &mut Latent<T, P>,
        q: &mut Latent<T, P>,
    ) -> bool {
        let rho = &g.rho.theta.beta[..Q];
        let (s, sig, q) = (
            &mut s.theta.beta[..Q],
            &mut sig.theta.beta[..Q],
            &mut q.theta.beta[..Q],
        );
        // Every lane used (p at the width, the seed's case): no test of the index per lane.
        if p >= Q {
            coefs_lanes(rho, s, sig, q, Q)
        } else {
            coefs_lanes(rho, s, sig, q, p)
        }
    }

    /// s, sigmoid and their ratio of each ρ in `rho` (slices of one length); whether the first
    /// `p` ρ are in [`softplus_sigmoid_core`]'s range.
    #[inline(always)]
    fn coefs_lanes<T: Real>(rho: &[T], s: &mut [T], sig: &mut [T], q: &mut [T], p: usize) -> bool {
        let mut ok = true;
        for (j, (((r, s), sig), q)) in rho.iter().zip(s).zip(sig).zip(q).enumerate() {
            let (a, b, good) = softplus_sigmoid_core(*r);
            *s = a;
            *sig = b;
            *q = b / a;
            ok &= good | (j >= p);
        }
        ok
    }

    /// [`scales`] for every finite ρ, one by one (off the fast path: some ρ < [`Real::RHO_MIN`] or
    /// a scale above 700 in f64, 87 in f32).
    #[inline(never)]
    fn scales_exact<T: Real, const P: usize>(
        g: &Guide<T, P>,
        p: usize,
        s: &mut Latent<T, P>,
        sig: &mut Latent<T, P>,
        q: &mut Latent<T, P>,
    ) -> T {
        let mut lns = T::ZERO;
        for i in 0..p + 2 {
            let (a, b) = softplus_sigmoid(g.rho.get(i, p));
            *s.get_mut(i, p) = a;
            *sig.get_mut(i, p) = b;
            *q.get_mut(i, p) = b / a;
            lns += a.ln();
        }
        lns
    }
}

/// The microcontrollers' variant: less flash.
#[cfg(any(test, vireg_compact))]
pub(crate) mod compact {
    use super::softplus_sigmoid;
    use crate::guide::Guide;
    use crate::real::Real;
    use crate::vector::Latent;

    /// [`scales`](super::scales) on microcontrollers: one latent at a time, Σ ln s (always:
    /// `_want_lns` is ignored, a test costs flash) from a running product (logarithms only when
    /// it leaves [1e-15, 1e15]): less flash than the hosts' version.
    ///
    /// Σ ln s is accurate while every scale is at least 10¹⁵ times the smallest normal number
    /// (ρ ≥ −52 in f32, ≥ −673 in f64): a smaller one can take the running product below the
    /// normal range, where it loses precision; in f32 a scale below about 10⁻³⁰ (ρ < −69,
    /// above [`Real::RHO_MIN`]) times a product near 10⁻¹⁵ underflows to 0, and Σ ln s is −∞
    /// where the hosts' variant gives the finite sum: the step then returns `Diverged` and
    /// leaves the fit as it was. Only degenerate data take SVI there (an exact fit drives σ and
    /// with it every scale towards 0). Both remedies measured on the seed firmware cost more
    /// than the seed budget allows: a scale below 1e-15 taken apart (+52 B of flash), or a
    /// product window of [1e-3, 1e15] (+2.7% instructions per SVI step).
    #[inline]
    pub(crate) fn scales<T: Real, const P: usize>(
        g: &Guide<T, P>,
        p: usize,
        s: &mut Latent<T, P>,
        sig: &mut Latent<T, P>,
        _want_lns: bool,
    ) -> T {
        *s = g.rho;
        *sig = g.rho;
        let (lo, hi) = (T::c(1e-15), T::c(1e15));
        let (mut acc, mut prod) = (T::ZERO, T::ONE);
        let mut f = |si: &mut T, gi: &mut T| {
            let (a, b) = softplus_sigmoid(*si);
            *si = a;
            *gi = b;
            prod *= a;
            if prod < lo || prod > hi {
                acc += prod.ln();
                prod = T::ONE;
            }
        };
        f(&mut s.theta.alpha, &mut sig.theta.alpha);
        let p = p.min(P);
        for (a, b) in s.theta.beta[..p].iter_mut().zip(&mut sig.theta.beta[..p]) {
            f(a, b);
        }
        f(&mut s.u, &mut sig.u);
        acc + prod.ln()
    }
}

/// Monte Carlo loss and gradient (into `grad`, as d loss / d(loc, ρ)). Without `want_loss`
/// (hosts), the returned value lacks the loss's Σ ln s term, which is finite for every
/// accepted guide: finite exactly when the loss is.
pub(crate) fn mc_loss_grad<T: Normal, const P: usize, R: Rng + ?Sized>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    guide: &Guide<T, P>,
    particles: u32,
    rng: &mut R,
    grad: &mut Guide<T, P>,
    want_loss: bool,
) -> T {
    #[cfg(not(vireg_compact))]
    return match width::<P>(stats.features()) {
        4 => wide::mc_width::<T, P, 4, R>(stats, mc, guide, particles, rng, grad, want_loss),
        8 => wide::mc_width::<T, P, 8, R>(stats, mc, guide, particles, rng, grad, want_loss),
        16 => wide::mc_width::<T, P, 16, R>(stats, mc, guide, particles, rng, grad, want_loss),
        32 => wide::mc_width::<T, P, 32, R>(stats, mc, guide, particles, rng, grad, want_loss),
        _ => wide::mc_width::<T, P, P, R>(stats, mc, guide, particles, rng, grad, want_loss),
    };
    #[cfg(vireg_compact)]
    {
        let p = stats.features();
        let (mut s, mut sig) = (guide.rho, guide.rho);
        let lns = scales(guide, p, &mut s, &mut sig, want_loss);
        // The sums of the particles' gradients (of log p, and of log p times ε) accumulate in
        // `grad` itself (loc and rho): fewer vectors on the stack.
        grad.loc = Latent::splat(T::ZERO);
        grad.rho = Latent::splat(T::ZERO);
        let mut loss = T::ZERO;
        let mut theta = guide.loc.theta;
        let mut eps: Latent<T, P> = Latent::splat(T::ZERO);
        let mut gl: Latent<T, P> = Latent::splat(T::ZERO);
        let k = particles.max(1);
        let neg_logq0 = lns + T::from_i32(p as i32 + 2) * T::c(0.5 * LN_2PI);
        for _ in 0..k {
            let mut e2 = T::ZERO;
            let mut draw = |e: &mut T, z: &mut T, m: T, sd: T| {
                let v = T::std_normal(rng);
                *e = v;
                e2 += v * v;
                *z = m + sd * v;
            };
            draw(
                &mut eps.theta.alpha,
                &mut theta.alpha,
                guide.loc.theta.alpha,
                s.theta.alpha,
            );
            for j in 0..p {
                draw(
                    &mut eps.theta.beta[j],
                    &mut theta.beta[j],
                    guide.loc.theta.beta[j],
                    s.theta.beta[j],
                );
            }
            let mut u = T::ZERO;
            draw(&mut eps.u, &mut u, guide.loc.u, s.u);
            let (lp, gu) = log_joint_grad(stats, mc, &theta, u, &mut gl.theta);
            gl.u = gu;
            // Σ g and Σ g·ε, in one pass (past p, g and ε are zero: the sums stay zero).
            Latent::zip4(
                &mut grad.loc,
                &gl,
                &mut grad.rho,
                &mut eps,
                p,
                |l, g, r, e| {
                    *l += g;
                    *r += g * *e;
                },
            );
            // −log q(z) = Σ ln s + (D/2) ln 2π + ½Σε²
            loss += -(lp + neg_logq0 + T::c(0.5) * e2);
        }
        let inv_k = T::ONE / T::from_u64(k as u64);
        // d loss/dm = −mean(g); d loss/dρ = −(mean(g·ε) + 1/s)·sigmoid(ρ), in one pass.
        Latent::zip4(
            &mut grad.loc,
            &s,
            &mut grad.rho,
            &mut sig,
            p,
            |o, si, a, sg| {
                *o = -*o * inv_k;
                *a = -(*a * inv_k + T::ONE / si) * *sg;
            },
        );
        loss * inv_k
    }
}

/// The exact loss (−ELBO) under q, and its gradient when `grad` is given.
pub(crate) fn analytic_loss_grad<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    mc: &ModelConsts<T, P>,
    gdiag: &Coefs<T, P>,
    guide: &Guide<T, P>,
    grad: Option<&mut Guide<T, P>>,
) -> T {
    #[cfg(not(vireg_compact))]
    return match width::<P>(stats.features()) {
        4 => wide::analytic_width::<T, P, 4>(stats, mc, gdiag, guide, grad),
        8 => wide::analytic_width::<T, P, 8>(stats, mc, gdiag, guide, grad),
        16 => wide::analytic_width::<T, P, 16>(stats, mc, gdiag, guide, grad),
        32 => wide::analytic_width::<T, P, 32>(stats, mc, gdiag, guide, grad),
        _ => wide::analytic_width::<T, P, P>(stats, mc, gdiag, guide, grad),
    };
    #[cfg(vireg_compact)]
    {
        let p = stats.features();
        let n = mc.n;
        let prec = &mc.prec;
        let (mut s, mut sig) = (guide.rho, guide.rho);
        let lns = scales(guide, p, &mut s, &mut sig, true);
        let m = &guide.loc;
        let mut gth = Coefs::splat(T::ZERO);
        let rss_m = stats.rss_grad(&m.theta, &mut gth); // gth = G m − b
        let mut erss = rss_m;
        let mut quad = T::ZERO;
        // The intercept's entry, then the features' by slice index (no index arithmetic).
        let mut acc = |sj: T, gj: T, mj: T, pj: T| {
            let sj2 = sj * sj;
            erss += sj2 * gj;
            quad += (mj * mj + sj2) * pj;
        };
        let (st, mt) = (&s.theta, &m.theta);
        acc(st.alpha, gdiag.alpha, mt.alpha, prec.alpha);
        for j in 0..p.min(P) {
            acc(st.beta[j], gdiag.beta[j], mt.beta[j], prec.beta[j]);
        }
        let su = s.u;
        let su2 = su * su;
        let two = T::c(2.0);
        let lam = (two * su2 - two * m.u).exp();
        let kap = (two * su2 + two * m.u).exp();
        let inv_ts2 = mc.inv_ts2;
        let half = T::c(0.5);
        let d = T::from_i32(p as i32 + 2);
        let elbo =
            mc.log_norm - half * quad - half * kap * inv_ts2 + m.u - n * m.u - half * lam * erss
                + lns
                + d * T::c(0.5 * (LN_2PI + 1.0));
        if let Some(grad) = grad {
            let g = |mj: T, pj: T, gtj: T, sj: T, gdj: T, sgj: T, loc: &mut T, rho: &mut T| {
                let gm = -mj * pj - lam * gtj;
                let gs = -sj * pj - lam * sj * gdj + T::ONE / sj;
                *loc = -gm;
                *rho = -gs * sgj;
            };
            let (mt, st, sgt) = (&m.theta, &s.theta, &sig.theta);
            let (loc, rho) = (&mut grad.loc.theta, &mut grad.rho.theta);
            g(
                mt.alpha,
                prec.alpha,
                gth.alpha,
                st.alpha,
                gdiag.alpha,
                sgt.alpha,
                &mut loc.alpha,
                &mut rho.alpha,
            );
            for j in 0..p.min(P) {
                g(
                    mt.beta[j],
                    prec.beta[j],
                    gth.beta[j],
                    st.beta[j],
                    gdiag.beta[j],
                    sgt.beta[j],
                    &mut loc.beta[j],
                    &mut rho.beta[j],
                );
            }
            let gmu = -kap * inv_ts2 + T::ONE - n + lam * erss;
            let gsu = -two * su * kap * inv_ts2 - two * su * lam * erss + T::ONE / su;
            grad.loc.u = -gmu;
            grad.rho.u = -gsu * sig.u;
        }
        -elbo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hosts' and the microcontrollers' `scales` on guides of every p of a capacity of 7,
    /// ρ random in [−20, 20] and from a list of edges: s and sigmoid within 4ε (relative) of
    /// each other, as the two softplus variants (math/softplus.rs); Σ ln s within
    /// 2ε·(p + 2 + |Σ ln s|), from a product of p + 2 factors rounded once each (compact)
    /// against one split product (hosts). The edges stay in the compact variant's domain for
    /// Σ ln s (every scale at least 10¹⁵ times the smallest normal number: [`compact::scales`]).
    fn scales_agree<T: Real>(rhos: &[f64]) {
        let eps = T::EPSILON.to_f64();
        let close = |a: T, b: T, k: f64| {
            let (a, b) = (a.to_f64(), b.to_f64());
            a == b || (a - b).abs() <= k * eps * b.abs()
        };
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for p in 1..=7 {
            for round in 0..200 {
                let mut g: Guide<T, 7> = Guide {
                    loc: Latent::splat(T::ZERO),
                    rho: Latent::splat(T::ZERO),
                };
                for i in 0..p + 2 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let r = if round % 4 == 0 {
                        rhos[(state >> 33) as usize % rhos.len()]
                    } else {
                        (state >> 11) as f64 / (1u64 << 53) as f64 * 40.0 - 20.0
                    };
                    *g.rho.get_mut(i, p) = T::c(r);
                }
                let (mut s1, mut sig1) = (g.rho, g.rho);
                let (mut s2, mut sig2) = (g.rho, g.rho);
                let l1 = wide::scales(&g, p, &mut s1, &mut sig1, true);
                let l2 = compact::scales(&g, p, &mut s2, &mut sig2, true);
                for i in 0..p + 2 {
                    assert!(close(s1.get(i, p), s2.get(i, p), 4.0), "p = {p}: s[{i}]");
                    assert!(
                        close(sig1.get(i, p), sig2.get(i, p), 4.0),
                        "p = {p}: sig[{i}]"
                    );
                }
                let bound = 2.0 * eps * ((p + 2) as f64 + l2.to_f64().abs());
                assert!(
                    (l1.to_f64() - l2.to_f64()).abs() <= bound,
                    "p = {p}: Σ ln s {l1:?} vs {l2:?}, ρ {:?}",
                    g.rho
                );
            }
        }
    }

    #[test]
    fn scales_variants_agree() {
        scales_agree::<f64>(&[-670.0, -600.0, -80.5, -30.0, 0.0, 30.0, 700.5, 1e6]);
        scales_agree::<f32>(&[-52.0, -45.0, -30.0, 0.0, 30.0, 87.5, 1e6]);
    }

    /// What a fit of `p` features computes at capacity `p`, as latent vectors' entries (bits):
    /// the summary's G diagonal and rows, the guide after Monte Carlo and analytic steps, the
    /// gradient, and the exact optimum.
    fn trace<T: Normal, const P: usize>(p: usize) -> std::vec::Vec<u64> {
        use crate::{Config, Fit, Synth};
        let mut synth: Synth<T, 40> = Synth::new(p, 7).unwrap();
        let (mut xs, mut ys) = (std::vec![T::ZERO; 300 * p], std::vec![T::ZERO; 300]);
        for i in 0..300 {
            ys[i] = synth.next_row(&mut xs[i * p..(i + 1) * p]).unwrap();
        }
        let mut out = std::vec::Vec::new();
        let mut push = |f: &Fit<T, P>, g: &Guide<T, P>, h: &Guide<T, P>| {
            for l in [
                &f.guide().loc,
                &f.guide().rho,
                &g.loc,
                &g.rho,
                &h.loc,
                &h.rho,
            ] {
                out.extend((0..p + 2).map(|i| l.get(i, p).to_bits_u64()));
            }
            let gd = f.stats().gram_diag();
            out.extend((0..=p).map(|i| gd[i].to_bits_u64()));
        };
        for est in [Estimator::MonteCarlo { particles: 2 }, Estimator::Analytic] {
            let cfg = Config {
                estimator: est,
                ..Config::default()
            };
            // Half the rows one at a time, half as a batch.
            let mut f: Fit<T, P> = Fit::new(p, cfg).unwrap();
            for (x, y) in xs.chunks_exact(p).zip(&ys).take(150) {
                f.observe(x, *y).unwrap();
            }
            f.observe_rows(&xs[150 * p..], p, &ys[150..]).unwrap();
            f.steps(200).unwrap();
            let mut g = *f.guide();
            f.loss_grad(&mut g);
            // The exact optimum, by the solver itself (tests/module_dag.rs reads a call of
            // the fit's method by that name here as a dependency on the full-rank fit).
            let mut h = *f.guide();
            crate::exact::solve(f.stats(), &cfg.prior, &mut h).unwrap();
            push(&f, &g, &h);
        }
        out
    }

    /// The hosts' kernels run on the first `width` entries of the vectors; the results are
    /// those of the whole capacity, bit for bit: p features at capacity 40 (widths 4, 8, 16,
    /// 32 and 40) against capacity p (the width is then p itself), f32 and f64.
    #[test]
    fn results_do_not_depend_on_the_capacity() {
        fn check<T: Normal>() {
            assert_eq!(trace::<T, 40>(3), trace::<T, 3>(3));
            assert_eq!(trace::<T, 40>(8), trace::<T, 8>(8));
            assert_eq!(trace::<T, 40>(13), trace::<T, 13>(13));
            assert_eq!(trace::<T, 40>(30), trace::<T, 30>(30));
            assert_eq!(trace::<T, 40>(37), trace::<T, 37>(37));
        }
        check::<f64>();
        check::<f32>();
    }
}
