//! What is reported about a fitted model: the summaries and intervals, printed as a table or as
//! one JSON object.

use crate::data::Data;
use crate::{Failure, Method, Opts, Res};
use serde::Serialize;
use std::fmt::Write as _;
use vireg::{Family, Fit, FullFit, Posterior};

/// Probability mass of the reported highest-density intervals (ArviZ's default).
const HDI_MASS: f64 = 0.94;

/// What a report needs of a fit of either guide family.
pub trait Fitted<const P: usize> {
    /// The guide's name in the output: `diagonal` (mean-field) or `full` (full-rank).
    const GUIDE: &'static str;
    /// The exact optimum: its ELBO and the solver's iterations.
    fn solve(&mut self) -> Result<(f64, u64), vireg::Error>;
    /// The posterior's marginals, the guide's scales (softplus ρ) and the latent covariance,
    /// (p+2)×(p+2) row-major, in the latent order α, β…, u = ln σ.
    #[allow(clippy::type_complexity)]
    fn parts(&self) -> Result<(Posterior<f64, P>, Vec<f64>, Vec<f64>), vireg::Error>;
}

impl<const P: usize> Fitted<P> for Fit<f64, P> {
    const GUIDE: &'static str = "diagonal";
    fn solve(&mut self) -> Result<(f64, u64), vireg::Error> {
        self.solve_exact().map(|r| (r.elbo, r.iterations as u64))
    }
    fn parts(&self) -> Result<(Posterior<f64, P>, Vec<f64>, Vec<f64>), vireg::Error> {
        let post = self.posterior()?;
        let d = post.features() + 2;
        let (mut scale, mut cov) = (vec![0.0; d], vec![0.0; d * d]);
        post.scale(&mut scale);
        post.covariance_to(&mut cov)?;
        Ok((post, scale, cov))
    }
}

impl<const P: usize> Fitted<P> for FullFit<f64, P> {
    const GUIDE: &'static str = "full";
    fn solve(&mut self) -> Result<(f64, u64), vireg::Error> {
        self.solve_exact().map(|r| (r.elbo, r.iterations as u64))
    }
    fn parts(&self) -> Result<(Posterior<f64, P>, Vec<f64>, Vec<f64>), vireg::Error> {
        let post = self.posterior()?;
        let d = post.features() + 2;
        let mut cov = vec![0.0; d * d];
        post.covariance_to(&mut cov)?;
        let mut scale = vec![0.0; d];
        self.reported_guide()
            .scale(d - 2)
            .copy_to(d - 2, &mut scale);
        Ok((*post.marginals(), scale, cov))
    }
}

/// Everything reported about one fitted model; vectors in the latent order α, β…, σ (u = ln σ
/// for `loc` and `scale`).
pub struct Report {
    guide: &'static str,
    loc: Vec<f64>,
    scale: Vec<f64>,
    /// The latent covariance, row-major.
    cov: Vec<f64>,
    mean: Vec<f64>,
    sd: Vec<f64>,
    hdi: Vec<(f64, f64)>,
    elbo: f64,
    /// SVI steps, or coordinate-ascent sweeps of the exact solver.
    pub steps: u64,
    /// SVI iterates averaged into the posterior (`None` for the exact solver).
    averaged: Option<u64>,
}

impl Report {
    /// The report of `fit`, whose fit ended with `elbo` after `steps`. Sds and intervals are
    /// the marginals' (from the covariance's diagonal).
    pub fn new<const P: usize, F: Fitted<P>>(
        fit: &F,
        elbo: f64,
        steps: u64,
        averaged: Option<u64>,
    ) -> Res<Report> {
        let (post, scale, cov) = fit
            .parts()
            .map_err(|e| Failure::Run(format!("no posterior: {e}")))?;
        let p = post.features();
        let mut loc = vec![0.0; p + 2];
        post.loc(&mut loc);
        let (mut mean, mut sd, mut hdi) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..p + 2 {
            let s = post.summary(i).expect("i ≤ p + 1");
            mean.push(s.mean);
            sd.push(s.sd);
            hdi.push(if i == p + 1 {
                // σ's log-normal highest-density interval: the library's (as the C API's),
                // its ends' exponentials taken with std's exp.
                let (lo, hi) = post.ln_sigma_hdi(HDI_MASS).expect("0 < HDI_MASS < 1");
                (lo.exp(), hi.exp())
            } else {
                let q = |q: f64| post.quantile(i, q).expect("i ≤ p + 1, 0 < q < 1");
                (q(0.03), q(0.97))
            });
        }
        let all = loc.iter().chain(&scale).chain(&mean).chain(&sd).chain(&cov);
        if !all.chain([&elbo]).all(|v| v.is_finite()) {
            return Err(Failure::Run(
                "the posterior overflows f64 (rescale the data)".into(),
            ));
        }
        Ok(Report {
            guide: F::GUIDE,
            loc,
            scale,
            cov,
            mean,
            sd,
            hdi,
            elbo,
            steps,
            averaged,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// The JSON object, fields in print order. serde_json prints each f64 in its shortest digits
/// that read back to the same bits, and a non-finite one as `null`.
#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    n: u64,
    p: usize,
    y: &'a str,
    features: &'a [String],
    method: &'static str,
    guide: &'static str,
    forget: f64,
    effective_rows: f64,
    weight: Option<&'a str>,
    steps: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    particles: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    averaged: Option<u64>,
    prior: JsonPrior,
    elbo: f64,
    loc: &'a [f64],
    scale: &'a [f64],
    cov: Vec<&'a [f64]>,
    mean: Params<'a>,
    sd: Params<'a>,
    hdi_3: Params<'a>,
    hdi_97: Params<'a>,
}

#[derive(Serialize)]
struct JsonPrior {
    intercept: f64,
    coef: f64,
    noise: f64,
}

/// `{"alpha": v[0], "beta": v[1..=p], "sigma": v[p+1]}`.
#[derive(Serialize)]
struct Params<'a> {
    alpha: f64,
    beta: &'a [f64],
    sigma: f64,
}

impl<'a> Params<'a> {
    fn of(v: &'a [f64]) -> Self {
        let p = v.len() - 2;
        Params {
            alpha: v[0],
            beta: &v[1..=p],
            sigma: v[p + 1],
        }
    }
}

/// The report as one line of JSON.
pub fn json<const P: usize, G: Family<f64, P>>(o: &Opts, d: &Data<P, G>, r: &Report) -> String {
    let svi = r.averaged.is_some();
    let lo: Vec<f64> = r.hdi.iter().map(|h| h.0).collect();
    let hi: Vec<f64> = r.hdi.iter().map(|h| h.1).collect();
    let out = JsonReport {
        file: &o.path,
        n: d.fit.stats().rows(),
        p: d.features.len(),
        y: &d.y_name,
        features: &d.features,
        method: match o.method {
            Method::Exact => "exact",
            Method::Svi => "svi",
        },
        guide: r.guide,
        forget: o.forget,
        effective_rows: d.fit.stats().effective_rows(),
        weight: d.weight_name.as_deref(),
        steps: r.steps,
        particles: svi.then_some(o.particles),
        lr: svi.then_some(o.lr),
        seed: svi.then_some(o.seed),
        averaged: r.averaged,
        prior: JsonPrior {
            intercept: o.prior.intercept,
            coef: o.prior.coef,
            noise: o.prior.noise,
        },
        elbo: r.elbo,
        loc: &r.loc,
        scale: &r.scale,
        cov: r.cov.chunks(r.loc.len()).collect(),
        mean: Params::of(&r.mean),
        sd: Params::of(&r.sd),
        hdi_3: Params::of(&lo),
        hdi_97: Params::of(&hi),
    };
    serde_json::to_string(&out).expect("strings and numbers always serialise")
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// Six significant digits: fixed notation for 1e-4 ≤ |v| < 1e9, scientific otherwise.
fn sig6(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        return format!("{v}");
    }
    if a == 0.0 {
        return "0".into();
    }
    if (1e-4..1e9).contains(&a) {
        let dec = (5 - a.log10().floor() as i32).clamp(0, 12) as usize;
        format!("{v:.dec$}")
    } else {
        format!("{v:.5e}")
    }
}

/// The report as an ArviZ-like table: the run's settings, then the mean, sd and 94% HDI of
/// each parameter.
pub fn table<const P: usize, G: Family<f64, P>>(o: &Opts, d: &Data<P, G>, r: &Report) -> String {
    let p = d.features.len();
    let n = d.fit.stats().rows();
    let mut s = String::new();
    let file = if o.path == "-" { "<stdin>" } else { &o.path };
    // Column names, quoted when they hold a comma or surrounding space.
    let show = |c: &str| {
        if c.contains(',') || c.trim() != c || c.is_empty() {
            format!("{c:?}")
        } else {
            c.to_string()
        }
    };
    let _ = writeln!(s, "data    {file}");
    let _ = writeln!(s, "y       {}", show(&d.y_name));
    let betas: Vec<String> = d.features.iter().map(|f| show(f)).collect();
    let _ = writeln!(s, "beta    {}", betas.join(", "));
    let _ = writeln!(s, "n       {n}");
    if let Some(w) = &d.weight_name {
        let _ = writeln!(s, "weight  {}", show(w));
    }
    if o.forget != 1.0 {
        let _ = writeln!(s, "forget  {}", o.forget);
    }
    if d.weight_name.is_some() || o.forget != 1.0 {
        let _ = writeln!(s, "N_w     {}", sig6(d.fit.stats().effective_rows()));
    }
    match o.method {
        Method::Exact if r.guide == "full" => {
            let _ = writeln!(s, "method  exact (full-rank optimum by its fixed point)");
            let _ = writeln!(s, "steps   {} iterations", r.steps);
        }
        Method::Exact => {
            let _ = writeln!(s, "method  exact (mean-field optimum by coordinate ascent)");
            let _ = writeln!(s, "steps   {} sweeps", r.steps);
        }
        Method::Svi => {
            let _ = writeln!(
                s,
                "method  svi (Adam, lr {}, {} particle{}, seed {})",
                o.lr,
                o.particles,
                if o.particles == 1 { "" } else { "s" },
                o.seed
            );
            let _ = writeln!(
                s,
                "steps   {} ({} iterates averaged)",
                r.steps,
                r.averaged.unwrap_or(0)
            );
        }
    }
    let _ = writeln!(s, "guide   {}", r.guide);
    let _ = writeln!(s, "ELBO    {:?}", r.elbo);
    let _ = writeln!(s);
    let mut rows: Vec<[String; 5]> = vec![[
        String::new(),
        "mean".into(),
        "sd".into(),
        "hdi_3%".into(),
        "hdi_97%".into(),
    ]];
    for i in 0..p + 2 {
        let label = match i {
            0 => "alpha".to_string(),
            i if i <= p => format!("beta[{}]", i - 1),
            _ => "sigma".to_string(),
        };
        rows.push([
            label,
            sig6(r.mean[i]),
            sig6(r.sd[i]),
            sig6(r.hdi[i].0),
            sig6(r.hdi[i].1),
        ]);
    }
    let mut w = [0usize; 5];
    for row in &rows {
        for (k, c) in row.iter().enumerate() {
            w[k] = w[k].max(c.chars().count());
        }
    }
    for row in &rows {
        let mut line = format!("{:<w0$}", row[0], w0 = w[0]);
        for k in 1..5 {
            let _ = write!(line, "  {:>wk$}", row[k], wk = w[k]);
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}
