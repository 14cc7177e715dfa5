//! `fit`: Bayesian linear regression of a CSV file from the command line.
//!
//! ```text
//! cargo run --release --example fit -- DATA.csv [options]
//! ```
//!
//! DATA.csv has a header row; the last column is y unless `--y NAME` names another, and every
//! other column is a feature (at most 64). Rows are read one at a time and folded into the fit's
//! summary with `Fit::observe`, so the file is never held in memory (`-` reads standard input;
//! fields may be quoted as in RFC 4180 but not span lines; CRLF line ends and a UTF-8 BOM are
//! accepted; blank lines are skipped). The default is the exact
//! mean-field optimum (`--method exact`, coordinate ascent, nothing to tune); `--method svi`
//! runs `Fit::run` (Adam, Monte Carlo ELBO, the seed's settings by default). The output is an
//! ArviZ-like table (mean, sd, 94% HDI of α, each βⱼ and σ) or, with `--json`, one JSON object
//! whose numbers round-trip exactly. `--trace FILE.csv` writes `step,loss` for every SVI step and
//! `--plot FILE.svg` draws the loss trace (the whole run and the last 1000 steps); both need
//! `--method svi`, as the exact solver has no loss trace. Run with `--help` for every option.
//!
//! The JSON object has `file`, `n` (rows), `p`, `y`, `features` (column names, in β order),
//! `method`, `steps` (SVI steps, or coordinate-ascent sweeps for exact), `prior`, `elbo`, `loc`
//! and `scale` (the guide's, P + 2 each in the latent order α, β…, u = ln σ), and `mean`, `sd`,
//! `hdi_3`, `hdi_97`, each `{"alpha": …, "beta": […], "sigma": …}`; SVI adds `particles`, `lr`,
//! `seed` and `averaged` (iterates averaged into the reported posterior).
//!
//! The HDI of α and βⱼ (normal marginals) is the 3%–97% quantile interval; that of σ (log-normal)
//! is the true highest-density interval, narrower than the equal-tailed one.
//!
//! Exit status: 0 on success; 2 on bad options (including a `--trace`/`--plot` file that cannot
//! be created) or malformed input, with one line on stderr naming the option or the file and
//! line (`fit: data.csv:17: expected 9 fields, found 8`); 1 when the fit itself fails (SVI
//! diverged, the exact solver overflowed or did not converge) or an output cannot be written.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;
use vireg::{normal_quantile, Config, Estimator, Fit, Posterior, Prior};

/// Feature capacity of the fit.
const CAP: usize = 64;
/// Probability mass of the reported highest-density intervals (ArviZ's default).
const HDI_MASS: f64 = 0.94;
/// Steps shown in the plot's second panel.
const PLOT_TAIL: usize = 1000;

const USAGE: &str = "\
usage: fit DATA.csv [options]

Fits y ~ Normal(alpha + x.beta, sigma), alpha ~ Normal(0, A), beta_j ~ Normal(0, B),
sigma ~ HalfNormal(C), to a CSV file with a header row (DATA.csv may be - for standard input).
The last column is y unless --y names another; every other column is a feature (at most 64).

options:
  --y NAME             the column to use as y (default: the last)
  --method exact|svi   exact mean-field optimum by coordinate ascent (default), or SVI (Adam)
  --steps N            SVI steps (default 30000)
  --particles K        Monte Carlo particles per SVI step (default 1)
  --lr X               Adam learning rate (default 0.01)
  --seed S             seed of the SVI generator (default 42)
  --prior-intercept A  sd of the intercept's Normal prior (default 100)
  --prior-coef B       sd of each coefficient's Normal prior (default 10)
  --prior-noise C      scale of the noise sd's HalfNormal prior (default 10)
  --json               print one JSON object instead of the table
  --trace FILE.csv     write step,loss for every SVI step (svi only)
  --plot FILE.svg      draw the SVI loss: the whole run and the last 1000 steps (svi only)
  -h, --help           print this help

The table gives the mean, sd and 94% highest-density interval of each parameter. --steps,
--particles, --lr, --seed, --trace and --plot need --method svi. Exit status: 0 success,
1 the fit failed (e.g. SVI diverged: lower --lr), 2 bad options or malformed input.
";

/// Why the program stops early.
enum Failure {
    /// Bad options or malformed input: exit status 2.
    Input(String),
    /// The fit or an output failed: exit status 1.
    Run(String),
}

type Res<T> = Result<T, Failure>;

fn input<T>(msg: impl Into<String>) -> Res<T> {
    Err(Failure::Input(msg.into()))
}

#[derive(Clone, Copy, PartialEq)]
enum Method {
    Exact,
    Svi,
}

struct Opts {
    path: String,
    y: Option<String>,
    method: Method,
    steps: u64,
    particles: u32,
    lr: f64,
    seed: u64,
    prior: Prior<f64>,
    json: bool,
    trace: Option<String>,
    plot: Option<String>,
}

/// A field for a one-line message: quoted, control characters escaped, long ones shortened.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    let tail = if short.len() < s.len() { "..." } else { "" };
    format!("{:?}{tail}", short)
}

fn parse_args(args: &[String]) -> Res<Option<Opts>> {
    let mut o = Opts {
        path: String::new(),
        y: None,
        method: Method::Exact,
        steps: 30_000,
        particles: 1,
        lr: 1e-2,
        seed: 42,
        prior: Prior::default(),
        json: false,
        trace: None,
        plot: None,
    };
    let mut path = None;
    let mut svi_only = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if options_done || arg == "-" || !arg.starts_with('-') {
            if path.replace(arg.clone()).is_some() {
                return input("more than one data file given (see --help)");
            }
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        match name {
            "--" => {
                options_done = true;
                continue;
            }
            "-h" | "--help" => return Ok(None),
            "--json" => {
                if inline.is_some() {
                    return input("--json takes no value");
                }
                o.json = true;
                continue;
            }
            _ => {}
        }
        let known = [
            "--y",
            "--method",
            "--steps",
            "--particles",
            "--lr",
            "--seed",
            "--prior-intercept",
            "--prior-coef",
            "--prior-noise",
            "--trace",
            "--plot",
        ];
        if !known.contains(&name) {
            return input(format!("unknown option {} (see --help)", quote(arg)));
        }
        let value = match inline {
            Some(v) => v,
            None if i < args.len() => {
                i += 1;
                args[i - 1].clone()
            }
            None => return input(format!("{name} needs a value")),
        };
        let bad = |what: &str| input(format!("{name}: expected {what}, got {}", quote(&value)));
        let positive = |v: &str| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
        };
        match name {
            "--y" => o.y = Some(value.clone()),
            "--method" => {
                o.method = match value.as_str() {
                    "exact" => Method::Exact,
                    "svi" => Method::Svi,
                    _ => return bad("exact or svi"),
                }
            }
            "--steps" => match value.trim().parse::<u64>() {
                Ok(n) if n >= 1 => o.steps = n,
                _ => return bad("a positive integer"),
            },
            "--particles" => match value.trim().parse::<u32>() {
                Ok(n) if n >= 1 => o.particles = n,
                _ => return bad("a positive integer (at most 4294967295)"),
            },
            "--seed" => match value.trim().parse::<u64>() {
                Ok(n) => o.seed = n,
                _ => return bad("an integer from 0 to 18446744073709551615"),
            },
            "--lr" => match positive(&value) {
                Some(x) => o.lr = x,
                None => return bad("a positive finite number"),
            },
            "--prior-intercept" | "--prior-coef" | "--prior-noise" => {
                let Some(x) = positive(&value).filter(|x| (x * x).is_finite() && x * x > 0.0)
                else {
                    return bad("a positive finite number (whose square is finite and > 0)");
                };
                match name {
                    "--prior-intercept" => o.prior.intercept = x,
                    "--prior-coef" => o.prior.coef = x,
                    _ => o.prior.noise = x,
                }
            }
            "--trace" => o.trace = Some(value.clone()),
            "--plot" => o.plot = Some(value.clone()),
            _ => unreachable!("every known option is handled"),
        }
        if matches!(
            name,
            "--steps" | "--particles" | "--lr" | "--seed" | "--trace" | "--plot"
        ) {
            svi_only.push(name);
        }
    }
    if o.method == Method::Exact {
        if let Some(name) = svi_only.first() {
            let why = if matches!(*name, "--trace" | "--plot") {
                "the exact solver has no loss trace"
            } else {
                "the exact solver has no such setting"
            };
            return input(format!("{name} needs --method svi ({why})"));
        }
    }
    match path {
        Some(p) => o.path = p,
        None => return input("no data file given (see --help)"),
    }
    Ok(Some(o))
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes) into `out`.
fn split_csv(line: &str, out: &mut Vec<String>) -> Result<(), String> {
    out.clear();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == ',' {
            out.push(std::mem::take(&mut field));
            was_quoted = false;
        } else if c == '"' && field.trim().is_empty() && !was_quoted {
            field.clear();
            quoted = true;
            was_quoted = true;
        } else if was_quoted && !c.is_whitespace() {
            return Err(format!(
                "field {} has text after its closing quote",
                out.len() + 1
            ));
        } else if !was_quoted {
            field.push(c);
        }
    }
    if quoted {
        return Err(format!(
            "field {} has an unterminated quote (line breaks inside quotes are not supported)",
            out.len() + 1
        ));
    }
    out.push(field);
    Ok(())
}

/// The data: a fit with every row folded in, and the column names.
struct Data {
    fit: Box<Fit<f64, CAP>>,
    y_name: String,
    features: Vec<String>,
}

/// Reads the CSV row by row into a fit configured by `cfg`.
fn read_data(o: &Opts, cfg: Config<f64>) -> Res<Data> {
    let name = if o.path == "-" { "<stdin>" } else { &o.path };
    let reader: Box<dyn BufRead> = if o.path == "-" {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        match File::open(&o.path) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => return input(format!("{name}: cannot open: {e}")),
        }
    };
    read_rows(reader, name, o, cfg)
}

fn read_rows(mut reader: Box<dyn BufRead>, name: &str, o: &Opts, cfg: Config<f64>) -> Res<Data> {
    let mut bytes = Vec::new();
    let mut fields = Vec::new();
    let mut lineno = 0u64;
    let at = |lineno: u64, msg: String| Failure::Input(format!("{name}:{lineno}: {msg}"));
    // The next non-blank line (without its line ending), or None at the end of the file.
    let mut next_line = |bytes: &mut Vec<u8>, lineno: &mut u64| -> Res<Option<String>> {
        loop {
            bytes.clear();
            match reader.read_until(b'\n', bytes) {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(e) => return input(format!("{name}:{}: cannot read: {e}", *lineno + 1)),
            }
            *lineno += 1;
            let Ok(text) = std::str::from_utf8(bytes) else {
                return input(format!("{name}:{}: not valid UTF-8", *lineno));
            };
            let mut text = text.strip_suffix('\n').unwrap_or(text);
            text = text.strip_suffix('\r').unwrap_or(text);
            if *lineno == 1 {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
            }
            if !text.trim().is_empty() {
                return Ok(Some(text.to_string()));
            }
        }
    };

    // The header.
    let Some(header) = next_line(&mut bytes, &mut lineno)? else {
        return input(format!("{name}: empty file (expected a header row)"));
    };
    let header_line = lineno;
    split_csv(&header, &mut fields).map_err(|m| at(lineno, m))?;
    let names: Vec<String> = fields.iter().map(|f| f.trim().to_string()).collect();
    let cols = names.len();
    if cols < 2 {
        return Err(at(
            lineno,
            format!("the header has {cols} column; need at least 2 (features and y)"),
        ));
    }
    let y_col = match &o.y {
        None => cols - 1,
        Some(want) => {
            let hits: Vec<usize> = (0..cols).filter(|&j| names[j] == *want).collect();
            match hits[..] {
                [j] => j,
                [] => {
                    return Err(at(
                        lineno,
                        format!("--y: no column named {} in the header", quote(want)),
                    ))
                }
                _ => {
                    return Err(at(
                        lineno,
                        format!(
                            "--y: {} names {} columns (numbers {})",
                            quote(want),
                            hits.len(),
                            hits.iter()
                                .map(|j| (j + 1).to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            }
        }
    };
    let p = cols - 1;
    if p > CAP {
        return Err(at(
            lineno,
            format!("{p} feature columns, more than the capacity of {CAP}"),
        ));
    }
    let features: Vec<String> = (0..cols)
        .filter(|&j| j != y_col)
        .map(|j| names[j].clone())
        .collect();
    let mut fit = match Fit::<f64, CAP>::new(p, cfg) {
        Ok(f) => Box::new(f),
        Err(e) => return input(format!("invalid settings: {e}")),
    };

    // The rows, one at a time.
    let mut x = vec![0.0; p];
    while let Some(line) = next_line(&mut bytes, &mut lineno)? {
        split_csv(&line, &mut fields).map_err(|m| at(lineno, m))?;
        if fields.len() != cols {
            return Err(at(
                lineno,
                format!("expected {cols} fields, found {}", fields.len()),
            ));
        }
        let mut y = 0.0;
        let mut k = 0;
        for (j, f) in fields.iter().enumerate() {
            let col = || format!("column {} ({})", j + 1, quote(&names[j]));
            let f = f.trim();
            if f.is_empty() {
                return Err(at(lineno, format!("{} is empty", col())));
            }
            let v: f64 = f
                .parse()
                .map_err(|_| at(lineno, format!("{}: {} is not a number", col(), quote(f))))?;
            if !v.is_finite() {
                return Err(at(lineno, format!("{}: {} is not finite", col(), quote(f))));
            }
            if j == y_col {
                y = v;
            } else {
                x[k] = v;
                k += 1;
            }
        }
        fit.observe(&x, y)
            .map_err(|e| at(lineno, format!("row refused: {e}")))?;
    }
    if fit.stats().rows() == 0 {
        return Err(at(header_line, "no data rows after the header".into()));
    }
    Ok(Data {
        fit,
        y_name: names[y_col].clone(),
        features,
    })
}

/// The 94% highest-density interval of the log-normal σ = e^u, u ~ N(m, s²).
///
/// The interval [e^{m+s·z₁}, e^{m+s·z₂}] holds mass Φ(z₂) − Φ(z₁) = 0.94; the shortest such
/// interval (the minimum of its width) is where the density is equal at both ends, which for the
/// log-normal is z₁ + z₂ = −2s. With a = Φ(z₁), g(a) = Φ⁻¹(a) + Φ⁻¹(a + 0.94) + 2s is strictly
/// increasing from −∞ to +∞ on (0, 0.06), so bisection finds its root to the last bit.
fn lognormal_hdi(m: f64, s: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 1.0 - HDI_MASS);
    let g = |a: f64| normal_quantile(a) + normal_quantile(a + HDI_MASS) + 2.0 * s;
    // Each halving shrinks the bracket; it stops once the midpoint is an endpoint (≤ 1100 times).
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if g(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = if g(lo).abs() <= g(hi).abs() { lo } else { hi };
    let a = a.max(f64::MIN_POSITIVE);
    let z1 = normal_quantile(a);
    let z2 = normal_quantile((a + HDI_MASS).min(1.0 - f64::EPSILON / 2.0));
    ((m + s * z1).exp(), (m + s * z2).exp())
}

/// Everything reported about one fitted model.
struct Report {
    post: Posterior<f64, CAP>,
    loc: Vec<f64>,
    scale: Vec<f64>,
    mean: Vec<f64>,
    sd: Vec<f64>,
    hdi: Vec<(f64, f64)>,
    elbo: f64,
    steps: u64,
    averaged: Option<u64>,
}

impl Report {
    fn new(fit: &Fit<f64, CAP>, elbo: f64, steps: u64, averaged: Option<u64>) -> Res<Report> {
        let post = fit.posterior().unwrap();
        let p = post.features();
        let mut loc = vec![0.0; p + 2];
        let mut scale = vec![0.0; p + 2];
        post.loc(&mut loc);
        post.scale(&mut scale);
        let (mut mean, mut sd, mut hdi) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..p + 2 {
            let s = post.summary(i).expect("i ≤ p + 1");
            mean.push(s.mean);
            sd.push(s.sd);
            hdi.push(if i == p + 1 {
                lognormal_hdi(loc[i], scale[i])
            } else {
                let q = |q: f64| post.quantile(i, q).expect("i ≤ p + 1, 0 < q < 1");
                (q(0.03), q(0.97))
            });
        }
        let all = loc.iter().chain(&scale).chain(&mean).chain(&sd);
        if !all.chain([&elbo]).all(|v| v.is_finite()) {
            return Err(Failure::Run(
                "the posterior overflows f64 (rescale the data)".into(),
            ));
        }
        Ok(Report {
            post,
            loc,
            scale,
            mean,
            sd,
            hdi,
            elbo,
            steps,
            averaged,
        })
    }
}

/// A JSON number: shortest round-trip digits (`{:?}` of f64), `null` if not finite.
fn jnum(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "null".into()
    }
}

fn jstr(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn jarr(v: impl IntoIterator<Item = f64>) -> String {
    let items: Vec<String> = v.into_iter().map(jnum).collect();
    format!("[{}]", items.join(","))
}

/// `{"alpha": v[0], "beta": v[1..=p], "sigma": v[p+1]}`.
fn jparams(v: &[f64]) -> String {
    let p = v.len() - 2;
    format!(
        "{{\"alpha\":{},\"beta\":{},\"sigma\":{}}}",
        jnum(v[0]),
        jarr(v[1..=p].iter().copied()),
        jnum(v[p + 1])
    )
}

fn json(o: &Opts, d: &Data, r: &Report) -> String {
    let n = d.fit.stats().rows();
    let mut s = String::from("{");
    let file = if o.path == "-" { "-" } else { &o.path };
    let _ = write!(s, "\"file\":{},\"n\":{n},", jstr(file));
    let _ = write!(s, "\"p\":{},\"y\":{},", d.features.len(), jstr(&d.y_name));
    let feats: Vec<String> = d.features.iter().map(|f| jstr(f)).collect();
    let _ = write!(s, "\"features\":[{}],", feats.join(","));
    let method = match o.method {
        Method::Exact => "exact",
        Method::Svi => "svi",
    };
    let _ = write!(s, "\"method\":\"{method}\",\"steps\":{},", r.steps);
    if let Some(avg) = r.averaged {
        let _ = write!(
            s,
            "\"particles\":{},\"lr\":{},\"seed\":{},\"averaged\":{avg},",
            o.particles,
            jnum(o.lr),
            o.seed
        );
    }
    let _ = write!(
        s,
        "\"prior\":{{\"intercept\":{},\"coef\":{},\"noise\":{}}},",
        jnum(o.prior.intercept),
        jnum(o.prior.coef),
        jnum(o.prior.noise)
    );
    let _ = write!(s, "\"elbo\":{},", jnum(r.elbo));
    let _ = write!(s, "\"loc\":{},", jarr(r.loc.iter().copied()));
    let _ = write!(s, "\"scale\":{},", jarr(r.scale.iter().copied()));
    let _ = write!(s, "\"mean\":{},", jparams(&r.mean));
    let _ = write!(s, "\"sd\":{},", jparams(&r.sd));
    let lo: Vec<f64> = r.hdi.iter().map(|h| h.0).collect();
    let hi: Vec<f64> = r.hdi.iter().map(|h| h.1).collect();
    let _ = write!(s, "\"hdi_3\":{},", jparams(&lo));
    let _ = write!(s, "\"hdi_97\":{}", jparams(&hi));
    s.push('}');
    s
}

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

fn table(o: &Opts, d: &Data, r: &Report) -> String {
    let p = r.post.features();
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
    match o.method {
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

// ---------------------------------------------------------------------------------------------
// The loss plot
// ---------------------------------------------------------------------------------------------

/// About `n` round tick values covering [lo, hi], and their spacing.
fn ticks(lo: f64, hi: f64, n: usize) -> (Vec<f64>, f64) {
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    ((first..=last).map(|k| k as f64 * step).collect(), step)
}

/// A tick label: as many decimals as the tick spacing needs; scientific for large or tiny values.
fn tick_label(v: f64, step: f64) -> String {
    let e_step = step.log10().floor() as i32;
    if v == 0.0 {
        return "0".into();
    }
    let e_v = v.abs().log10().floor() as i32;
    if e_v >= 6 || e_step <= -4 {
        let dec = (e_v - e_step).max(0) as usize;
        format!("{v:.dec$e}")
    } else {
        let dec = (-e_step).max(0) as usize;
        format!("{v:.dec$}")
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One panel: axes with ticks and labels and the polyline of `losses` (step `first + k` for
/// entry k), at (x0, y0) with size w × h.
fn panel(svg: &mut String, title: &str, first: usize, losses: &[f64], x0: f64, y0: f64) {
    let (w, h) = (480.0, 360.0);
    let (ml, mr, mt, mb) = (78.0, 14.0, 28.0, 44.0);
    let (px, py, pw, ph) = (x0 + ml, y0 + mt, w - ml - mr, h - mt - mb);
    let n = losses.len();
    let (mut lo, mut hi) = losses
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        let d = if hi == 0.0 { 1.0 } else { 0.5 * hi.abs() };
        lo -= d;
        hi += d;
    }
    let pad = 0.03 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let (xa, xb) = (first as f64, (first + n.max(2) - 1) as f64);
    let sx = |s: f64| px + (s - xa) / (xb - xa) * pw;
    let sy = |v: f64| py + (hi - v) / (hi - lo) * ph;
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"14\">{}</text>",
        px + pw / 2.0,
        y0 + 18.0,
        xml_escape(title)
    );
    let _ = writeln!(
        svg,
        "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{pw:.1}\" height=\"{ph:.1}\" fill=\"none\" \
         stroke=\"black\"/>"
    );
    let (yt, ystep) = ticks(lo, hi, 6);
    for v in yt {
        let y = sy(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{px:.1}\" y2=\"{y:.1}\" stroke=\"black\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            px - 5.0,
            px - 8.0,
            y + 4.0,
            tick_label(v, ystep)
        );
    }
    let (xt, xstep) = ticks(xa, xb, 5);
    for v in xt {
        let x = sx(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            py + ph,
            py + ph + 5.0,
            py + ph + 18.0,
            tick_label(v, xstep.max(1.0))
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">step</text>",
        px + pw / 2.0,
        y0 + h - 8.0
    );
    let (lx, ly) = (x0 + 14.0, py + ph / 2.0);
    let _ = writeln!(
        svg,
        "<text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\" \
         transform=\"rotate(-90 {lx:.1} {ly:.1})\">ELBO loss</text>"
    );
    // At most two points (the extremes, in step order) per horizontal pixel.
    let cols = pw as usize;
    let mut pts = String::new();
    let mut push = |k: usize| {
        let _ = write!(pts, "{:.2},{:.2} ", sx((first + k) as f64), sy(losses[k]));
    };
    if n <= 2 * cols {
        (0..n).for_each(&mut push);
    } else {
        let mut k = 0;
        for c in 0..cols {
            let end = ((c + 1) * n / cols).max(k + 1);
            let (mut kmin, mut kmax) = (k, k);
            for j in k..end {
                if losses[j] < losses[kmin] {
                    kmin = j;
                }
                if losses[j] > losses[kmax] {
                    kmax = j;
                }
            }
            push(kmin.min(kmax));
            if kmin != kmax {
                push(kmin.max(kmax));
            }
            k = end;
        }
    }
    let _ = writeln!(
        svg,
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1\" points=\"{}\"/>",
        pts.trim_end()
    );
}

/// The SVG of the loss trace: the whole run and its last 1000 steps, side by side.
fn plot(losses: &[f64], file: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"400\" \
         viewBox=\"0 0 960 400\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(svg, "<rect width=\"960\" height=\"400\" fill=\"white\"/>");
    let _ = writeln!(
        svg,
        "<text x=\"480\" y=\"18\" text-anchor=\"middle\" font-size=\"15\">SVI loss (−ELBO), {}</text>",
        xml_escape(file)
    );
    let n = losses.len();
    panel(&mut svg, &format!("all {n} steps"), 0, losses, 0.0, 30.0);
    let tail = n.min(PLOT_TAIL);
    panel(
        &mut svg,
        &format!("last {tail} steps"),
        n - tail,
        &losses[n - tail..],
        480.0,
        30.0,
    );
    svg.push_str("</svg>\n");
    svg
}

// ---------------------------------------------------------------------------------------------

fn create(path: &str, option: &str) -> Res<BufWriter<File>> {
    File::create(path)
        .map(BufWriter::new)
        .or_else(|e| input(format!("{option}: cannot create {}: {e}", quote(path))))
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
        ..Config::default()
    };
    if let Err(e) = cfg.validate() {
        return input(format!("invalid settings: {e}"));
    }
    // Outputs are created before the (possibly long) fit, so a bad path fails at once.
    let mut trace = match &o.trace {
        Some(path) => Some((create(path, "--trace")?, path)),
        None => None,
    };
    let plot_out = match &o.plot {
        Some(path) => Some((create(path, "--plot")?, path)),
        None => None,
    };
    let mut d = read_data(o, cfg)?;
    let name = if o.path == "-" { "<stdin>" } else { &o.path };
    let report = match o.method {
        Method::Exact => {
            let rep = d
                .fit
                .solve_exact()
                .map_err(|e| Failure::Run(format!("{name}: the exact solver failed: {e}")))?;
            Report::new(&d.fit, rep.elbo, rep.iterations as u64, None)?
        }
        Method::Svi => {
            let mut losses = Vec::new();
            let mut werr = None;
            if let Some((w, _)) = trace.as_mut() {
                if let Err(e) = writeln!(w, "step,loss") {
                    werr = Some(e);
                }
            }
            let every = if trace.is_some() || plot_out.is_some() {
                1
            } else {
                0
            };
            let run = d.fit.run(o.steps, every, |step, loss| {
                if let Some((w, _)) = trace.as_mut() {
                    if werr.is_none() {
                        if let Err(e) = writeln!(w, "{step},{loss:?}") {
                            werr = Some(e);
                        }
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
                w.write_all(plot(&losses, name).as_bytes())
                    .and_then(|_| w.flush())
                    .map_err(|e| write_failed(path, e))?;
            }
            Report::new(&d.fit, rep.elbo, rep.steps, Some(rep.averaged))?
        }
    };
    Ok(if o.json {
        json(o, &d, &report) + "\n"
    } else {
        table(o, &d, &report)
    })
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let result = match args {
        Err(a) => Err(Failure::Input(format!("argument {a:?} is not valid UTF-8"))),
        Ok(args) => parse_args(&args),
    };
    let result = match result {
        Ok(None) => Ok(USAGE.to_string()),
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
