//! Posterior summaries, quantiles, draws and predictions from a fitted guide (docs/math.md, §7).
//!
//! α and β are Normal(mᵢ, sᵢ²); σ = e^u is log-normal.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::guide::Guide;
use crate::rng::Normal;
use crate::vector::Latent;
use rand_core::Rng;

/// Mean, standard deviation and median of one constrained parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Summary<T> {
    /// Posterior mean.
    pub mean: T,
    /// Posterior standard deviation.
    pub sd: T,
    /// Posterior median.
    pub median: T,
}

/// A fitted mean-field posterior: locations and scales of the latents (α, β₁ … β_p, u = ln σ).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Posterior<T, const P: usize> {
    pub(crate) p: usize,
    pub(crate) loc: Latent<T, P>,
    pub(crate) scale: Latent<T, P>,
}

/// Φ⁻¹(q), the standard normal quantile (Wichura 1988, AS 241 PPND16; |rel. error| < 1e-16),
/// for 0 < q < 1. Returns ∓∞ at 0 and 1, NaN outside [0, 1].
#[allow(clippy::excessive_precision)]
pub fn normal_quantile<T: Normal>(q: T) -> T {
    if q.is_nan_value() || q < T::ZERO || q > T::ONE {
        return T::c(f64::NAN);
    }
    if q == T::ZERO {
        return -T::INFINITY;
    }
    if q == T::ONE {
        return T::INFINITY;
    }
    let c = T::c;
    let qq = q - c(0.5);
    if qq.abs() <= c(0.425) {
        let r = c(0.180625) - qq * qq;
        let num = ((((((c(2509.0809287301226727) * r + c(33430.575583588128105)) * r
            + c(67265.770927008700853))
            * r
            + c(45921.953931549871457))
            * r
            + c(13731.693765509461125))
            * r
            + c(1971.5909503065514427))
            * r
            + c(133.14166789178437745))
            * r
            + c(3.387132872796366608);
        let den = ((((((c(5226.495278852545925) * r + c(28729.085735721942674)) * r
            + c(39307.89580009271061))
            * r
            + c(21213.794301586595867))
            * r
            + c(5394.1960214247511077))
            * r
            + c(687.1870074920579083))
            * r
            + c(42.313330701600911252))
            * r
            + T::ONE;
        return qq * num / den;
    }
    let mut r = if qq < T::ZERO { q } else { T::ONE - q };
    r = (-r.ln()).sqrt();
    let val = if r <= c(5.0) {
        r -= c(1.6);
        let num = ((((((c(7.7454501427834140764e-4) * r + c(0.0227238449892691845833)) * r
            + c(0.24178072517745061177))
            * r
            + c(1.27045825245236838258))
            * r
            + c(3.64784832476320460504))
            * r
            + c(5.7694972214606914055))
            * r
            + c(4.6303378461565452959))
            * r
            + c(1.42343711074968357734);
        let den = ((((((c(1.05075007164441684324e-9) * r + c(5.475938084995344946e-4)) * r
            + c(0.0151986665636164571966))
            * r
            + c(0.14810397642748007459))
            * r
            + c(0.68976733498510000455))
            * r
            + c(1.6763848301838038494))
            * r
            + c(2.05319162663775882187))
            * r
            + T::ONE;
        num / den
    } else {
        r -= c(5.0);
        let num = ((((((c(2.01033439929228813265e-7) * r + c(2.71155556874348757815e-5)) * r
            + c(0.0012426609473880784386))
            * r
            + c(0.026532189526576123093))
            * r
            + c(0.29656057182850489123))
            * r
            + c(1.7848265399172913358))
            * r
            + c(5.4637849111641143699))
            * r
            + c(6.6579046435011037772);
        let den = ((((((c(2.04426310338993978564e-15) * r + c(1.4215117583164458887e-7)) * r
            + c(1.8463183175100546818e-5))
            * r
            + c(7.868691311456132591e-4))
            * r
            + c(0.0148753612908506148525))
            * r
            + c(0.13692988092273580531))
            * r
            + c(0.59983220655588793769))
            * r
            + T::ONE;
        num / den
    };
    if qq < T::ZERO {
        -val
    } else {
        val
    }
}

/// The highest-density interval of probability `mass` of the log-normal e^u, u ~ N(m, s²)
/// (docs/math.md §7), as the ends of u: the interval of e^u is (e^low, e^high).
///
/// The interval [e^{m+s·z₁}, e^{m+s·z₂}] holds mass Φ(z₂) − Φ(z₁); the shortest one is where the
/// density is equal at both ends, which for the log-normal is z₁ + z₂ = −2s. With a = Φ(z₁),
/// g(a) = Φ⁻¹(a) + Φ⁻¹(a + mass) + 2s is strictly increasing from −∞ to +∞ on (0, 1 − mass), so
/// bisection finds its root to the last bit (it stops once the midpoint is an endpoint: at most
/// about 1100 halvings in f64, 150 in f32). Meant for 0 < mass < 1, s ≥ 0 and finite m, s
/// ([`Posterior::sigma_hdi`] checks the level); otherwise the ends may be NaN.
pub(crate) fn lognormal_hdi_ln<T: Normal>(m: T, s: T, mass: T) -> (T, T) {
    let (mut lo, mut hi) = (T::ZERO, T::ONE - mass);
    let two = T::c(2.0);
    let g = |a: T| normal_quantile(a) + normal_quantile(a + mass) + two * s;
    loop {
        let mid = T::c(0.5) * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if g(mid) < T::ZERO {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = if g(lo).abs() <= g(hi).abs() { lo } else { hi };
    // The smallest positive normal number of the precision (Φ⁻¹ of a subnormal loses digits).
    let min_positive = if T::BYTES == 8 {
        T::c(f64::MIN_POSITIVE)
    } else {
        T::c(f64::from(f32::MIN_POSITIVE))
    };
    let a = a.max(min_positive);
    let z1 = normal_quantile(a);
    let z2 = normal_quantile((a + mass).min(T::ONE - T::EPSILON * T::c(0.5)));
    (m + s * z1, m + s * z2)
}

impl<T: Normal, const P: usize> Posterior<T, P> {
    pub(crate) fn from_guide(g: &Guide<T, P>, p: usize) -> Self {
        Posterior {
            p,
            loc: g.loc,
            scale: g.scale(p),
        }
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.p
    }

    /// Pyro's `auto_loc`: the guide's locations in the latent order (length p + 2 written).
    pub fn loc(&self, out: &mut [T]) -> usize {
        self.loc.copy_to(self.p, out)
    }

    /// Pyro's `auto_scale`: the guide's scales in the latent order (length p + 2 written).
    pub fn scale(&self, out: &mut [T]) -> usize {
        self.scale.copy_to(self.p, out)
    }

    /// The latent covariance, diagonal for this family (sᵢ² on the diagonal, zeros off it),
    /// written row by row, (p+2)×(p+2) in the latent order (α, β₁ … β_p, u), into
    /// `out[..(p+2)²]` (the layout of the full-rank posterior's); returns how many were
    /// written. [`Error::Dimension`] (nothing written) if `out` is shorter.
    pub fn covariance_to(&self, out: &mut [T]) -> Result<usize> {
        let d = self.p + 2;
        let out = out.get_mut(..d * d).ok_or(Error::Dimension)?;
        for (i, row) in out.chunks_exact_mut(d).enumerate() {
            for (j, o) in row.iter_mut().enumerate() {
                let s = self.scale.get(i, self.p);
                *o = if i == j { s * s } else { T::ZERO };
            }
        }
        Ok(d * d)
    }

    /// The guide's locations.
    pub fn loc_latent(&self) -> &Latent<T, P> {
        &self.loc
    }

    /// The guide's scales.
    pub fn scale_latent(&self) -> &Latent<T, P> {
        &self.scale
    }

    fn normal_summary(m: T, s: T) -> Summary<T> {
        Summary {
            mean: m,
            sd: s,
            median: m,
        }
    }

    /// The intercept α.
    pub fn alpha(&self) -> Summary<T> {
        Self::normal_summary(self.loc.theta.alpha, self.scale.theta.alpha)
    }

    /// Coefficient βⱼ, j in 0..p (zero-based). `None` past the last feature.
    pub fn beta(&self, j: usize) -> Option<Summary<T>> {
        (j < self.p.min(P))
            .then(|| Self::normal_summary(self.loc.theta.beta[j], self.scale.theta.beta[j]))
    }

    /// The noise sd σ (log-normal: mean e^{m+s²/2}, sd = mean·√(e^{s²} − 1), median e^m).
    pub fn sigma(&self) -> Summary<T> {
        let (m, s) = (self.loc.u, self.scale.u);
        let s2 = s * s;
        let mean = (m + T::c(0.5) * s2).exp();
        Summary {
            mean,
            sd: mean * s2.exp_m1().sqrt(),
            median: m.exp(),
        }
    }

    /// Summary of constrained parameter `i` in the latent order (0 = α, 1..=p = β, p+1 = σ).
    pub fn summary(&self, i: usize) -> Option<Summary<T>> {
        match i {
            0 => Some(self.alpha()),
            i if i <= self.p => self.beta(i - 1),
            i if i == self.p + 1 => Some(self.sigma()),
            _ => None,
        }
    }

    /// Quantile `q` ∈ (0, 1) of constrained parameter `i` (latent order; σ is log-normal).
    pub fn quantile(&self, i: usize, q: T) -> Result<T> {
        if i > self.p + 1 {
            return Err(Error::Dimension);
        }
        if !q.is_finite() {
            return Err(Error::NonFinite);
        }
        if q <= T::ZERO || q >= T::ONE {
            return Err(Error::Config);
        }
        let z = normal_quantile(q);
        let v = self.loc.get(i, self.p) + self.scale.get(i, self.p) * z;
        Ok(if i == self.p + 1 { v.exp() } else { v })
    }

    /// The highest-density interval of probability `mass` ∈ (0, 1) of σ = e^u (log-normal: the
    /// shortest interval holding `mass`, lower than the equal-tailed one), as (low, high): the
    /// exponentials of [`Posterior::ln_sigma_hdi`]'s ends. [`Error::NonFinite`] for a NaN or
    /// infinite `mass`, [`Error::Config`] outside (0, 1).
    pub fn sigma_hdi(&self, mass: T) -> Result<(T, T)> {
        let (lo, hi) = self.ln_sigma_hdi(mass)?;
        Ok((lo.exp(), hi.exp()))
    }

    /// The logarithms of the ends of [`Posterior::sigma_hdi`]'s interval: the interval of u =
    /// ln σ whose image is σ's highest-density interval (docs/math.md §7; not u's own, which is
    /// centred on its mean). For callers that take the exponential with another library's
    /// `exp`, or want σ's interval on the log scale. The same errors.
    pub fn ln_sigma_hdi(&self, mass: T) -> Result<(T, T)> {
        if !mass.is_finite() {
            return Err(Error::NonFinite);
        }
        if mass <= T::ZERO || mass >= T::ONE {
            return Err(Error::Config);
        }
        Ok(lognormal_hdi_ln(self.loc.u, self.scale.u, mass))
    }

    /// One draw of the constrained parameters (α, β₁ … β_p, σ) into `out[..p + 2]`.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [T]) -> Result<()> {
        let p = self.p.min(P);
        if out.len() < p + 2 {
            return Err(Error::Dimension);
        }
        for (i, o) in out.iter_mut().enumerate().take(p + 2) {
            *o = self.loc.get(i, p) + self.scale.get(i, p) * T::std_normal(rng);
        }
        out[p + 1] = out[p + 1].exp();
        Ok(())
    }

    /// Posterior predictive mean and sd of y at a new row `x` (length p):
    /// mean a·m_θ, variance Σⱼ aⱼ²sⱼ² + E\[σ²\] with a = (1, x).
    pub fn predict(&self, x: &[T]) -> Result<(T, T)> {
        let p = self.p.min(P);
        if x.len() != p {
            return Err(Error::Dimension);
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite);
        }
        let mut mean = self.loc.theta.alpha;
        let sa = self.scale.theta.alpha;
        let mut var = sa * sa;
        for j in 0..p {
            mean += x[j] * self.loc.theta.beta[j];
            let v = x[j] * self.scale.theta.beta[j];
            var += v * v;
        }
        let two = T::c(2.0);
        var += (two * self.loc.u + two * self.scale.u * self.scale.u).exp();
        let sd = var.sqrt();
        if !(mean.is_finite() && sd.is_finite()) {
            return Err(Error::Overflow);
        }
        Ok((mean, sd))
    }
}
