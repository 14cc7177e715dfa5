//! The exact mean-field optimum: the global maximum of the ELBO over the mean-field family, with
//! no learning rate and no noise (docs/exact-optimum.md).
//!
//! Given λ = E_q[e^{−2u}], the coefficients' block has a closed form (a ridge solve done through
//! the Givens factor, never the normal equations); given E = E_q[RSS], the (m_u, s_u) block is a
//! strictly concave 2-variable problem solved by damped Newton on (m_u, ln s_u). Everything is a
//! function of λ, so the ELBO can be searched along that one number for its best optimum (it may
//! have several), which the plain coordinate ascent then polishes to rounding level.

#![forbid(unsafe_code)]

use crate::condition::{condition, ILL_CONDITIONED_LIMIT};
use crate::error::{Error, Result};
use crate::estimator::analytic_loss_grad;
use crate::guide::Guide;
use crate::math::softplus::softplus_inv;
use crate::model::{ModelConsts, Prior};
use crate::real::Real;
use crate::stats::Stats;
use crate::vector::{Coefs, Latent};

/// What the exact solver did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExactReport<T> {
    /// Evaluations of the coordinate-ascent map (θ-block solves): the search for the global
    /// optimum and the final sweeps together.
    pub iterations: u32,
    /// The ELBO at the optimum (exact, analytic).
    pub elbo: T,
}

/// f(m, ℓ) = (1−N)m − a·e^{−2m+2s²} − c·e^{2m+2s²} + ℓ with s = e^ℓ; value, gradient, Hessian.
// Not inlined: two call sites, once per Newton step (code size; off the SVI path).
#[inline(never)]
fn u_objective<T: Real>(n: T, a: T, c: T, m: T, l: T) -> (T, [T; 2], [T; 3]) {
    let two = T::c(2.0);
    let s2 = (two * l).exp();
    let aa = a * (two * s2 - two * m).exp();
    let cc = c * (two * s2 + two * m).exp();
    let f = (T::ONE - n) * m - aa - cc + l;
    let sum = aa + cc;
    let g = [
        (T::ONE - n) + two * (aa - cc),
        T::ONE - T::c(4.0) * s2 * sum,
    ];
    let h = [
        -T::c(4.0) * sum,
        T::c(8.0) * s2 * (aa - cc),
        -sum * (T::c(16.0) * s2 * s2 + T::c(8.0) * s2),
    ];
    (f, g, h)
}

/// One round of the u-block's start (a = E/2 and c = 1/(2τ²) given as ln a, ln c): the m
/// maximising f at ℓ, then the ℓ maximising f at that m; `None` if either is not finite.
///
/// With A = a·e^{2s²}, C = c·e^{2s²} and x = e^{2m}, ∂f/∂m = 0 is 2C·x² + (N − 1)·x − 2A = 0,
/// whose positive root is x = 4A / ((N − 1) + √((N − 1)² + 16AC)) for N ≥ 1 and
/// (1 + √(1 + 16AC)) / (4C) for N = 0. With K = a·e^{−2m} + c·e^{2m} and t = 2s², ∂f/∂ℓ = 0 is
/// t·e^t = 1/(2K): t = W(1/(2K)), Lambert's W, to a few per cent by Winitzki's formula.
fn u_start<T: Real>(n: T, ln_a: T, ln_c: T, l: T) -> Option<(T, T)> {
    let two_s2 = T::c(2.0) * (T::c(2.0) * l).exp();
    let (la, lc) = (ln_a + two_s2, ln_c + two_s2);
    let nm1 = n - T::ONE;
    // v = √(16AC) and h = √(nm1² + v²), neither squared.
    let v = T::c(4.0) * (T::c(0.5) * (la + lc)).exp();
    let big = nm1.abs().max(v);
    let h = if big > T::ZERO {
        let (r1, r2) = (nm1 / big, v / big);
        big * (r1 * r1 + r2 * r2).sqrt()
    } else {
        T::ZERO
    };
    let ln4 = T::c(4.0).ln();
    let ln_x = if nm1 >= T::ZERO {
        ln4 + la - (nm1 + h).ln()
    } else {
        (h - nm1).ln() - ln4 - lc
    };
    let m = T::c(0.5) * ln_x;
    // ln K by log-sum-exp, then ln z for z = 1/(2K), and ln(1 + z) without overflow.
    let (k1, k2) = (ln_a - T::c(2.0) * m, ln_c + T::c(2.0) * m);
    let kmax = k1.max(k2);
    let ln_k = kmax + ((k1 - kmax).exp() + (k2 - kmax).exp()).ln();
    let ln_z = -(T::c(2.0).ln() + ln_k);
    let l1z = if ln_z > T::c(30.0) {
        ln_z
    } else {
        (T::ONE + ln_z.exp()).ln()
    };
    let t = l1z * (T::ONE - (T::ONE + l1z).ln() / (T::c(2.0) + l1z));
    let l = T::c(0.5) * (T::c(0.5) * t).ln();
    (m.is_finite() && l.is_finite()).then_some((m, l))
}

/// Maximises the u-block for E = `erss`; returns (m_u, s_u).
fn solve_u<T: Real>(n: T, erss: T, tau: T, m0: T, s0: T, fresh: bool) -> Result<(T, T)> {
    let a = T::c(0.5) * erss;
    let c = T::ONE / (T::c(2.0) * tau * tau);
    // Newton on e^{±2m} and e^{2ℓ} gains only about ½ per step far from the optimum, so with
    // `fresh` it starts from the block's optimum in each variable given the other
    // (docs/exact-optimum.md, §3), twice over, in logarithms so that no product leaves the
    // range; otherwise from the caller's start (the previous optimum, moved for the new E).
    let (mut m, mut l) = (m0, s0.ln());
    if fresh {
        let (ln_a, ln_c) = (a.ln(), c.ln());
        for _ in 0..2 {
            if let Some((mn, ln)) = u_start(n, ln_a, ln_c, l) {
                m = mn;
                l = ln;
            }
        }
    }
    let (mut f, mut g, mut h) = u_objective(n, a, c, m, l);
    'newton: for _ in 0..100 {
        // Newton direction: solve H δ = −g (H negative definite).
        let det = h[0] * h[2] - h[1] * h[1];
        let (dm, dl) = if det > T::ZERO && det <= T::MAX {
            (
                (-g[0] * h[2] + g[1] * h[1]) / det,
                (-g[1] * h[0] + g[0] * h[1]) / det,
            )
        } else {
            // Fall back to a gradient step scaled by the diagonal.
            (-g[0] / h[0], -g[1] / h[2])
        };
        // Newton decrement: the predicted gain of the full step. Once it is at rounding level the
        // objective can no longer tell better from worse, but the step itself is still accurate:
        // take it without a line search, and stop once it is small (the error left is its
        // square). A large |f| (N·|m_u|) puts that level high, so the first such step can still
        // be far from the optimum: iterate.
        // (The full step goes through the line search's loop with t = 1 and no test: one call
        // site of the objective.)
        let full = g[0] * dm + g[1] * dl <= T::c(4.0) * T::EPSILON * (f.abs() + T::ONE);
        let mut t = T::ONE;
        let mut moved = false;
        for _ in 0..60 {
            let (mn, ln) = (m + t * dm, l + t * dl);
            if full {
                if !(mn.is_finite() && ln.is_finite()) {
                    break 'newton;
                }
                m = mn;
                l = ln;
                if dm.abs() <= T::c(1e-3) * (T::ONE + m.abs()) && dl.abs() <= T::c(1e-3) {
                    break 'newton;
                }
            }
            let (fn_, gn, hn) = u_objective(n, a, c, mn, ln);
            if full {
                (f, g, h) = (fn_, gn, hn);
                continue 'newton;
            }
            if fn_.is_finite() && fn_ >= f {
                moved = mn != m || ln != l;
                m = mn;
                l = ln;
                f = fn_;
                g = gn;
                h = hn;
                break;
            }
            t *= T::c(0.5);
        }
        let small = T::c(8.0) * T::EPSILON;
        if !moved
            || (dm.abs() <= small * (T::ONE + m.abs()) && dl.abs() <= small * (T::ONE + l.abs()))
        {
            break;
        }
    }
    let s = l.exp();
    if !(m.is_finite() && s > T::ZERO && s <= T::MAX) {
        return Err(Error::Overflow);
    }
    Ok((m, s))
}

/// Upper bound on the evaluations of the ascent map (θ-block solves) in one solve: the search,
/// the refinement of every local maximum and the polish together.
const MAX_EVALS: u32 = 2000;

/// The smallest step of the scan between the lowest and the highest fixed point, in ln λ
/// (docs/exact-optimum.md, §5).
const SCAN_STEP: f64 = 0.5;

/// The coordinate-ascent map on the noise precision λ = E_q[e^{−2u}] (docs/exact-optimum.md,
/// §2–3): the θ-block given λ, then the u-block given the θ-block's E[RSS].
struct Ascent<'a, T, const P: usize> {
    stats: &'a Stats<T, P>,
    /// `stats.features()`, read once.
    p: usize,
    mc: ModelConsts<T, P>,
    gdiag: Coefs<T, P>,
    tau: T,
    /// The last u-block's (m_u, s_u), and its E[RSS].
    mu: T,
    su: T,
    last_e: T,
    evals: u32,
    /// The first error of an evaluation of f (which returns NaN then): the search checks it
    /// where a NaN could otherwise stand for a value.
    failed: Option<Error>,
}

impl<'a, T: Real, const P: usize> Ascent<'a, T, P> {
    /// The θ-block's ridge at λ: the prior's precisions over λ. Not inlined: the θ-block and
    /// the condition estimate share it.
    #[inline(never)]
    fn ridge(&self, lam: T) -> Coefs<T, P> {
        let mut ridge = self.mc.prec;
        ridge.alpha /= lam;
        for j in 0..self.p.min(P) {
            ridge.beta[j] /= lam;
        }
        ridge
    }

    /// The θ-block at λ: E[RSS] at its optimum, and (if `fill`) the block itself in `guide`.
    fn theta(&self, lam: T, guide: &mut Guide<T, P>, fill: bool) -> T {
        let prec = &self.mc.prec;
        let m = self.stats.ridge_solve(&self.ridge(lam));
        let mut erss = self.stats.rss(&m);
        let gd = &self.gdiag;
        let mut entry = |g: T, pr: T, mj: T, loc: &mut T, rho: &mut T| {
            let sj2 = T::ONE / (lam * g + pr);
            erss += sj2 * g;
            if fill {
                *loc = mj;
                *rho = softplus_inv(sj2.sqrt());
            }
        };
        let (loc, rho) = (&mut guide.loc.theta, &mut guide.rho.theta);
        entry(
            gd.alpha,
            prec.alpha,
            m.alpha,
            &mut loc.alpha,
            &mut rho.alpha,
        );
        for j in 0..self.p.min(P) {
            entry(
                gd.beta[j],
                prec.beta[j],
                m.beta[j],
                &mut loc.beta[j],
                &mut rho.beta[j],
            );
        }
        erss
    }

    /// The u-block's optimum for E[RSS] = `erss` into (mu, su); returns ln of the next λ
    /// (docs/exact-optimum.md, §3).
    fn u(&mut self, erss: T) -> Result<T> {
        self.evals += 1;
        if self.evals > MAX_EVALS || !erss.is_finite() {
            return Err(if erss.is_finite() {
                Error::NotConverged
            } else {
                Error::Overflow
            });
        }
        // Newton starts from the previous optimum, m_u moved as σ² ∝ E[RSS] would move it.
        let r = erss / self.last_e;
        if self.last_e > T::ZERO && erss > T::ZERO {
            self.mu += T::c(0.5) * r.ln();
        }
        // A start from formulas when there is no previous optimum or E moved by more than a
        // factor of two (docs/exact-optimum.md, §3).
        let fresh = !(r > T::c(0.5) && r < T::c(2.0));
        let (m, s) = solve_u(self.mc.n, erss, self.tau, self.mu, self.su, fresh)?;
        self.mu = m;
        self.su = s;
        self.last_e = erss;
        Ok(T::c(2.0) * (s * s - m))
    }

    /// f(ℓ) = ln Φ(e^ℓ) − ℓ: how far one sweep moves ln λ from ℓ. Its zeros are the fixed points
    /// of the ascent; where it changes sign from + to −, the ELBO has a local maximum.
    /// NaN on error, the first error kept in `failed` (a plain value: seven call sites).
    #[inline(never)]
    fn f(&mut self, l: T, guide: &mut Guide<T, P>) -> T {
        match self.sweep(l, guide, false, None) {
            Ok((next, _)) => next - l,
            Err(e) => {
                self.failed.get_or_insert(e);
                T::INFINITY * T::ZERO
            }
        }
    }

    /// The first error of f, if any.
    fn check(&self) -> Result<()> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A zero of f in [x0, x1] (f(x0) > 0 > f(x1)) to rounding level: regula falsi with the
    /// Illinois modification (superlinear, and never leaves the bracket). An error of f ends it
    /// (NaN: neither side), left in `failed`.
    #[inline(always)]
    fn refine(&mut self, mut x0: T, mut f0: T, mut x1: T, mut f1: T, g: &mut Guide<T, P>) -> T {
        let mut side = 0i8;
        loop {
            let mut x = x1 - f1 * (x1 - x0) / (f1 - f0);
            if !(x > x0 && x < x1) {
                x = T::c(0.5) * (x0 + x1);
            }
            if !(x > x0 && x < x1)
                || x1 - x0 <= T::c(4.0) * T::EPSILON * (T::ONE + x0.abs() + x1.abs())
            {
                return if f0 < -f1 { x0 } else { x1 };
            }
            let fx = self.f(x, g);
            if fx > T::ZERO {
                (x0, f0) = (x, fx);
                if side > 0 {
                    f1 *= T::c(0.5);
                }
                side = 1;
            } else if fx < T::ZERO {
                (x1, f1) = (x, fx);
                if side < 0 {
                    f0 *= T::c(0.5);
                }
                side = -1;
            } else {
                return x;
            }
        }
    }

    /// ln λ of the global optimum (docs/exact-optimum.md, §5): every fixed point of the ascent
    /// lies in the bracket the u-block gives for E[RSS] at λ → 0 and λ → ∞; the ascent from
    /// either end of it (a monotone map) closes in on the lowest and the highest fixed point, a
    /// scan between them finds every sign change of f, and each local maximum found is refined;
    /// the one of highest ELBO wins.
    fn search(&mut self, g: &mut Guide<T, P>) -> Result<T> {
        let st = self.stats;
        let yty = st.yty();
        // E[RSS] with the coefficients at their prior (λ → 0), and at least the least-squares
        // residual (λ → ∞), floored at what rounding leaves of yᵀy.
        let mut emax = yty;
        for j in 0..=self.p {
            emax += self.gdiag[j] / self.mc.prec[j];
        }
        let mut emin = st.sserr().max(T::EPSILON * T::EPSILON * yty);
        if emin <= T::ZERO {
            emin = T::c(1e-30);
        }
        let mut lo = self.sweep(T::ZERO, g, false, Some(emax.min(T::MAX)))?.0;
        let mut hi = self.sweep(T::ZERO, g, false, Some(emin))?.0.max(lo);
        let mut flo = self.f(lo, g);
        let mut fhi = self.f(hi, g);
        // The floor (or rounding) can leave the upper end below a fixed point: step outwards.
        // (At the lower end a negative f is rounding at a fixed point, which the scan keeps.)
        while fhi > T::ZERO {
            hi += T::c(2.0) * fhi + T::ONE;
            fhi = self.f(hi, g);
        }
        // The ascent from the ends: it passes no fixed point, and gets close to the extreme ones.
        let step = T::c(SCAN_STEP);
        while flo > step && lo + flo < hi {
            lo += flo;
            flo = self.f(lo, g);
        }
        while fhi < -step && hi + fhi > lo {
            hi += fhi;
            fhi = self.f(hi, g);
        }
        // An error of f above ended the loops (NaN compares false); the scan takes the NaN to
        // its first check.
        // Scan [lo, hi]: |f′| ≤ 1 (docs/exact-optimum.md, §4), so no zero is within |f|/2. Each
        // sign change from + to − is refined, and the one of least loss kept.
        let (mut x, mut fx) = (lo, flo);
        let mut best = (lo, T::INFINITY);
        loop {
            let y = x + step.max(T::c(0.5) * fx.abs());
            let (y, fy) = if y >= hi {
                (hi, fhi)
            } else {
                (y, self.f(y, g))
            };
            if fx >= T::ZERO && fy <= T::ZERO && fx != fy {
                let r = if fy == T::ZERO {
                    y
                } else if fx == T::ZERO {
                    x
                } else {
                    self.refine(x, fx, y, fy, g)
                };
                self.check()?;
                let (_, loss) = self.sweep(r, g, true, None)?;
                if loss < best.1 {
                    best = (r, loss);
                }
            }
            self.check()?;
            if y >= hi {
                return Ok(best.0);
            }
            (x, fx) = (y, fy);
        }
    }

    /// One sweep of the ascent from λ = e^ℓ: the θ-block, the u-block for its E[RSS]; returns
    /// ln of the next λ and, with `fill`, the loss (−ELBO) of the sweep's guide, written to `g`
    /// (zero without). With `erss`, the u-block alone for that E[RSS] (ℓ unused): the search's
    /// bracket. One function for every evaluation: one copy of the u-block in flash.
    fn sweep(&mut self, l: T, g: &mut Guide<T, P>, fill: bool, erss: Option<T>) -> Result<(T, T)> {
        let e = match erss {
            Some(e) => e,
            None => {
                let lam = l.exp();
                if !(lam > T::ZERO && lam <= T::MAX) {
                    return Err(Error::Overflow);
                }
                self.theta(lam, g, fill)
            }
        };
        let next = self.u(e)?;
        let mut loss = T::ZERO;
        if fill {
            g.loc.u = self.mu;
            g.rho.u = softplus_inv(self.su);
            loss = analytic_loss_grad(self.stats, &self.mc, &self.gdiag, g, None);
            if !(g.all_finite(self.p.min(P)) && loss.is_finite()) {
                return Err(Error::Overflow);
            }
        }
        Ok((next, loss))
    }
}

/// The global mean-field optimum of the ELBO, refused with `IllConditioned` when the condition
/// estimate there exceeds the limit (condition.rs). The optimum goes to `guide` (its contents on
/// error are unspecified).
pub(crate) fn solve<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    guide: &mut Guide<T, P>,
) -> Result<ExactReport<T>> {
    let (cond, report) = optimum(stats, prior, guide)?;
    // A NaN estimate is refused too.
    if cond.is_nan_value() || cond > T::c(ILL_CONDITIONED_LIMIT) {
        return Err(Error::IllConditioned);
    }
    Ok(report)
}

/// The global mean-field optimum (into `guide`, whose contents on error are unspecified: an
/// argument, not a result, so that no copy of it is made on the stack), unchecked, with the
/// condition estimate there. `NotConverged` if the evaluations run out, `Overflow` if a
/// quantity leaves the precision's range (e.g. an exact fit of more rows than coefficients,
/// whose ELBO grows without bound as σ → 0).
pub(crate) fn optimum<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    prior: &Prior<T>,
    guide: &mut Guide<T, P>,
) -> Result<(T, ExactReport<T>)> {
    let mut a = Ascent {
        stats,
        p: stats.features(),
        mc: ModelConsts::new(stats, prior),
        gdiag: stats.gram_diag(),
        tau: prior.noise,
        mu: prior.median_u(),
        su: T::c(0.1),
        last_e: -T::ONE,
        evals: 0,
        failed: None,
    };
    guide.loc = Latent::splat(T::ZERO);
    guide.rho = Latent::splat(T::ZERO);
    let mut l = a.search(guide)?;
    let mut lam = l.exp();
    // Polish: the plain ascent from the best local maximum (docs/exact-optimum.md, §6).
    let mut prev = T::INFINITY;
    let mut prev_dlam = T::INFINITY;
    let tol = T::c(16.0) * T::EPSILON;
    loop {
        let (l_next, loss) = a.sweep(l, guide, true, None)?;
        let lam_next = l_next.exp();
        // Stop once λ is still to rounding level, or once its steps stop shrinking: the map is
        // monotone, so the ascent approaches its fixed point from one side with shrinking steps
        // until rounding in E[RSS] (on ill-conditioned data well above ε) takes over.
        let dlam = (lam_next - lam).abs();
        let still = (loss - prev).abs() <= tol * loss.abs().max(T::ONE);
        // A very slow contraction may reach neither within the budget; an ELBO that stopped
        // changing then still counts as converged on the last evaluation.
        let last = a.evals == MAX_EVALS && still;
        if dlam <= T::c(4.0) * T::EPSILON * lam || dlam >= prev_dlam || last {
            // E[RSS] of the guide: the θ-block's, which the last sweep handed to the u-block.
            let cond = condition(stats, &a.ridge(lam_next), &a.gdiag, a.last_e);
            return Ok((
                cond,
                ExactReport {
                    iterations: a.evals,
                    elbo: -loss,
                },
            ));
        }
        prev = loss;
        prev_dlam = dlam;
        (l, lam) = (l_next, lam_next);
    }
}
