//! The data file: its header, the choice of y, and every row folded into a fit as it is read.

use crate::records::{ReadError, Records};
use crate::{quote, Failure, Res, CAP};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use vireg::{Config, Fit};

/// Read buffer: large enough that a refill is rare next to the parsing of what it holds.
const BUF_BYTES: usize = 256 * 1024;

/// The data: a fit with every row folded in, and the column names.
pub struct Data {
    pub fit: Box<Fit<f64, CAP>>,
    pub y_name: String,
    pub features: Vec<String>,
}

/// Reads the CSV at `path` (`-`: standard input), called `name` in messages, row by row into a
/// fit configured by `cfg`, with y the column named `y` or else the last.
pub fn read(path: &str, name: &str, y: Option<&str>, cfg: Config<f64>) -> Res<Data> {
    let input: Box<dyn BufRead> = if path == "-" {
        Box::new(BufReader::with_capacity(BUF_BYTES, io::stdin().lock()))
    } else {
        match File::open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(BUF_BYTES, f)),
            Err(e) => return Err(Failure::Input(format!("{name}: cannot open: {e}"))),
        }
    };
    read_rows(Records::new(input), name, y, cfg)
}

fn read_rows(
    mut rec: Records<impl BufRead>,
    name: &str,
    y: Option<&str>,
    cfg: Config<f64>,
) -> Res<Data> {
    let at = |line: u64, msg: String| Failure::Input(format!("{name}:{line}: {msg}"));
    let next = |rec: &mut Records<_>| {
        rec.next_record().map_err(|(line, e)| match e {
            ReadError::Io(e) => at(line, format!("cannot read: {e}")),
            ReadError::Unterminated { field } => at(
                line,
                format!(
                    "field {field} has an unterminated quote \
                     (line breaks inside quotes are not supported)"
                ),
            ),
        })
    };

    // The header.
    let Some(header_line) = next(&mut rec)? else {
        return Err(Failure::Input(format!(
            "{name}: empty file (expected a header row)"
        )));
    };
    let names = (0..rec.len())
        .map(|k| std::str::from_utf8(rec.field(k)).map(|s| s.trim().to_string()))
        .collect::<Result<Vec<String>, _>>()
        .map_err(|_| at(header_line, "not valid UTF-8".into()))?;
    let cols = names.len();
    if cols < 2 {
        return Err(at(
            header_line,
            format!("the header has {cols} column; need at least 2 (features and y)"),
        ));
    }
    let y_col = match y {
        None => cols - 1,
        Some(want) => {
            let hits: Vec<usize> = (0..cols).filter(|&j| names[j] == want).collect();
            match hits[..] {
                [j] => j,
                [] => {
                    return Err(at(
                        header_line,
                        format!("--y: no column named {} in the header", quote(want)),
                    ))
                }
                _ => {
                    let numbers: Vec<String> = hits.iter().map(|j| (j + 1).to_string()).collect();
                    return Err(at(
                        header_line,
                        format!(
                            "--y: {} names {} columns (numbers {})",
                            quote(want),
                            hits.len(),
                            numbers.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let p = cols - 1;
    if p > CAP {
        return Err(at(
            header_line,
            format!("{p} feature columns, more than the capacity of {CAP}"),
        ));
    }
    let features: Vec<String> = (0..cols)
        .filter(|&j| j != y_col)
        .map(|j| names[j].clone())
        .collect();
    let mut fit = match Fit::<f64, CAP>::new(p, cfg) {
        Ok(f) => Box::new(f),
        Err(e) => return Err(Failure::Input(format!("invalid settings: {e}"))),
    };

    // The rows, folded in by batches. A row refused by the fit is reported before any fault
    // found further on, as if the rows were folded one at a time.
    let mut batch = Batch::new(p);
    let row = |rec: &Records<_>, line: u64, batch: &mut Batch| -> Res<()> {
        if rec.len() != cols {
            return Err(at(
                line,
                format!("expected {cols} fields, found {}", rec.len()),
            ));
        }
        let mut y = 0.0;
        for (j, name) in names.iter().enumerate() {
            let v = number(rec.field(j))
                .map_err(|why| at(line, format!("column {} ({}){why}", j + 1, quote(name))))?;
            if j == y_col {
                y = v;
            } else {
                batch.xs.push(v);
            }
        }
        batch.ys.push(y);
        batch.lines.push(line);
        Ok(())
    };
    let refused = |(line, e): (u64, vireg::Error)| at(line, format!("row refused: {e}"));
    loop {
        let read = match next(&mut rec) {
            Ok(Some(line)) => row(&rec, line, &mut batch),
            Ok(None) => break,
            Err(e) => Err(e),
        };
        if let Err(e) = read {
            batch.fold_into(&mut fit).map_err(refused)?;
            return Err(e);
        }
        if batch.ys.len() == Batch::ROWS {
            batch.fold_into(&mut fit).map_err(refused)?;
        }
    }
    batch.fold_into(&mut fit).map_err(refused)?;
    if fit.stats().rows() == 0 {
        return Err(at(header_line, "no data rows after the header".into()));
    }
    Ok(Data {
        fit,
        y_name: names[y_col].clone(),
        features,
    })
}

/// Rows read but not yet folded into the fit.
struct Batch {
    /// The rows' features, `p` per row.
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// The line of each row.
    lines: Vec<u64>,
}

impl Batch {
    /// Rows per batch: enough that the fit's all-or-nothing copy of its summary, made once per
    /// batch, costs little per row.
    const ROWS: usize = 256;

    fn new(p: usize) -> Self {
        Batch {
            xs: Vec::with_capacity(Self::ROWS * p),
            ys: Vec::with_capacity(Self::ROWS),
            lines: Vec::with_capacity(Self::ROWS),
        }
    }

    /// Folds the rows into `fit` (the same operations, so the same bits, as `Fit::observe` row
    /// by row) and empties the batch; on a refused row, its line and the fit's error.
    fn fold_into(&mut self, fit: &mut Fit<f64, CAP>) -> Result<(), (u64, vireg::Error)> {
        if self.ys.is_empty() {
            return Ok(());
        }
        let p = fit.features();
        fit.observe_rows(&self.xs, p, &self.ys).map_err(|(i, e)| {
            // `i` is the count of rows for a row count past u64 (not reachable from a file).
            (self.lines[i.min(self.lines.len() - 1)], e)
        })?;
        self.xs.clear();
        self.ys.clear();
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
    use super::number;

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
