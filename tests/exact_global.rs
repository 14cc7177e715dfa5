//! `solve_exact` returns the GLOBAL mean-field optimum (docs/exact-optimum.md), judged against
//! an independent reference: plain f64 arithmetic on the raw rows (normal equations for the
//! coefficients' block, the residuals summed row by row, the noise block by bisection), running
//! the coordinate ascent from many starting noise precisions and keeping the best ELBO. On
//! random problems in the seed's recipe (a property test, f64 and f32), a pinned problem whose
//! single-start answer was a worse optimum, the NIST StRD linear regression sets (certified
//! values, tests/data/nist/), and degenerate data.
//!
//! Run with `--nocapture` to see the figures.

#![allow(clippy::needless_range_loop)]

mod common;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use vireg::{Config, Error, Estimator, ExactReport, Fit, Guide, Normal, Prior};

const CAP: usize = 16;

// ---------------------------------------------------------------------------------------------
// Data: the seed's recipe, from a SplitMix64 stream.

use common::SplitMix64 as Rng;

/// One regression problem: rows `x` (n × p, row-major), `y`, and the priors.
#[derive(Clone, Debug)]
struct Problem {
    p: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    prior: Prior<f64>,
}

impl Problem {
    fn n(&self) -> usize {
        self.y.len()
    }
}

/// α ~ N(42, 10), β ~ N(0, 10), σ ~ Exp(1), x ~ N(0, 1) with every pair of features of
/// correlation `rho`, y = α + x·β + σ·ε.
fn recipe(seed: u64, n: usize, p: usize, rho: f64, prior: [f64; 3]) -> Problem {
    let mut g = Rng(seed);
    let alpha = 42.0 + 10.0 * g.normal();
    let beta: Vec<f64> = (0..p).map(|_| 10.0 * g.normal()).collect();
    let sigma = -g.uniform().ln();
    let mut x = vec![0.0; n * p];
    let mut y = vec![0.0; n];
    for i in 0..n {
        let common = g.normal();
        let mut yi = alpha;
        for j in 0..p {
            let v = rho.sqrt() * common + (1.0 - rho).sqrt() * g.normal();
            x[i * p + j] = v;
            yi += beta[j] * v;
        }
        y[i] = yi + sigma * g.normal();
    }
    Problem {
        p,
        x,
        y,
        prior: Prior {
            intercept: prior[0],
            coef: prior[1],
            noise: prior[2],
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The reference.

/// A mean-field guide: means and sds of (α, β), and (m_u, s_u).
#[derive(Clone, Debug)]
struct Q {
    m: Vec<f64>,
    s: Vec<f64>,
    mu: f64,
    su: f64,
}

/// An optimum found by the reference's ascent.
#[derive(Clone, Debug)]
struct Opt {
    q: Q,
    elbo: f64,
    converged: bool,
}

struct Reference {
    n: usize,
    k: usize,
    /// Rows of A = [1 | X].
    a: Vec<Vec<f64>>,
    y: Vec<f64>,
    g: Vec<Vec<f64>>,
    b: Vec<f64>,
    prec: Vec<f64>,
    tau: Vec<f64>,
    tau_s: f64,
}

/// Solves M z = r by Gaussian elimination with partial pivoting.
fn gauss(mut m: Vec<Vec<f64>>, mut r: Vec<f64>) -> Vec<f64> {
    let k = r.len();
    for c in 0..k {
        let piv = (c..k)
            .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
            .unwrap();
        m.swap(c, piv);
        r.swap(c, piv);
        for row in c + 1..k {
            let f = m[row][c] / m[c][c];
            for cc in c..k {
                m[row][cc] -= f * m[c][cc];
            }
            r[row] -= f * r[c];
        }
    }
    let mut z = vec![0.0; k];
    for i in (0..k).rev() {
        let mut v = r[i];
        for j in i + 1..k {
            v -= m[i][j] * z[j];
        }
        z[i] = v / m[i][i];
    }
    z
}

impl Reference {
    fn new(pb: &Problem) -> Self {
        let (n, p) = (pb.n(), pb.p);
        let k = p + 1;
        let a: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut r = vec![1.0];
                r.extend_from_slice(&pb.x[i * p..(i + 1) * p]);
                r
            })
            .collect();
        let mut g = vec![vec![0.0; k]; k];
        let mut b = vec![0.0; k];
        for (row, yi) in a.iter().zip(&pb.y) {
            for r in 0..k {
                for c in 0..k {
                    g[r][c] += row[r] * row[c];
                }
                b[r] += row[r] * yi;
            }
        }
        let tau: Vec<f64> = (0..k)
            .map(|j| {
                if j == 0 {
                    pb.prior.intercept
                } else {
                    pb.prior.coef
                }
            })
            .collect();
        Reference {
            n,
            k,
            a,
            y: pb.y.clone(),
            g,
            b,
            prec: tau.iter().map(|t| 1.0 / (t * t)).collect(),
            tau,
            tau_s: pb.prior.noise,
        }
    }

    /// RSS(θ), summed over the rows.
    fn rss(&self, m: &[f64]) -> f64 {
        self.a
            .iter()
            .zip(&self.y)
            .map(|(row, yi)| {
                let r = yi - row.iter().zip(m).map(|(u, v)| u * v).sum::<f64>();
                r * r
            })
            .sum()
    }

    /// The coefficients' block at λ: (λG + T⁻¹) m = λb, s_j² = 1/(λG_jj + 1/τ_j²); and E[RSS].
    fn theta(&self, lam: f64) -> (Vec<f64>, Vec<f64>, f64) {
        let mut m = self.g.clone();
        for i in 0..self.k {
            for j in 0..self.k {
                m[i][j] *= lam;
            }
            m[i][i] += self.prec[i];
        }
        let mean = gauss(m, self.b.iter().map(|v| v * lam).collect());
        let s: Vec<f64> = (0..self.k)
            .map(|j| (1.0 / (lam * self.g[j][j] + self.prec[j])).sqrt())
            .collect();
        let erss = self.rss(&mean) + (0..self.k).map(|j| s[j] * s[j] * self.g[j][j]).sum::<f64>();
        (mean, s, erss)
    }

    /// The noise block for E[RSS] = e (needs N ≥ 2).
    fn ublock(&self, e: f64) -> (f64, f64) {
        common::noise_block_reference(self.n as f64, e, self.tau_s)
    }

    /// The ELBO (docs/exact-optimum.md, §1) at a mean-field guide.
    fn elbo(&self, q: &Q) -> f64 {
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        let n = self.n as f64;
        let lam = (2.0 * (q.su * q.su - q.mu)).exp();
        let kap = (2.0 * (q.su * q.su + q.mu)).exp();
        let mut erss = self.rss(&q.m);
        let mut e = 0.0;
        for j in 0..self.k {
            let t = self.tau[j];
            erss += q.s[j] * q.s[j] * self.g[j][j];
            e += -0.5 * (ln2pi + 2.0 * t.ln())
                - (q.m[j] * q.m[j] + q.s[j] * q.s[j]) / (2.0 * t * t)
                + q.s[j].ln();
        }
        let ts = self.tau_s;
        e + std::f64::consts::LN_2 - 0.5 * (ln2pi + 2.0 * ts.ln()) - kap / (2.0 * ts * ts) + q.mu
            - 0.5 * n * ln2pi
            - n * q.mu
            - 0.5 * lam * erss
            + q.su.ln()
            + 0.5 * (self.k as f64 + 1.0) * (ln2pi + 1.0)
    }

    /// Coordinate ascent from noise precision `lam`, until ln λ moves by less than 1e-13 (or
    /// 4000 sweeps).
    fn ascent(&self, mut lam: f64) -> Opt {
        for _ in 0..4000 {
            let (m, s, e) = self.theta(lam);
            let (mu, su) = self.ublock(e);
            let next = (2.0 * (su * su - mu)).exp();
            let q = Q { m, s, mu, su };
            if (next.ln() - lam.ln()).abs() <= 1e-13 {
                let elbo = self.elbo(&q);
                return Opt {
                    q,
                    elbo,
                    converged: true,
                };
            }
            lam = next;
        }
        let (m, s, e) = self.theta(lam);
        let (mu, su) = self.ublock(e);
        let q = Q { m, s, mu, su };
        Opt {
            elbo: self.elbo(&q),
            q,
            converged: false,
        }
    }

    /// The noise precision the seed's single-start ascent began from: σ² at the least-squares
    /// residual, s_u² = 1/(2N).
    fn single_start(&self) -> f64 {
        let n = self.n as f64;
        let (m, _, _) = self.theta(1e12);
        let sserr = self.rss(&m);
        let mu = 0.5 * (sserr / n).max(1e-30).ln();
        (2.0 * (0.5 / n - mu)).exp()
    }

    /// Every distinct optimum the ascents of [`Reference::best`] reach (ln λ apart by more than
    /// 1e-6), best first.
    fn optima(&self) -> Vec<Opt> {
        let n = self.n as f64;
        let mean = self.y.iter().sum::<f64>() / n;
        let var = self.y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let l0 = -(var.max(1e-300)).ln();
        let mut found: Vec<Opt> = (0..=40)
            .map(|i| self.ascent((l0 - 30.0 + 1.5 * i as f64).exp()))
            .filter(|o| o.converged && o.elbo.is_finite())
            .collect();
        found.sort_by(|a, b| b.elbo.total_cmp(&a.elbo));
        let ln_lam = |o: &Opt| 2.0 * (o.q.su * o.q.su - o.q.mu);
        let mut distinct: Vec<Opt> = Vec::new();
        for o in found {
            if distinct
                .iter()
                .all(|d| (ln_lam(d) - ln_lam(&o)).abs() > 1e-6)
            {
                distinct.push(o);
            }
        }
        distinct
    }

    /// The ascent from many starting noise precisions (ln λ from −30 to +30 around the data's
    /// 1/var(y), every 1.5): the best optimum, and the best ELBO of any other optimum (one whose
    /// ln λ differs by more than 1e-6).
    fn best(&self) -> (Opt, f64) {
        let n = self.n as f64;
        let mean = self.y.iter().sum::<f64>() / n;
        let var = self.y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let l0 = -(var.max(1e-300)).ln();
        let mut found: Vec<Opt> = Vec::new();
        for i in 0..=40 {
            let o = self.ascent((l0 - 30.0 + 1.5 * i as f64).exp());
            found.push(o);
        }
        found.sort_by(|a, b| b.elbo.total_cmp(&a.elbo));
        let best = found[0].clone();
        let lb = 2.0 * (best.q.su * best.q.su - best.q.mu);
        let other = found
            .iter()
            .filter(|o| (2.0 * (o.q.su * o.q.su - o.q.mu) - lb).abs() > 1e-6)
            .map(|o| o.elbo)
            .fold(f64::NEG_INFINITY, f64::max);
        (best, other)
    }
}

// ---------------------------------------------------------------------------------------------
// vireg against the reference.

fn fit<T: Normal>(pb: &Problem) -> (Fit<T, CAP>, Result<ExactReport<T>, Error>) {
    let cfg = Config {
        prior: Prior {
            intercept: T::c(pb.prior.intercept),
            coef: T::c(pb.prior.coef),
            noise: T::c(pb.prior.noise),
        },
        ..Config::default()
    };
    let mut f: Fit<T, CAP> = Fit::new(pb.p, cfg).unwrap();
    let xs: Vec<T> = pb.x.iter().map(|v| T::c(*v)).collect();
    let ys: Vec<T> = pb.y.iter().map(|v| T::c(*v)).collect();
    f.observe_rows(&xs, pb.p, &ys).unwrap();
    let r = f.solve_exact();
    (f, r)
}

/// The worst |Δmean|/sd and |Δsd|/sd over α, β and u between vireg and a reference guide, the
/// means' differences first reduced by `rel`·|mean| (the precision's rounding of a mean far
/// from 0 relative to its sd).
fn distance<T: Normal>(f: &Fit<T, CAP>, q: &Q, rel: f64) -> f64 {
    let p = f.features();
    let post = f.posterior().unwrap();
    let mut worst = 0.0f64;
    for i in 0..p + 2 {
        let (m, s) = (
            post.loc_latent().get(i, p).to_f64(),
            post.scale_latent().get(i, p).to_f64(),
        );
        let (mr, sr) = if i <= p {
            (q.m[i], q.s[i])
        } else {
            (q.mu, q.su)
        };
        let dm = ((m - mr).abs() - rel * mr.abs()).max(0.0);
        worst = worst.max(dm / sr).max((s - sr).abs() / sr);
    }
    worst
}

/// Runs vireg (precision T) and the reference on the same data (the data rounded to T first,
/// so both see the same numbers); returns (the ELBO of vireg's answer, evaluated by the
/// reference in f64; the reference's best ELBO; the distance between the two; the gap to the
/// reference's second optimum, 0 if the best did not converge), or None if T refused the data
/// as ill-conditioned. vireg's own ELBO must agree with the reference's evaluation to the
/// precision's rounding of its terms.
fn compare<T: Normal>(pb: &Problem) -> Option<(f64, f64, f64, f64)> {
    let mut pb = pb.clone();
    for v in pb.x.iter_mut().chain(pb.y.iter_mut()) {
        *v = T::c(*v).to_f64();
    }
    let (f, r) = fit::<T>(&pb);
    let rep = match r {
        Err(Error::IllConditioned) => return None,
        r => r.unwrap_or_else(|e| panic!("solve_exact failed: {e:?} on {pb:?}")),
    };
    let rf = Reference::new(&pb);
    let (best, other) = rf.best();
    let (p, post) = (pb.p, f.posterior().unwrap());
    let q = Q {
        m: (0..=p)
            .map(|j| post.loc_latent().get(j, p).to_f64())
            .collect(),
        s: (0..=p)
            .map(|j| post.scale_latent().get(j, p).to_f64())
            .collect(),
        mu: post.loc_latent().u.to_f64(),
        su: post.scale_latent().u.to_f64(),
    };
    let e = rf.elbo(&q);
    let terms = rf.n as f64 * (1.0 + q.mu.abs()) + e.abs();
    // vireg's own ELBO against the reference's at the same point. The residual of a fit whose
    // noise is tiny next to |y| carries about ε·|y|/σ of relative error, which λ·E[RSS] ≈ N/2
    // turns into nats: in f64 that stays below 10⁵·ε of the ELBO's terms on these problems; in
    // f32 it can reach nats, so there the property tests use the reference's f64 value alone.
    assert!(
        T::BYTES != 8 || (rep.elbo.to_f64() - e).abs() <= 1e5 * T::EPSILON.to_f64() * terms,
        "vireg's ELBO {} against {e} evaluated by the reference",
        rep.elbo.to_f64()
    );
    Some((
        e,
        best.elbo,
        distance(&f, &best.q, 1e3 * T::EPSILON.to_f64()),
        if best.converged {
            best.elbo - other
        } else {
            0.0
        },
    ))
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

type Case = (u64, usize, usize, f64, f64, f64, f64);

fn cases() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        3usize..=500,
        1usize..=12,
        0.0f64..0.9,
        log_uniform(1.0, 1000.0),
        log_uniform(0.01, 30.0),
        log_uniform(0.1, 30.0),
    )
}

fn problem(c: &Case) -> Problem {
    recipe(c.0, c.1, c.2, c.3, [c.4, c.5, c.6])
}

proptest! {
    // A fixed seed: the same 300 problems on every run (CI reproducible); PROPTEST_RNG_SEED
    // does not override it, change the number here to explore others.
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x5eed_0001),
        ..ProptestConfig::default()
    })]

    /// f64: the ELBO of vireg's answer is at least the best the multi-start reference finds (to
    /// 10⁻⁹ relative), and where that optimum is clearly the best (another one more than 10⁻³
    /// nats below), the posterior agrees with it to 10⁻⁶ sd.
    #[test]
    fn f64_finds_the_global_optimum(c in cases()) {
        let (e, er, d, gap) = compare::<f64>(&problem(&c)).unwrap();
        prop_assert!(e >= er - 1e-9 * (1.0 + er.abs()), "ELBO {e} below the reference's {er} on {c:?}");
        if gap > 1e-3 {
            prop_assert!(d < 1e-6, "{d} sd from the reference's optimum on {c:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 150,
        rng_seed: RngSeed::Fixed(0x5eed_0002),
        ..ProptestConfig::default()
    })]

    /// f32 (the same data rounded to f32, the reference in f64 on those numbers): vireg's answer
    /// is in the best optimum's basin: its ELBO within 10⁻⁵ (relative) of the best, or the
    /// answer within 1 sd of it, and within 1 sd wherever that optimum is clearly the best (or
    /// the data refused as ill-conditioned). Worse optima lie tens to hundreds of sd away; how
    /// close f32 gets to an optimum (up to ~0.1 sd on these problems) is tests/hard_data.rs's
    /// subject.
    #[test]
    fn f32_finds_the_global_optimum(c in cases()) {
        if let Some((e, er, d, gap)) = compare::<f32>(&problem(&c)) {
            // Means far from 0 relative to their sd (α ≈ 40 with sd 3·10⁻⁴) carry f32's rounding
            // of ~10⁻⁶·|mean| = 0.1 sd, worth up to a few nats on 10² rows.
            prop_assert!(
                e >= er - 1e-5 * (1.0 + er.abs()) || d < 1.0,
                "ELBO {e} below the reference's {er}, {d} sd away, on {c:?}"
            );
            if gap > 1.0 {
                prop_assert!(d < 1.0, "{d} sd from the reference's optimum on {c:?}");
            }
        }
    }
}

/// The 400 cases of the fixed sweeps below (seed 2024): N 3–500, p 1–12, correlation < 0.9,
/// priors log-uniform over three to four decades.
fn sweep_cases() -> impl Iterator<Item = Case> {
    let mut g = Rng(2024);
    (0..400).map(move |_| {
        (
            g.next_u64(),
            3 + (g.next_u64() % 498) as usize,
            1 + (g.next_u64() % 12) as usize,
            0.9 * g.uniform(),
            (g.uniform() * 1000f64.ln()).exp(),
            0.01 * (g.uniform() * 3000f64.ln()).exp(),
            0.1 * (g.uniform() * 300f64.ln()).exp(),
        )
    })
}

/// A fixed sweep of 400 problems of the recipe: the seed's single start (the least-squares noise
/// level) lands on a worse optimum in some of them (so the recipe exercises several optima),
/// and vireg on none.
#[test]
fn recipe_has_several_optima_and_vireg_finds_the_best() {
    let (mut worse, mut total) = (0, 0);
    for (i, c) in sweep_cases().enumerate() {
        let pb = problem(&c);
        let rf = Reference::new(&pb);
        let (best, _) = rf.best();
        let single = rf.ascent(rf.single_start());
        if single.elbo < best.elbo - 1e-3 * (1.0 + best.elbo.abs()) {
            worse += 1;
        }
        total += 1;
        let (e, er, _, _) = compare::<f64>(&pb).unwrap();
        assert!(
            e >= er - 1e-8 * (1.0 + er.abs()),
            "problem {i} {c:?}: ELBO {e} below the reference's {er}"
        );
    }
    println!("single start on a worse optimum: {worse} of {total}");
    assert!(
        worse >= 4,
        "only {worse} of {total} problems have a worse optimum"
    );
}

/// The full-rank optimum is the best one too: on the recipe's problems with several mean-field
/// optima, the full-rank fixed point started from each of them (`full::solve_from`) never ends
/// above `FullFit::solve_exact`'s answer (from the best mean-field optimum), and its ELBO is at
/// least the best mean-field optimum's.
#[test]
fn full_rank_from_every_mean_field_optimum() {
    let (mut several, mut other_basin, mut total) = (0, 0, 0);
    let mut worst_gap = f64::NEG_INFINITY;
    for c in sweep_cases() {
        let pb = problem(&c);
        let rf = Reference::new(&pb);
        let optima = rf.optima();
        let (f, r) = fit::<f64>(&pb);
        if r.is_err() || optima.len() < 2 {
            continue;
        }
        several += 1;
        let prior = f.config().prior;
        let Ok((_, best)) = vireg::full::solve(f.stats(), &prior) else {
            continue;
        };
        total += 1;
        assert!(best.elbo >= best.mean_field_elbo - 1e-9 * best.elbo.abs());
        for o in &optima {
            let mut loc = o.q.m.clone();
            loc.push(o.q.mu);
            let mut scale = o.q.s.clone();
            scale.push(o.q.su);
            let start = Guide::<f64, CAP>::from_loc_scale(pb.p, &loc, &scale).unwrap();
            if let Ok((_, rep)) = vireg::full::solve_from(f.stats(), &prior, &start) {
                let gap = rep.elbo - best.elbo;
                worst_gap = worst_gap.max(gap);
                if gap < -1e-6 * best.elbo.abs().max(1.0) {
                    other_basin += 1;
                }
                assert!(
                    gap <= 1e-8 * best.elbo.abs().max(1.0),
                    "{c:?}: a start ends {gap} nats above solve_exact's full-rank optimum"
                );
            }
        }
    }
    println!(
        "{several} problems with several mean-field optima, {total} solved full-rank; starts \
         that end in a worse full-rank optimum: {other_basin}; largest gain of another start \
         {worst_gap:.3e} nats"
    );
    assert!(total >= 4, "only {total} problems with several optima");
}

/// The problem of the issue, in this file's generator: N = 100, P = 2, correlation 0.9, priors
/// 1 / 1.758 / 1.575 (an intercept prior of sd 1 for data with α ≈ 45). The least-squares start
/// converges to α ≈ 45, σ ≈ 1; the best optimum leaves the data to σ ≈ 22 with α shrunk to ≈ 8,
/// and its ELBO is about 490 nats higher.
#[test]
fn pinned_problem_with_a_far_better_optimum() {
    let pb = recipe(72, 100, 2, 0.9, [1.0, 1.758, 1.575]);
    let rf = Reference::new(&pb);
    let (best, other) = rf.best();
    let single = rf.ascent(rf.single_start());
    let (f, r) = fit::<f64>(&pb);
    let rep = r.unwrap();
    let post = f.posterior().unwrap();
    let far = (single.q.m[0] - post.alpha().mean).abs() / single.q.s[0];
    println!(
        "single start: alpha {:.4} sd {:.4}, sigma median {:.4}, ELBO {:.4}",
        single.q.m[0],
        single.q.s[0],
        single.q.mu.exp(),
        single.elbo
    );
    println!(
        "vireg: alpha {:.4} sd {:.4}, sigma median {:.4}, ELBO {:.4} ({} evaluations); the single \
         start's alpha is {far:.0} of its sds away; reference best ELBO {:.4}",
        post.alpha().mean,
        post.alpha().sd,
        post.loc_latent().u.exp(),
        rep.elbo,
        rep.iterations,
        best.elbo
    );
    assert!(best.elbo - other > 400.0 && single.elbo < best.elbo - 400.0);
    assert!(rep.elbo >= best.elbo - 1e-9 * best.elbo.abs());
    assert!(distance(&f, &best.q, 0.0) < 1e-8);
    assert!(far > 300.0);
}

// ---------------------------------------------------------------------------------------------
// NIST StRD linear regression (tests/data/nist/README.md).

struct Nist {
    /// Columns of the fit: the x columns as given, or x, x², … x^d.
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    certified: Vec<f64>,
}

fn nist(name: &str) -> Nist {
    let path = format!("{}/tests/data/nist/{name}.dat", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut poly, mut certified, mut x, mut y) = (0u32, Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().map(str::trim) {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.first() {
            None => {}
            Some(t) if t.starts_with('#') => {}
            Some(&"model") => {
                poly = if w[1] == "poly" {
                    w[2].parse().unwrap()
                } else {
                    0
                }
            }
            Some(&"certified") => certified = w[1..].iter().map(|v| v.parse().unwrap()).collect(),
            _ => {
                let v: Vec<f64> = w.iter().map(|v| v.parse().unwrap()).collect();
                y.push(v[0]);
                x.push(if poly > 0 {
                    (1..=poly as i32).map(|k| v[1].powi(k)).collect()
                } else {
                    v[1..].to_vec()
                });
            }
        }
    }
    Nist { x, y, certified }
}

fn nist_fit(d: &Nist, prior: [f64; 3]) -> (Fit<f64, CAP>, Result<ExactReport<f64>, Error>) {
    let p = d.x[0].len();
    let cfg = Config {
        prior: Prior {
            intercept: prior[0],
            coef: prior[1],
            noise: prior[2],
        },
        estimator: Estimator::Analytic,
        ..Config::default()
    };
    let mut f: Fit<f64, CAP> = Fit::new(p, cfg).unwrap();
    for (x, y) in d.x.iter().zip(&d.y) {
        f.observe(x, *y).unwrap();
    }
    let r = f.solve_exact();
    (f, r)
}

/// Log relative error, −log10 |got − want|/|want|, the digits got right (capped at 15).
fn lre(got: f64, want: f64) -> f64 {
    if got == want {
        15.0
    } else {
        (-((got - want).abs() / want.abs()).log10()).min(15.0)
    }
}

const NIST_SETS: [&str; 11] = [
    "Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley", "Wampler1", "Wampler2",
    "Wampler3", "Wampler4", "Wampler5",
];

/// All eleven sets with wide priors (10³⁰ for the coefficients, and for the intercept where the
/// model has one; NoInt1/NoInt2 pin it at 0 with 10⁻¹² and certify B1 alone): at least the digits
/// measured for the single-start solve on the same data (identical here: the global search ends
/// where it did), among them Filip 7.65, Longley 11.37 and Wampler4 8.71; numpy's `lstsq` gets
/// Filip 7.2, Longley 11.4, Wampler4 8.7 (the figures). The noise prior does not change
/// the means (10 and 10³⁰ give the same digits).
#[test]
fn nist_strd_certified_digits() {
    let floors = [12.0, 12.1, 14.7, 14.9, 7.6, 11.3, 9.0, 13.4, 9.4, 8.7, 6.6];
    for noise in [10.0, 1e30] {
        for (name, floor) in NIST_SETS.iter().zip(floors) {
            let d = nist(name);
            let noint = name.starts_with("NoInt");
            let (f, r) = nist_fit(&d, [if noint { 1e-12 } else { 1e30 }, 1e30, noise]);
            let rep = r.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let (p, post) = (d.x[0].len(), f.posterior().unwrap());
            let digits = d
                .certified
                .iter()
                .enumerate()
                .map(|(j, c)| lre(post.loc_latent().get(j + noint as usize, p), *c))
                .fold(15.0, f64::min);
            println!(
                "{name:9} noise prior {noise:e}: LRE {digits:.2} ({} evaluations)",
                rep.iterations
            );
            assert!(digits >= floor, "{name}: {digits:.2} digits, below {floor}");
        }
    }
}

/// NoInt1 (y = β·x, the data fit exactly by α = 70, β = 1) with a free intercept pinned near 0
/// by its prior (sd 10⁻⁴) and flat priors otherwise: the optimum that respects the prior
/// (α ≈ 0, β = the certified no-intercept slope, σ ≈ 4) and not the exact fit 700 000 prior sds
/// away, whose σ is at rounding level and whose ELBO is 2.45·10¹¹ nats lower.
#[test]
fn nist_noint1_with_a_pinned_intercept() {
    let d = nist("NoInt1");
    let (f, r) = nist_fit(&d, [1e-4, 1e30, 1e30]);
    let rep = r.unwrap();
    let post = f.posterior().unwrap();
    let (a, b) = (post.alpha(), post.beta(0).unwrap());
    println!(
        "NoInt1: alpha {:.3e} sd {:.3e}, beta {:.14}, sigma median {:.4}, ELBO {:.4}",
        a.mean,
        a.sd,
        b.mean,
        post.loc_latent().u.exp(),
        rep.elbo
    );
    assert!(a.mean.abs() < 1e-3 * a.sd);
    assert!(lre(b.mean, d.certified[0]) > 9.0);
    let sigma = post.loc_latent().u.exp();
    assert!(sigma > 3.0 && sigma < 5.0);
    // The exact fit's guide is worse by the intercept prior's penalty alone, 70²/(2·10⁻⁸).
    let mut exact_fit = *f.guide();
    exact_fit.loc.theta[0] = 70.0;
    exact_fit.loc.theta[1] = 1.0;
    assert!(f.elbo_of(&exact_fit) < rep.elbo - 2e11);
    stationary(&f, 1e-6);
}

/// The gradient of the ELBO at vireg's answer, scaled to the change per posterior sd (means) or
/// per unit of ρ (scales), is below `tol`: a true optimum, not a stop on the way.
fn stationary(f: &Fit<f64, CAP>, tol: f64) {
    let p = f.features();
    let mut f = f.clone();
    let mut g: Guide<f64, CAP> = *f.guide();
    f.loss_grad(&mut g);
    let post = f.posterior().unwrap();
    for i in 0..p + 2 {
        let gm = g.loc.get(i, p) * post.scale_latent().get(i, p);
        let gr = g.rho.get(i, p);
        assert!(
            gm.abs() < tol && gr.abs() < tol,
            "gradient {i}: {gm:e} {gr:e}"
        );
    }
}

/// Data on which the single-start ascent did not converge: NoInt2 (3 rows) with a free intercept
/// and a noise prior of 10³ or more, Filip with every prior at 10³. Each now ends at a stationary
/// point; on NoInt2 (small enough for the reference) it is the reference's best.
#[test]
fn converges_where_the_single_start_did_not() {
    let d = nist("NoInt2");
    for coef in [10.0, 1e30] {
        for noise in [1e3, 1e6, 1e30] {
            let prior = [if coef > 10.0 { 1e30 } else { 100.0 }, coef, noise];
            let (f, r) = nist_fit(&d, prior);
            let rep = r.unwrap_or_else(|e| panic!("NoInt2 {prior:?}: {e:?}"));
            let post = f.posterior().unwrap();
            println!(
                "NoInt2 {prior:?}: alpha {:.6}, beta {:.6}, sigma median {:.4e}, ELBO {:.4} ({} evaluations)",
                post.alpha().mean,
                post.beta(0).unwrap().mean,
                post.loc_latent().u.exp(),
                rep.elbo,
                rep.iterations
            );
            stationary(&f, 1e-6);
            let pb = Problem {
                p: 1,
                x: d.x.iter().map(|r| r[0]).collect(),
                y: d.y.clone(),
                prior: Prior {
                    intercept: prior[0],
                    coef: prior[1],
                    noise: prior[2],
                },
            };
            let (best, _) = Reference::new(&pb).best();
            assert!(
                rep.elbo >= best.elbo - 1e-9 * best.elbo.abs(),
                "{} < {}",
                rep.elbo,
                best.elbo
            );
        }
    }
    let d = nist("Filip");
    let (f, r) = nist_fit(&d, [1e3, 1e3, 1e3]);
    let rep = r.unwrap();
    println!(
        "Filip priors 1e3: alpha {:.6}, sigma median {:.4e}, ELBO {:.4} ({} evaluations)",
        f.posterior().unwrap().alpha().mean,
        f.posterior().unwrap().loc_latent().u.exp(),
        rep.elbo,
        rep.iterations
    );
    stationary(&f, 1e-4);
}

/// Degenerate data, each with priors from 10⁻¹² to 10³⁰ times the data's scale (one prior at a
/// time, then all three), in f64 and f32: an exact fit (sserr = 0) of more rows than
/// coefficients, fewer rows than coefficients, one row, no rows. Every solve converges (to an
/// ELBO the reference's multi-start ascent does not beat, where the reference applies: at least
/// two rows and an optimum that exists) or refuses the data as ill-conditioned (a flat prior on
/// coefficients the rows do not determine). The exact fit's ELBO grows without bound as σ → 0:
/// its answer is the optimum that rounding in the residual leaves, or `Overflow` when σ reaches
/// the end of the precision's range first.
#[test]
fn degenerate_data_and_extreme_priors() {
    run_degenerate::<f64>();
    run_degenerate::<f32>();
}

fn run_degenerate<T: Normal>() {
    let ty = core::any::type_name::<T>();
    let exact: Vec<(f64, f64)> = (0..8).map(|i| (i as f64, 3.0 + 2.0 * i as f64)).collect();
    let sets: [(&str, usize, Vec<f64>, Vec<f64>); 4] = [
        (
            "exact fit, 8 rows",
            1,
            exact.iter().map(|r| r.0).collect(),
            exact.iter().map(|r| r.1).collect(),
        ),
        (
            "2 rows, 3 features",
            3,
            vec![1.0, -2.0, 0.5, 0.3, 1.0, 2.0],
            vec![4.0, 7.0],
        ),
        ("one row", 2, vec![1.5, -0.5], vec![5.0]),
        ("no rows", 2, vec![], vec![]),
    ];
    let (mut solved, mut refused, mut compared, mut unbounded) = (0, 0, 0, 0);
    for (name, p, x, y) in &sets {
        for s in [1e-12, 1e-6, 1.0, 1e6, 1e30] {
            for which in 0..4 {
                let mut prior = [10.0, 10.0, 10.0];
                if which < 3 {
                    prior[which] = s;
                } else {
                    prior = [s; 3];
                }
                let cfg = Config {
                    prior: Prior {
                        intercept: T::c(prior[0]),
                        coef: T::c(prior[1]),
                        noise: T::c(prior[2]),
                    },
                    ..Config::default()
                };
                // A prior whose square leaves the precision's range is refused at construction.
                let Ok(mut f) = Fit::<T, CAP>::new(*p, cfg) else {
                    continue;
                };
                let xs: Vec<T> = x.iter().map(|v| T::c(*v)).collect();
                let ys: Vec<T> = y.iter().map(|v| T::c(*v)).collect();
                f.observe_rows(&xs, *p, &ys).unwrap();
                let rep = match f.solve_exact() {
                    Err(Error::IllConditioned) => {
                        refused += 1;
                        continue;
                    }
                    // No optimum to find: the ELBO of an exact fit grows as σ → 0 until the
                    // precision's range ends (unless rounding leaves a residual first).
                    Err(Error::Overflow) if name.starts_with("exact") => {
                        unbounded += 1;
                        continue;
                    }
                    r => r.unwrap_or_else(|e| panic!("{ty} {name} {prior:?}: {e:?}")),
                };
                solved += 1;
                let e = rep.elbo.to_f64();
                assert!(e.is_finite() && f.posterior().unwrap().alpha().sd.to_f64() > 0.0);
                if y.len() >= 2 && !name.starts_with("exact") {
                    let pb = Problem {
                        p: *p,
                        x: x.clone(),
                        y: y.clone(),
                        prior: Prior {
                            intercept: prior[0],
                            coef: prior[1],
                            noise: prior[2],
                        },
                    };
                    let (best, _) = Reference::new(&pb).best();
                    // Plain f64 cannot solve λG + T⁻¹ when G is singular and λ‖G‖ is beyond
                    // 10¹⁶·‖T⁻¹‖ (a noise prior of 10⁻¹² on two rows): no reference there.
                    if !best.elbo.is_finite() {
                        continue;
                    }
                    compared += 1;
                    let tol = if ty == "f32" { 1e-4 } else { 1e-9 };
                    assert!(
                        e >= best.elbo - tol * (1.0 + best.elbo.abs()),
                        "{ty} {name} {prior:?}: ELBO {e} below the reference's {}",
                        best.elbo
                    );
                }
            }
        }
    }
    println!(
        "{ty}: {solved} solved ({compared} against the reference), {refused} refused as \
         ill-conditioned, {unbounded} exact fits out of range"
    );
    assert!(compared >= 10);
}
