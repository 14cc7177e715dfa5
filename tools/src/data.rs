//! The data file: its header, the choice of y, and every row folded into a fit as it is read.

use crate::records::{ReadError, Records};
use crate::{quote, Failure, Res, CAP};
use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use vireg::{Config, Family, Fit, Guide};

/// Read buffer: large enough that a refill is rare next to the parsing of what it holds.
const BUF_BYTES: usize = 64 * 1024;

/// The data: a fit (guide family `G`) with every row folded in, and the column names.
pub struct Data<const P: usize, G: Family<f64, P> = Guide<f64, P>> {
    pub fit: Box<Fit<f64, P, G>>,
    pub y_name: String,
    pub features: Vec<String>,
    /// The column of row weights, if any.
    pub weight_name: Option<String>,
}

/// A data file whose header has been read, its rows not yet.
pub struct Header {
    rec: Records<Box<dyn Read + Send>>,
    /// The input's length, when it is a file (an upper bound of what is left to read).
    len: Option<u64>,
    /// The file as messages name it.
    name: String,
    /// The column names, trimmed.
    names: Vec<String>,
    y_col: usize,
    /// The column of row weights, if any.
    w_col: Option<usize>,
    /// The header's line.
    line: u64,
}

/// An error of the reader as the program reports it.
fn read_failure(name: &str, (line, e): (u64, ReadError)) -> Failure {
    let msg = match e {
        ReadError::Io(e) => format!("cannot read: {e}"),
        ReadError::Unterminated { field } => format!(
            "field {field} has an unterminated quote (line breaks inside quotes are not supported)"
        ),
    };
    Failure::Input(format!("{name}:{line}: {msg}"))
}

/// Opens the CSV at `path` (`-`: standard input), called `name` in messages, and reads its
/// header, with the row weights in the column named `weight` if given, and y the column named
/// `y` or else the last one that is not the weights'.
pub fn open(path: &str, name: &str, y: Option<&str>, weight: Option<&str>) -> Res<Header> {
    let (input, len): (Box<dyn Read + Send>, _) = if path == "-" {
        (Box::new(io::stdin()), stdin_len())
    } else {
        match File::open(path) {
            Ok(f) => {
                let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                (Box::new(f), len)
            }
            Err(e) => return Err(Failure::Input(format!("{name}: cannot open: {e}"))),
        }
    };
    let mut h = header(input, name, y, weight)?;
    h.len = len;
    Ok(h)
}

/// The length of standard input when it is a file (`fit - < data.csv`), or `None`.
#[cfg(unix)]
fn stdin_len() -> Option<u64> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then_some(meta.len())
}

/// The length of standard input when it is a file: not asked for on this platform.
#[cfg(not(unix))]
fn stdin_len() -> Option<u64> {
    None
}

/// The one column of `names` named `want`, for the option `option`, or a message.
fn column(names: &[String], want: &str, option: &str) -> Result<usize, String> {
    let hits: Vec<usize> = (0..names.len()).filter(|&j| names[j] == want).collect();
    match hits[..] {
        [j] => Ok(j),
        [] => Err(format!(
            "{option}: no column named {} in the header",
            quote(want)
        )),
        _ => {
            let numbers: Vec<String> = hits.iter().map(|j| (j + 1).to_string()).collect();
            Err(format!(
                "{option}: {} names {} columns (numbers {})",
                quote(want),
                hits.len(),
                numbers.join(", ")
            ))
        }
    }
}

/// Reads the header of the CSV `input`, called `name` in messages; see [`open`].
fn header(
    input: Box<dyn Read + Send>,
    name: &str,
    y: Option<&str>,
    weight: Option<&str>,
) -> Res<Header> {
    let mut rec = Records::new(input, BUF_BYTES);
    let at = |line: u64, msg: String| Failure::Input(format!("{name}:{line}: {msg}"));
    let Some(line) = rec.next_record().map_err(|e| read_failure(name, e))? else {
        return Err(Failure::Input(format!(
            "{name}: empty file (expected a header row)"
        )));
    };
    let fields = rec.fields();
    let names = (0..fields.len())
        .map(|k| std::str::from_utf8(fields.get(k)).map(|s| s.trim().to_string()))
        .collect::<Result<Vec<String>, _>>()
        .map_err(|_| at(line, "not valid UTF-8".into()))?;
    let cols = names.len();
    let w_col = match weight {
        None => None,
        Some(want) => Some(column(&names, want, "--weight").map_err(|m| at(line, m))?),
    };
    let need = 2 + usize::from(w_col.is_some());
    if cols < need {
        let what = if w_col.is_some() {
            "features, y and weights"
        } else {
            "features and y"
        };
        let s = if cols == 1 { "" } else { "s" };
        return Err(at(
            line,
            format!("the header has {cols} column{s}; need at least {need} ({what})"),
        ));
    }
    let y_col = match y {
        None => (0..cols)
            .rev()
            .find(|&j| Some(j) != w_col)
            .expect("cols ≥ 2"),
        Some(want) => column(&names, want, "--y").map_err(|m| at(line, m))?,
    };
    if w_col == Some(y_col) {
        return Err(at(
            line,
            format!("--weight: {} is the y column", quote(&names[y_col])),
        ));
    }
    let p = cols - need + 1;
    if p > CAP {
        return Err(at(
            line,
            format!("{p} feature columns, more than the capacity of {CAP}"),
        ));
    }
    Ok(Header {
        rec,
        len: None,
        name: name.to_string(),
        names,
        y_col,
        w_col,
        line,
    })
}

impl Header {
    /// The number of features (columns other than y and the weights).
    pub fn features(&self) -> usize {
        self.names.len() - 1 - usize::from(self.w_col.is_some())
    }

    /// Reads every row into a fit of capacity `P` (at least the number of features)
    /// configured by `cfg`. One thread cuts the text into chunks of whole lines, one per core
    /// parses them, and this one folds their rows in, in the file's order (so the fit is the
    /// one of a single thread, bit for bit). A small input is read by this thread alone.
    pub fn read<const P: usize, G: Family<f64, P>>(self, cfg: Config<f64>) -> Res<Data<P, G>> {
        // Threads pay for themselves only on a larger input: starting them, handing chunks and
        // batches between them and faulting in each chunk's fresh buffer cost more CPU time
        // than a file of a few hundred kilobytes takes to parse, and such a file is one or two
        // chunks, so at most two threads parse it anyway. On this project's 2-core VM a 1 MB
        // file (5 900 rows × 9) read by one thread took less wall time and about half the CPU
        // time; at 2 MB the threads saved ~10% of the wall time for ~50% more CPU time
        // (BENCHMARKS.md, the CSV fitter). A file of at most `SMALL_BYTES`, or an input whose
        // first read reached its end, is read by the header's reader alone, streaming through
        // its one buffer.
        let small = self.len.is_some_and(|n| n <= SMALL_BYTES) || self.rec.exhausted();
        if small {
            return self.read_with::<P, G>(cfg, 0, CUT);
        }
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        self.read_with::<P, G>(cfg, workers, CUT)
    }

    /// [`Header::read`] with `workers` parsing threads and chunks cut as `cut` says, or with
    /// none (0): this thread reads and folds the rows, the same way.
    fn read_with<const P: usize, G: Family<f64, P>>(
        self,
        cfg: Config<f64>,
        workers: usize,
        cut: Cut,
    ) -> Res<Data<P, G>> {
        let Header {
            mut rec,
            len: _,
            name,
            names,
            y_col,
            w_col,
            line: header_line,
        } = self;
        let at = |line: u64, msg: String| Failure::Input(format!("{name}:{line}: {msg}"));
        let cols = names.len();
        let features: Vec<String> = (0..cols)
            .filter(|&j| j != y_col && Some(j) != w_col)
            .map(|j| names[j].clone())
            .collect();
        let p = features.len();
        let mut fit = match Fit::<f64, P, G>::new(p, cfg) {
            Ok(f) => Box::new(f),
            Err(e) => return Err(Failure::Input(format!("invalid settings: {e}"))),
        };
        // A row refused by the fit is reported before any fault found further on, as if the
        // rows were folded one at a time: each job's rows come before its fault, and jobs are
        // folded in the file's order.
        let refused = |(line, e): (u64, vireg::Error)| at(line, format!("row refused: {e}"));
        let cols_of = Roles { y: y_col, w: w_col };
        // This thread's part, however the rows were parsed: a batch folded in (a refused row
        // ends the reading with its message), a fault ends it; `Ok(false)` at a job's end.
        let mut take = |parsed: Parsed| -> Res<bool> {
            match parsed {
                Parsed::Rows(mut batch) => {
                    batch.fold_into(&mut fit).map_err(refused).map(|()| true)
                }
                Parsed::Fault(f) => Err(f),
                Parsed::Done => Ok(false),
            }
        };
        if workers == 0 {
            let mut fault = None;
            parse_rows(&mut rec, &name, &names, cols_of, &mut |parsed| {
                take(parsed).unwrap_or_else(|f| {
                    fault = Some(f);
                    false
                })
            });
            if let Some(f) = fault {
                return Err(f);
            }
        } else {
            std::thread::scope(|s| {
                let (name, names) = (&name[..], &names[..]);
                let (spare_tx, spare_rx) = mpsc::channel();
                let mut jobs = Vec::new();
                let mut results = Vec::new();
                for _ in 0..workers {
                    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(1);
                    let (res_tx, res_rx) = mpsc::sync_channel(2);
                    let spare_tx = spare_tx.clone();
                    s.spawn(move || {
                        let send = &mut |parsed| res_tx.send(parsed).is_ok();
                        for job in job_rx {
                            let go_on = match job {
                                Job::Chunk { bytes, line } => {
                                    let mut rec = Records::of_bytes(bytes, line);
                                    let go_on = parse_rows(&mut rec, name, names, cols_of, send);
                                    let _ = spare_tx.send(rec.into_bytes());
                                    go_on
                                }
                                Job::Rest(mut rec) => {
                                    parse_rows(&mut rec, name, names, cols_of, send)
                                }
                            };
                            if !go_on || res_tx.send(Parsed::Done).is_err() {
                                return;
                            }
                        }
                    });
                    jobs.push(job_tx);
                    results.push(res_rx);
                }
                drop(spare_tx);
                s.spawn(move || split(Box::new(rec), cut, &jobs, &spare_rx));
                // Job k went to worker k mod workers; a worker whose channel closes has no job k.
                for k in 0.. {
                    loop {
                        match results[k % workers].recv() {
                            Ok(parsed) => {
                                if !take(parsed)? {
                                    break;
                                }
                            }
                            Err(_) => return Ok(()),
                        }
                    }
                }
                Ok(())
            })?;
        }
        if fit.stats().rows() == 0 {
            let what = if w_col.is_some() {
                "no data rows of positive weight after the header"
            } else {
                "no data rows after the header"
            };
            return Err(at(header_line, what.into()));
        }
        Ok(Data {
            fit,
            y_name: names[y_col].clone(),
            features,
            weight_name: w_col.map(|j| names[j].clone()),
        })
    }
}

/// Text to parse: whole lines from line `line` on, or a reader to parse to its end.
enum Job {
    Chunk { bytes: Vec<u8>, line: u64 },
    Rest(Box<Records<Box<dyn Read + Send>>>),
}

/// What a parsing thread sends for a job: rows, then the fault that stopped it or `Done`.
enum Parsed {
    Rows(Batch),
    Fault(Failure),
    Done,
}

/// Chunks of text to parse: about this many bytes of whole lines.
const CHUNK_BYTES: usize = 256 * 1024;

/// An input no longer than this is read by one thread (see [`Header::read`]).
const SMALL_BYTES: u64 = 1024 * 1024;

/// How the text is cut into chunks by [`Header::read`].
const CUT: Cut = Cut {
    chunk: CHUNK_BYTES,
    long_line: LONG_LINE,
};

/// A line longer than this (e.g. in a file whose lines end in bare carriage returns) stops the
/// cutting into chunks: the rest of the file is parsed as one job, by one reader that holds
/// a line piece by piece.
const LONG_LINE: usize = 4 * 1024 * 1024;

/// How the text is cut into chunks.
#[derive(Clone, Copy)]
struct Cut {
    /// The least length of a chunk but the last (it ends at the first line end from there).
    chunk: usize,
    /// The length at which a chunk with no line end gives up cutting (see [`LONG_LINE`]).
    long_line: usize,
}

/// Cuts the rest of `rec`'s input into chunks of whole lines sent to the workers in turn (job
/// k to worker k mod n), with the number of each chunk's first line; or, if `rec` stopped
/// inside a line or a line is too long, sends what is left as one job. Chunk buffers come
/// back through `spare`.
fn split(
    rec: Box<Records<Box<dyn Read + Send>>>,
    cut: Cut,
    jobs: &[SyncSender<Job>],
    spare: &Receiver<Vec<u8>>,
) {
    let (mut input, mut carry, mut line) = match rec.into_rest() {
        Ok(rest) => rest,
        Err(rec) => {
            let _ = jobs[0].send(Job::Rest(rec));
            return;
        }
    };
    let mut eof = false;
    for k in 0.. {
        let job = &jobs[k % jobs.len()];
        let mut buf = spare.try_recv().unwrap_or_default();
        buf.clear();
        buf.append(&mut carry);
        // Whole lines, at least `cut.chunk` bytes of them unless the input ends first.
        let end = loop {
            if eof {
                break buf.len();
            }
            if buf.len() >= cut.chunk {
                if let Some(i) = memchr::memrchr(b'\n', &buf) {
                    break i + 1;
                }
                if buf.len() >= cut.long_line {
                    let rec = Records::resume(input, buf, line, cut.chunk);
                    let _ = job.send(Job::Rest(Box::new(rec)));
                    return;
                }
            }
            let want = cut.chunk.max(buf.len() / 2) as u64;
            match (&mut input).take(want).read_to_end(&mut buf) {
                Ok(0) => eof = true,
                Ok(_) => {}
                Err(_) => {
                    // The reader reports the error at the line where it happens.
                    let rec = Records::resume(input, buf, line, cut.chunk);
                    let _ = job.send(Job::Rest(Box::new(rec)));
                    return;
                }
            }
        };
        if buf.is_empty() {
            return;
        }
        carry.extend_from_slice(&buf[end..]);
        buf.truncate(end);
        let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
        if job.send(Job::Chunk { bytes: buf, line }).is_err() {
            return;
        }
        line += lines;
    }
}

/// The columns that are not features: y's, and the row weights' if any.
#[derive(Clone, Copy)]
struct Roles {
    y: usize,
    w: Option<usize>,
}

/// Reads and parses the rows of `rec` into batches given to `out`, the last one possibly
/// partial, followed by the first fault if there is one; `out` says whether it takes more.
/// Whether to go on: no fault, and `out` takes more.
fn parse_rows<R: Read>(
    rec: &mut Records<R>,
    name: &str,
    names: &[String],
    roles: Roles,
    out: &mut impl FnMut(Parsed) -> bool,
) -> bool {
    let cols = names.len();
    let y_col = roles.y;
    // `usize::MAX`: no column is the weights'.
    let w_col = roles.w.unwrap_or(usize::MAX);
    let weighted = roles.w.is_some();
    let p = cols - 1 - usize::from(weighted);
    let at = |line: u64, msg: String| Failure::Input(format!("{name}:{line}: {msg}"));
    let row = |rec: &mut Records<R>, line: u64, batch: &mut Batch| -> Res<()> {
        if let Some((y, w)) = rec
            .plain()
            .and_then(|l| plain_row(l, cols, y_col, w_col, &mut batch.xs))
        {
            batch.ys.push(y);
            if weighted {
                batch.ws.push(w);
            }
            batch.lines.push(line);
            return Ok(());
        }
        let fields = rec.fields();
        if fields.len() != cols {
            return Err(at(
                line,
                format!("expected {cols} fields, found {}", fields.len()),
            ));
        }
        let (mut y, mut w) = (0.0, 1.0);
        let start = batch.xs.len();
        for (j, name) in names.iter().enumerate() {
            let v = number(fields.get(j)).and_then(|v| {
                if j == w_col && v < 0.0 {
                    Err(format!(": {v} is negative"))
                } else {
                    Ok(v)
                }
            });
            let v = v.map_err(|why| {
                batch.xs.truncate(start);
                let also = if j == w_col {
                    " (a row weight must be finite and >= 0)"
                } else {
                    ""
                };
                at(
                    line,
                    format!("column {} ({}){why}{also}", j + 1, quote(name)),
                )
            })?;
            if j == y_col {
                y = v;
            } else if j == w_col {
                w = v;
            } else {
                batch.xs.push(v);
            }
        }
        batch.ys.push(y);
        if weighted {
            batch.ws.push(w);
        }
        batch.lines.push(line);
        Ok(())
    };
    let mut batch = Batch::new(p, weighted);
    loop {
        let read = match rec.next_record() {
            Ok(Some(line)) => row(rec, line, &mut batch),
            Ok(None) => break,
            Err(e) => Err(read_failure(name, e)),
        };
        if let Err(e) = read {
            if out(Parsed::Rows(batch)) {
                out(Parsed::Fault(e));
            }
            return false;
        }
        if batch.ys.len() == Batch::ROWS {
            let full = std::mem::replace(&mut batch, Batch::new(p, weighted));
            if !out(Parsed::Rows(full)) {
                return false;
            }
        }
    }
    out(Parsed::Rows(batch))
}

/// A plain line's row when every field is a finite number written without surrounding space,
/// as most files are, and the weight in column `w_col` (if there is one) is not negative: its
/// y and weight (1 without a weight column), its features appended to `xs`. `None`, with `xs`
/// as it was, for anything else, which the general path then reads (and reports) field by
/// field. The number at the start of each field is read by the parser `number` uses, and the
/// field is taken only if the number ends where the field does, so the value is `number`'s.
#[inline]
fn plain_row(
    line: &[u8],
    cols: usize,
    y_col: usize,
    w_col: usize,
    xs: &mut Vec<f64>,
) -> Option<(f64, f64)> {
    let before = xs.len();
    let mut rest = line;
    let (mut y, mut w) = (0.0, 1.0);
    for j in 0..cols {
        let parsed = fast_float2::parse_partial::<f64, _>(rest)
            .ok()
            .filter(|(v, _)| v.is_finite());
        let Some((v, n)) = parsed else {
            xs.truncate(before);
            return None;
        };
        rest = &rest[n..];
        let ends_right = if j + 1 < cols {
            match rest.split_first() {
                Some((b',', tail)) => {
                    rest = tail;
                    true
                }
                _ => false,
            }
        } else {
            rest.is_empty()
        };
        if !ends_right {
            xs.truncate(before);
            return None;
        }
        if j == y_col {
            y = v;
        } else if j == w_col {
            if v < 0.0 {
                xs.truncate(before);
                return None;
            }
            w = v;
        } else {
            xs.push(v);
        }
    }
    Some((y, w))
}

/// Rows read but not yet folded into the fit.
struct Batch {
    /// The rows' features, `p` per row.
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// The rows' weights, when the file has a weight column (else empty).
    ws: Vec<f64>,
    /// Whether the file has a weight column.
    weighted: bool,
    /// The line of each row.
    lines: Vec<u64>,
}

impl Batch {
    /// Rows per batch: enough that the fit's all-or-nothing copy of its summary, made once per
    /// batch, and the handing of a batch from one thread to the other cost little per row.
    const ROWS: usize = 1024;

    fn new(p: usize, weighted: bool) -> Self {
        Batch {
            xs: Vec::with_capacity(Self::ROWS * p),
            ys: Vec::with_capacity(Self::ROWS),
            ws: Vec::with_capacity(if weighted { Self::ROWS } else { 0 }),
            weighted,
            lines: Vec::with_capacity(Self::ROWS),
        }
    }

    /// Folds the rows into `fit` (the same operations, so the same bits, as `Fit::observe` or,
    /// with weights, `Fit::observe_weighted` row by row) and empties the batch; on a refused
    /// row, its line and the fit's error.
    fn fold_into<const P: usize, G: Family<f64, P>>(
        &mut self,
        fit: &mut Fit<f64, P, G>,
    ) -> Result<(), (u64, vireg::Error)> {
        if self.ys.is_empty() {
            return Ok(());
        }
        let p = fit.features();
        let folded = if self.weighted {
            fit.observe_rows_weighted(&self.xs, p, &self.ys, &self.ws)
        } else {
            fit.observe_rows(&self.xs, p, &self.ys)
        };
        folded.map_err(|(i, e)| {
            // `i` is the count of rows for a row count past u64 (not reachable from a file).
            (self.lines[i.min(self.lines.len() - 1)], e)
        })?;
        self.xs.clear();
        self.ys.clear();
        self.ws.clear();
        self.lines.clear();
        Ok(())
    }
}

/// A field's finite number, or the rest of a message that names its column: surrounding spaces
/// are ignored, and the syntax is Rust's `f64::from_str` (correctly rounded, so a value written
/// with round-trip digits is read back to the same bits).
fn number(field: &[u8]) -> Result<f64, String> {
    let f = field.trim_ascii();
    if f.is_empty() {
        return Err(" is empty".into());
    }
    match fast_float2::parse::<f64, _>(f) {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!(
            ": {} is not finite",
            quote(&String::from_utf8_lossy(f))
        )),
        Err(_) => match std::str::from_utf8(f) {
            Ok(s) => Err(format!(": {} is not a number", quote(s))),
            Err(_) => Err(": not valid UTF-8".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vireg::Synth;

    fn message(f: Failure) -> String {
        match f {
            Failure::Input(m) | Failure::Run(m) => m,
        }
    }

    /// The fit of `text`, with the row weights in the column named `weight`, read with
    /// `workers` threads, cut as `cut` says, or the error message.
    fn read_weighted(
        text: &[u8],
        weight: Option<&str>,
        workers: usize,
        cut: Cut,
    ) -> Result<Data<8>, String> {
        let input = Box::new(io::Cursor::new(text.to_vec()));
        header(input, "t.csv", None, weight)
            .and_then(|h| h.read_with::<8, Guide<f64, 8>>(Config::default(), workers, cut))
            .map_err(message)
    }

    /// Every way of reading `text` that the tests try: by this thread alone (as a small file
    /// is read), or with one to three workers, chunks of one line to the whole file, and a
    /// line-length limit that gives up cutting at once or never.
    fn each_reading(text: &[u8]) -> Vec<(String, Result<Data<8>, String>)> {
        each_weighted_reading(text, None)
    }

    /// [`each_reading`] with the row weights in the column named `weight`.
    fn each_weighted_reading(
        text: &[u8],
        weight: Option<&str>,
    ) -> Vec<(String, Result<Data<8>, String>)> {
        let alone = read_weighted(text, weight, 0, CUT);
        let mut all = vec![("this thread alone".to_string(), alone)];
        for workers in [1, 2, 3] {
            for chunk in [1, 7, 64, 1000, 1 << 20] {
                for long_line in [1, 1 << 20] {
                    let cut = Cut { chunk, long_line };
                    let how = format!("{workers} workers, chunks {chunk}, long lines {long_line}");
                    all.push((how, read_weighted(text, weight, workers, cut)));
                }
            }
        }
        all
    }

    /// `rows` rows of 3 features, the text of each in shortest round-trip form.
    fn rows(n: usize) -> Vec<[String; 4]> {
        let mut s: Synth<f64, 8> = Synth::new(3, 5).unwrap();
        (0..n)
            .map(|_| {
                let mut x = [0.0; 3];
                let y = s.next_row(&mut x).unwrap();
                [x[0], x[1], x[2], y].map(|v| format!("{v:?}"))
            })
            .collect()
    }

    #[test]
    fn plain_rows_are_only_what_number_reads_alike() {
        let mut xs = vec![9.0];
        assert_eq!(
            plain_row(b"1.5,-2e3,+.5", 3, 1, usize::MAX, &mut xs),
            Some((-2000.0, 1.0))
        );
        assert_eq!(xs, [9.0, 1.5, 0.5]);
        assert_eq!(
            plain_row(b"1.5,-2e3,0.25,+.5", 4, 1, 2, &mut xs),
            Some((-2000.0, 0.25))
        );
        assert_eq!(xs, [9.0, 1.5, 0.5, 1.5, 0.5]);
        xs.truncate(3);
        assert_eq!(plain_row(b"1.5,-2e3,-0.25,+.5", 4, 1, 2, &mut xs), None);
        for bad in [
            &b"1,2"[..],
            b"1,2,3,4",
            b"1,2,3,",
            b"1, 2,3",
            b"1,2 ,3",
            b"1,,3",
            b"1,2e,3",
            b"1,0x1,3",
            b"1,inf,3",
            b"1,nan,3",
            b"1,1e999,3",
        ] {
            let text = String::from_utf8_lossy(bad);
            assert_eq!(plain_row(bad, 3, 1, usize::MAX, &mut xs), None, "{text}");
            assert_eq!(xs, [9.0, 1.5, 0.5], "{text}");
        }
    }

    #[test]
    fn chunks_are_folded_as_one_reader_folds_the_rows() {
        let rows = rows(300);
        let mut want: Fit<f64, 8> = Fit::new(3, Config::default()).unwrap();
        let mut text = b"x0,x1,x2,y\n".to_vec();
        for (i, r) in rows.iter().enumerate() {
            let v: Vec<f64> = r.iter().map(|f| f.parse().unwrap()).collect();
            want.observe(&v[..3], v[3]).unwrap();
            // Lines that csv-core reads, blank lines and CRLF among the plain ones.
            let line = match i % 7 {
                0 => format!("\"{}\",{},{},{}\n", r[0], r[1], r[2], r[3]),
                1 => format!("{},{},{},{}\r\n", r[0], r[1], r[2], r[3]),
                2 => format!(" {} ,{},{},{}\n\n  \n", r[0], r[1], r[2], r[3]),
                _ => format!("{},{},{},{}\n", r[0], r[1], r[2], r[3]),
            };
            text.extend_from_slice(line.as_bytes());
        }
        // No line break at the end.
        text.pop();
        for (how, got) in each_reading(&text) {
            let got = got.unwrap_or_else(|e| panic!("{how}: {e}"));
            assert!(got.fit.stats() == want.stats(), "{how}");
            assert_eq!(got.fit.stats().rows(), 300, "{how}");
        }
    }

    #[test]
    fn weighted_rows_are_folded_as_one_reader_folds_them() {
        let rows = rows(300);
        let mut want: Fit<f64, 8> = Fit::new(3, Config::default()).unwrap();
        let mut text = b"x0,w,x1,x2,y\n".to_vec();
        for (i, r) in rows.iter().enumerate() {
            let v: Vec<f64> = r.iter().map(|f| f.parse().unwrap()).collect();
            let w = (i % 5) as f64 * 0.75;
            want.observe_weighted(&v[..3], v[3], w).unwrap();
            // Quoted lines take the general path, the others the plain one.
            let line = match i % 3 {
                0 => format!("{},\"{w:?}\",{},{},{}\n", r[0], r[1], r[2], r[3]),
                _ => format!("{},{w:?},{},{},{}\n", r[0], r[1], r[2], r[3]),
            };
            text.extend_from_slice(line.as_bytes());
        }
        for (how, got) in each_weighted_reading(&text, Some("w")) {
            let got = got.unwrap_or_else(|e| panic!("{how}: {e}"));
            assert!(got.fit.stats() == want.stats(), "{how}");
            assert_eq!(got.features, ["x0", "x1", "x2"], "{how}");
            assert_eq!(got.weight_name.as_deref(), Some("w"), "{how}");
        }
        // A negative weight on a plain line is reported as on any other.
        let at = text.len() / 2 + memchr::memchr(b'\n', &text[text.len() / 2..]).unwrap() + 1;
        let line = 1 + text[..at].iter().filter(|&&b| b == b'\n').count();
        let text = [&text[..at], b"1,-0.5,2,3,4\n", &text[at..]].concat();
        let want = format!(
            "t.csv:{line}: column 2 (\"w\"): -0.5 is negative (a row weight must be finite and >= 0)"
        );
        for (how, got) in each_weighted_reading(&text, Some("w")) {
            assert_eq!(got.err().as_deref(), Some(&want[..]), "{how}");
        }
    }

    #[test]
    fn faults_name_their_line_in_any_chunk() {
        let rows = rows(200);
        let mut text = b"x0,x1,x2,y\r\n\n".to_vec();
        for (i, r) in rows.iter().enumerate() {
            let x1 = if i == 150 { "abc" } else { &r[1] };
            let blank = if i % 10 == 0 { "\n" } else { "" };
            let line = format!("{},{x1},{},{}\n{blank}", r[0], r[2], r[3]);
            text.extend_from_slice(line.as_bytes());
        }
        // Line 1 the header, line 2 blank, row i on line 3 + i + ceil(i / 10).
        let want = "t.csv:168: column 2 (\"x1\"): \"abc\" is not a number";
        for (how, got) in each_reading(&text) {
            assert_eq!(got.err().as_deref(), Some(want), "{how}");
        }
        // A row refused by the fit is reported before a fault further on.
        let bad = text.len() / 2 + memchr::memchr(b'\n', &text[text.len() / 2..]).unwrap() + 1;
        let text = [&text[..bad], b"1,2,3,1e300\n", &text[bad..]].concat();
        let line = 1 + text[..bad].iter().filter(|&&b| b == b'\n').count();
        for (how, got) in each_reading(&text) {
            let e = got.err().unwrap_or_default();
            assert!(
                e.starts_with(&format!("t.csv:{line}: row refused")),
                "{how}: {e}"
            );
        }
    }

    #[test]
    fn lines_ended_by_carriage_returns_are_read_whole() {
        let rows = rows(50);
        let mut want: Fit<f64, 8> = Fit::new(3, Config::default()).unwrap();
        let mut text = b"x0,x1,x2,y\r".to_vec();
        for r in &rows {
            let v: Vec<f64> = r.iter().map(|f| f.parse().unwrap()).collect();
            want.observe(&v[..3], v[3]).unwrap();
            text.extend_from_slice(format!("{}\r", r.join(",")).as_bytes());
        }
        for (how, got) in each_reading(&text) {
            let got = got.unwrap_or_else(|e| panic!("{how}: {e}"));
            assert!(got.fit.stats() == want.stats(), "{how}");
        }
        // Every record is on line 1.
        text.extend_from_slice(b"1,2\r");
        for (how, got) in each_reading(&text) {
            let e = got.err().unwrap_or_default();
            assert_eq!(e, "t.csv:1: expected 4 fields, found 2", "{how}");
        }
    }

    #[test]
    fn numbers_parse_as_rust_does() {
        for s in [
            "0",
            "-0",
            "1",
            "+1.5",
            ".5",
            "5.",
            "1e3",
            "1E-3",
            "0.1",
            "2.5e-308",
            "4.9e-324",
            "1.7976931348623157e308",
            "123456789012345678901234567890",
            "0.30000000000000004",
        ] {
            let want: f64 = s.parse().unwrap();
            let got = number(s.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{s}");
        }
        assert_eq!(number(b"  7 \t").unwrap(), 7.0);
        for (s, why) in [
            ("", "is empty"),
            ("  ", "is empty"),
            ("abc", "not a number"),
            ("1e", "not a number"),
            ("1,5", "not a number"),
            ("0x10", "not a number"),
            ("inf", "not finite"),
            ("-Infinity", "not finite"),
            ("NaN", "not finite"),
            ("1e999", "not finite"),
        ] {
            let err = number(s.as_bytes()).unwrap_err();
            assert!(err.contains(why), "{s:?}: {err}");
        }
        assert!(number(b"1\xff").unwrap_err().contains("UTF-8"));
    }
}
