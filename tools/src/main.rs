//! `fit`: Bayesian linear regression of a CSV file from the command line.
//!
//! ```text
//! cargo run --release -p vireg-tools --bin fit -- DATA.csv [options]
//! ```
//!
//! DATA.csv has a header row; the last column is y unless `--y NAME` names another, and every
//! other column is a feature (at most 64). Rows are streamed into the fit's summary, so the file
//! is never held in memory: chunks of whole lines are parsed on every core (a file of at most
//! 1 MiB by one thread, which costs less) and folded in, in the file's order
//! (`Fit::observe_rows`), by a fit whose capacity is the smallest of 8, 16, 32 and
//! 64 that holds the features (its cost follows its capacity; its numbers do not). `-` reads
//! standard input. Fields may be quoted as in RFC 4180 but not span lines; CRLF line ends and a
//! UTF-8 BOM are accepted; blank lines are skipped. The default is the exact mean-field optimum
//! (`--method exact`, coordinate ascent, nothing to tune); `--method svi` runs `Fit::run` (Adam,
//! Monte Carlo ELBO, the seed's settings by default). `--guide full` fits the full-rank guide
//! (`FullFit`: Pyro's AutoMultivariateNormal, the whole covariance) instead of the mean-field
//! one (`--guide diagonal`, the default), by either method. `--weight NAME` names a column of
//! row weights (each finite and ≥ 0; not a feature; an integer weight k counts as the row
//! repeated k times, a row of weight 0 is skipped), and `--forget G` a forgetting factor
//! γ ∈ (0, 1] (row i of N weighs γ^(N−1−i), in the file's order; docs/weights.md): both go
//! through the library's summary (`Fit::observe_rows_weighted`, `Config::forget`), with either
//! method and guide. The output is an ArviZ-like table (mean,
//! sd, 94% HDI of α, each βⱼ and σ) or, with `--json`, one JSON object whose numbers round-trip
//! exactly. `--trace FILE.csv` writes `step,loss` for every SVI step and `--plot FILE.svg` draws
//! the loss trace (the whole run and the last 1000 steps); both need `--method svi`, as the exact
//! solver has no loss trace. Run with `--help` for every option.
//!
//! The JSON object has `file`, `n` (rows), `p`, `y`, `features` (column names, in β order),
//! `method`, `guide` (`diagonal` or `full`), `forget` (γ), `effective_rows` (N_w, the sum of
//! the rows' weights after forgetting: the model's N), `weight` (the weight column's name, or
//! null), `steps` (SVI steps, or the exact solver's sweeps or
//! iterations), `prior`, `elbo`, `loc` and `scale` (the guide's, P + 2 each in the latent order
//! α, β…, u = ln σ; `scale` is softplus ρ), `cov` (the (P+2)×(P+2) covariance of that latent
//! vector, as P + 2 rows; diagonal for the mean-field guide), and `mean`, `sd`, `hdi_3`,
//! `hdi_97`, each `{"alpha": …, "beta": […], "sigma": …}`, from each latent's marginal (its
//! variance the diagonal of `cov`); SVI adds `particles`, `lr`, `seed` and `averaged` (iterates
//! averaged into the reported posterior).
//!
//! The HDI of α and βⱼ (normal marginals) is the 3%–97% quantile interval; that of σ (log-normal)
//! is the true highest-density interval, narrower than the equal-tailed one.
//!
//! Exit status: 0 on success; 2 on bad options (including a `--trace`/`--plot` file that cannot
//! be created) or malformed input, with one line on stderr naming the option or the file and
//! line (`fit: data.csv:17: expected 9 fields, found 8`); 1 when the fit itself fails (SVI
//! diverged, the exact solver overflowed or did not converge) or an output cannot be written.

mod data;
mod plot;
mod records;
mod report;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use vireg::{Config, Estimator, Family, Fit, FullGuide, Guide, Prior};

/// The largest feature capacity of the fit (files with fewer features use a smaller one).
const CAP: usize = 64;

/// Why the program stops early.
enum Failure {
    /// Bad options or malformed input: exit status 2.
    Input(String),
    /// The fit or an output failed: exit status 1.
    Run(String),
}

type Res<T> = Result<T, Failure>;

/// A field for a one-line message: quoted, control characters escaped, long ones shortened.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    let tail = if short.len() < s.len() { "..." } else { "" };
    format!("{short:?}{tail}")
}

/// The variational family: mean-field (Pyro's AutoDiagonalNormal) or full-rank
/// (AutoMultivariateNormal).
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum GuideKind {
    Diagonal,
    Full,
}

/// The fitting method: the exact optimum (no learning rate), or SVI (Adam).
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Method {
    Exact,
    Svi,
}

/// The command line; `--help` prints it with `ABOUT` and `AFTER_HELP`.
#[derive(Parser)]
#[command(
    name = "fit",
    disable_version_flag = true,
    // A repeated option takes its last value.
    args_override_self = true,
    about = ABOUT,
    after_help = AFTER_HELP,
    help_template = "{usage-heading} {usage}\n\n{about}\n\n{all-args}{after-help}"
)]
struct Cli {
    /// The data file, - for standard input
    #[arg(value_name = "DATA.csv")]
    data: String,
    /// The column to use as y [default: the last]
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    y: Option<String>,
    /// The exact mean-field optimum (coordinate ascent) or SVI (Adam)
    #[arg(long, value_enum, value_name = "exact|svi", default_value_t = Method::Exact,
          hide_possible_values = true)]
    method: Method,
    /// The column of row weights (finite, >= 0; not a feature)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    weight: Option<String>,
    /// Forgetting factor in (0, 1]: of N rows, row i (file order) weighs G^(N-1-i)
    #[arg(long, value_name = "G", default_value_t = 1.0, value_parser = forget,
          allow_negative_numbers = true)]
    forget: f64,
    /// The guide: mean-field (diagonal covariance) or full-rank (the whole covariance)
    #[arg(long, value_enum, value_name = "diagonal|full", default_value_t = GuideKind::Diagonal,
          hide_possible_values = true)]
    guide: GuideKind,
    /// SVI steps
    #[arg(long, value_name = "N", default_value_t = 30_000, value_parser = steps,
          allow_negative_numbers = true)]
    steps: u64,
    /// Monte Carlo particles per SVI step
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = particles,
          allow_negative_numbers = true)]
    particles: u32,
    /// Adam learning rate
    #[arg(long, value_name = "X", default_value_t = 0.01, value_parser = positive,
          allow_negative_numbers = true)]
    lr: f64,
    /// Seed of the SVI generator
    #[arg(long, value_name = "S", default_value_t = 42, value_parser = seed,
          allow_negative_numbers = true)]
    seed: u64,
    /// Sd of the intercept's Normal prior
    #[arg(long, value_name = "A", default_value_t = Prior::<f64>::default().intercept,
          value_parser = prior_scale, allow_negative_numbers = true)]
    prior_intercept: f64,
    /// Sd of each coefficient's Normal prior
    #[arg(long, value_name = "B", default_value_t = Prior::<f64>::default().coef,
          value_parser = prior_scale, allow_negative_numbers = true)]
    prior_coef: f64,
    /// Scale of the noise sd's HalfNormal prior
    #[arg(long, value_name = "C", default_value_t = Prior::<f64>::default().noise,
          value_parser = prior_scale, allow_negative_numbers = true)]
    prior_noise: f64,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    /// Write step,loss for every SVI step to FILE.csv
    #[arg(long, value_name = "FILE.csv")]
    trace: Option<String>,
    /// Draw the SVI loss to FILE.svg: the whole run and the last 1000 steps
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<String>,
}

const ABOUT: &str = "\
Fits y ~ Normal(alpha + x.beta, sigma), alpha ~ Normal(0, A), beta_j ~ Normal(0, B),
sigma ~ HalfNormal(C), to a CSV file with a header row (DATA.csv may be - for standard input).
The last column is y unless --y names another; every other column is a feature (at most 64),
but the column of row weights that --weight names.";

const AFTER_HELP: &str = "\
The table gives the mean, sd and 94% highest-density interval of each parameter. --steps,
--particles, --lr, --seed, --trace and --plot need --method svi. Exit status: 0 success,
1 the fit failed (e.g. SVI diverged: lower --lr), 2 bad options or malformed input.";

fn steps(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| "expected a positive integer".into())
}

fn particles(s: &str) -> Result<u32, String> {
    s.trim()
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| "expected a positive integer (at most 4294967295)".into())
}

fn seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| "expected an integer from 0 to 18446744073709551615".into())
}

fn positive(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| "expected a positive finite number".into())
}

fn forget(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|g| *g > 0.0 && *g <= 1.0)
        .ok_or_else(|| "expected a number in (0, 1]".into())
}

fn prior_scale(s: &str) -> Result<f64, String> {
    positive(s)
        .ok()
        .filter(|x| (x * x).is_finite() && x * x > 0.0)
        .ok_or_else(|| "expected a positive finite number (whose square is finite and > 0)".into())
}

/// The settings of one run.
pub struct Opts {
    path: String,
    y: Option<String>,
    weight: Option<String>,
    forget: f64,
    method: Method,
    guide: GuideKind,
    steps: u64,
    particles: u32,
    lr: f64,
    seed: u64,
    prior: Prior<f64>,
    json: bool,
    trace: Option<String>,
    plot: Option<String>,
}

/// A clap error on one line: its message and tips, without the usage and the pointer to --help
/// that clap adds on lines of their own.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let text = text.trim().strip_prefix("error: ").unwrap_or(text.trim());
    let parts: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.starts_with("Usage:") && !p.starts_with("For more information"))
        .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
        .collect();
    format!("{} (see --help)", parts.join("; "))
}

/// The options, or `None` when help was asked for (and printed).
fn parse_args() -> Res<Option<Opts>> {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            print!("{}", e.render());
            return Ok(None);
        }
        Err(e) => return Err(Failure::Input(one_line(&e))),
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|e| Failure::Input(one_line(&e)))?;
    if cli.method == Method::Exact {
        let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        let svi_only = ["steps", "particles", "lr", "seed", "trace", "plot"];
        if let Some(id) = svi_only.into_iter().find(|id| given(id)) {
            let why = if matches!(id, "trace" | "plot") {
                "the exact solver has no loss trace"
            } else {
                "the exact solver has no such setting"
            };
            return Err(Failure::Input(format!("--{id} needs --method svi ({why})")));
        }
    }
    Ok(Some(Opts {
        path: cli.data,
        y: cli.y,
        weight: cli.weight,
        forget: cli.forget,
        method: cli.method,
        guide: cli.guide,
        steps: cli.steps,
        particles: cli.particles,
        lr: cli.lr,
        seed: cli.seed,
        prior: Prior {
            intercept: cli.prior_intercept,
            coef: cli.prior_coef,
            noise: cli.prior_noise,
        },
        json: cli.json,
        trace: cli.trace,
        plot: cli.plot,
    }))
}

fn create(path: &str, option: &str) -> Res<BufWriter<File>> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| Failure::Input(format!("{option}: cannot create {}: {e}", quote(path))))
}

fn write_failed(path: &str, e: io::Error) -> Failure {
    Failure::Run(format!("cannot write {}: {e}", quote(path)))
}

fn fit_main(o: &Opts) -> Res<String> {
    let cfg = Config {
        prior: o.prior,
        adam: vireg::AdamConfig {
            lr: o.lr,
            ..Default::default()
        },
        estimator: Estimator::MonteCarlo {
            particles: o.particles,
        },
        seed: o.seed,
        forget: o.forget,
        ..Config::default()
    };
    if let Err(e) = cfg.validate() {
        return Err(Failure::Input(format!("invalid settings: {e}")));
    }
    // Outputs are created before the (possibly long) fit, so a bad path fails at once.
    let trace = match &o.trace {
        Some(path) => Some((create(path, "--trace")?, path)),
        None => None,
    };
    let plot_out = match &o.plot {
        Some(path) => Some((create(path, "--plot")?, path)),
        None => None,
    };
    let name = if o.path == "-" { "<stdin>" } else { &o.path };
    let header = data::open(&o.path, name, o.y.as_deref(), o.weight.as_deref())?;
    // The fit's cost per row and per step follows its capacity, not the features in use: the
    // smallest capacity that holds the file's features is the fastest, and gives the same
    // numbers (the library's results do not depend on the capacity).
    let outputs = Outputs {
        trace,
        plot: plot_out,
    };
    type Mf<const P: usize> = Guide<f64, P>;
    type Fr<const P: usize> = FullGuide<f64, P>;
    let full = o.guide == GuideKind::Full;
    match header.features() {
        0..=8 if full => fit_at::<8, Fr<8>>(o, cfg, name, header, outputs),
        0..=8 => fit_at::<8, Mf<8>>(o, cfg, name, header, outputs),
        9..=16 if full => fit_at::<16, Fr<16>>(o, cfg, name, header, outputs),
        9..=16 => fit_at::<16, Mf<16>>(o, cfg, name, header, outputs),
        17..=32 if full => fit_at::<32, Fr<32>>(o, cfg, name, header, outputs),
        17..=32 => fit_at::<32, Mf<32>>(o, cfg, name, header, outputs),
        _ if full => fit_at::<CAP, Fr<CAP>>(o, cfg, name, header, outputs),
        _ => fit_at::<CAP, Mf<CAP>>(o, cfg, name, header, outputs),
    }
}

/// The optional outputs of an SVI run, created before the data are read.
struct Outputs<'a> {
    trace: Option<(BufWriter<File>, &'a String)>,
    plot: Option<(BufWriter<File>, &'a String)>,
}

/// Reads the rows into a fit of capacity `P` and guide `G`, fits, and returns the report's text.
fn fit_at<const P: usize, G: Family<f64, P>>(
    o: &Opts,
    cfg: Config<f64>,
    name: &str,
    header: data::Header,
    outputs: Outputs,
) -> Res<String>
where
    Fit<f64, P, G>: report::Fitted<P>,
{
    let Outputs {
        mut trace,
        plot: plot_out,
    } = outputs;
    let mut d = header.read::<P, G>(cfg)?;
    let report = match o.method {
        Method::Exact => {
            let (elbo, iterations) = report::Fitted::solve(&mut *d.fit)
                .map_err(|e| Failure::Run(format!("{name}: the exact solver failed: {e}")))?;
            report::Report::new(&*d.fit, elbo, iterations, None)?
        }
        Method::Svi => {
            let mut losses = Vec::new();
            let mut werr = None;
            if let Some((w, _)) = trace.as_mut() {
                werr = writeln!(w, "step,loss").err();
            }
            let every = if trace.is_some() || plot_out.is_some() {
                1
            } else {
                0
            };
            let run = d.fit.run(o.steps, every, |step, loss| {
                if let Some((w, _)) = trace.as_mut() {
                    if werr.is_none() {
                        // `{:?}` prints the shortest digits that read back to the same f64.
                        werr = writeln!(w, "{step},{loss:?}").err();
                    }
                }
                if plot_out.is_some() {
                    losses.push(loss);
                }
                true
            });
            if let Some((mut w, path)) = trace {
                if let Some(e) = werr.or_else(|| w.flush().err()) {
                    return Err(write_failed(path, e));
                }
            }
            let rep = run.map_err(|e| {
                Failure::Run(format!(
                    "{name}: SVI failed: {e} (try a smaller --lr, e.g. {})",
                    o.lr / 10.0
                ))
            })?;
            if let Some((mut w, path)) = plot_out {
                let svg = plot::svg(&losses, name).map_err(Failure::Run)?;
                w.write_all(svg.as_bytes())
                    .and_then(|_| w.flush())
                    .map_err(|e| write_failed(path, e))?;
            }
            report::Report::new(&*d.fit, rep.elbo, rep.steps, Some(rep.averaged))?
        }
    };
    Ok(if o.json {
        report::json(o, &d, &report) + "\n"
    } else {
        report::table(o, &d, &report)
    })
}

fn main() -> ExitCode {
    let result = match parse_args() {
        Ok(None) => return ExitCode::SUCCESS,
        Ok(Some(o)) => fit_main(&o),
        Err(f) => Err(f),
    };
    match result {
        Ok(out) => {
            let mut stdout = io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Input(msg)) => {
            eprintln!("fit: {}", msg.replace('\n', " "));
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("fit: {}", msg.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
