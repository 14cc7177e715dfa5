//! How much precision the data cost, read off the Givens factor: the estimate behind
//! `Error::IllConditioned` (README, "Numerical limits").
//!
//! Two things go wrong in finite precision, both seen in the factor:
//!
//! * A column that earlier columns (the intercept first) nearly explain: its unexplained part
//!   dⱼ is a small difference, and κⱼ² = (Gⱼⱼ + rⱼ)/d̃ⱼ (G's diagonal over the diagonal of the
//!   factor of G + diag(r), r the prior's ridge at the current noise level) measures how small.
//!   For a column with mean x̄ and sd s, κ ≈ |x̄|/s; for two columns of correlation ρ,
//!   κ ≈ 1/√(1 − ρ²); the ridge keeps κ finite for an exactly redundant (e.g. constant) column.
//!   The response counts too, with κ_y² = yᵀy / (Σ(y − ȳ)² + E[RSS]).
//! * The intercept row of the factor holds running means. Each row moves them by about
//!   spread/n while each update rounds them by about ε·|mean|, so once n·ε·κ nears 1 they stop
//!   following the data (stagnation) and the summary drifts.
//!
//! The estimate is S = n·ε·κ with κ = maxⱼ κⱼ over the columns and the response; with weighted
//! rows or forgetting, n counts the rows whose rounding the summary still holds: N_w over the
//! largest row weight, at most the row count (docs/weights.md, §4). Measured
//! against a double-double reference (tests/hard_data.rs: 51 f32 data sets of 10³ to 3·10⁵
//! rows), every answer with S ≤ 1/4 kept at least two correct digits (worst 2.5·10⁻³ relative;
//! 6.5·10⁻³ at S = 0.12 for centred data with 10⁶ rows), and every answer that lost them had
//! S > 1/4. S overestimates, so some data above the limit would still have been fine.

#![forbid(unsafe_code)]

use crate::real::Real;
use crate::stats::Stats;
use crate::vector::Coefs;

/// κ = max over the columns of [A | y] of ‖column‖ / ‖its part no earlier column explains‖,
/// for the system regularised by `ridge` (E[RSS] = `erss` stands for the response's part) of
/// the summary `stats`; `g` is the diagonal of G.
fn kappa_with<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    ridge: &Coefs<T, P>,
    g: &Coefs<T, P>,
    erss: T,
) -> T {
    let p = stats.features();
    let d = stats.with_ridge(ridge, false); // the diagonal of the ridge's factor
    let ratio = |num: T, den: T| {
        if den > T::ZERO {
            num / den
        } else {
            T::INFINITY
        }
    };
    // The intercept's column, then the features' (slices: no index arithmetic).
    let mut worst = T::ONE.max(ratio(g.alpha + ridge.alpha, d.alpha));
    for ((gj, rj), dj) in g.beta.iter().zip(&ridge.beta).zip(&d.beta).take(p) {
        worst = worst.max(ratio(*gj + *rj, *dj));
    }
    // The response: its offset against its spread about the mean, Σ(y − ȳ)² = yᵀy − d₀t₀²
    // = sserr + Σ_{i≥1} dᵢtᵢ² (the factor gives it without cancellation), floored by E[RSS].
    let yty = stats.yty();
    let mut spread = stats.sserr + erss;
    for (d, t) in stats.d.beta.iter().zip(&stats.t.beta).take(p) {
        spread += *d * *t * *t;
    }
    let ky = if spread > T::ZERO {
        yty / spread
    } else if yty == T::ZERO {
        T::ONE // no response at all (no rows): nothing to lose
    } else {
        T::INFINITY
    };
    worst.max(ky).sqrt()
}

/// Above this condition estimate `solve_exact` returns `Error::IllConditioned`.
pub const ILL_CONDITIONED_LIMIT: f64 = 0.25;

/// The estimate behind [`Fit::condition`](crate::Fit::condition), at the ridge `ridge` of the
/// θ-block (the prior's precisions over the noise precision λ = E[e^{−2u}]) and E[RSS] = `erss`
/// of the guide; `gdiag` is the diagonal of G (the arguments that the caller has: fewer vectors
/// on the stack).
pub(crate) fn condition<T: Real, const P: usize>(
    stats: &Stats<T, P>,
    ridge: &Coefs<T, P>,
    gdiag: &Coefs<T, P>,
    erss: T,
) -> T {
    let kappa = kappa_with(stats, ridge, gdiag, erss);
    let n = stats.rounding_rows();
    T::EPSILON * n * kappa
}
