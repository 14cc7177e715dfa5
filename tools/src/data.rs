//! The data file: its header, the choice of y, and every row folded into a fit as it is read.

use crate::records::{ReadError, Records};
use crate::{quote, Failure, Res, CAP};
use std::fs::File;
use std::io::{self, Read};
use vireg::{Config, Fit};

/// Read buffer: large enough that a refill is rare next to the parsing of what it holds.
const BUF_BYTES: usize = 256 * 1024;

/// The data: a fit with every row folded in, and the column names.
pub struct Data<const P: usize> {
    pub fit: Box<Fit<f64, P>>,
    pub y_name: String,
    pub features: Vec<String>,
}

/// A data file whose header has been read, its rows not yet.
pub struct Header {
    rec: Records<Box<dyn Read>>,
    /// The file as messages name it.
    name: String,
    /// The column names, trimmed.
    names: Vec<String>,
    y_col: usize,
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
/// header, with y the column named `y` or else the last.
pub fn open(path: &str, name: &str, y: Option<&str>) -> Res<Header> {
    let input: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        match File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => return Err(Failure::Input(format!("{name}: cannot open: {e}"))),
        }
    };
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
    if cols < 2 {
        return Err(at(
            line,
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
                        line,
                        format!("--y: no column named {} in the header", quote(want)),
                    ))
                }
                _ => {
                    let numbers: Vec<String> = hits.iter().map(|j| (j + 1).to_string()).collect();
                    return Err(at(
                        line,
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
            line,
            format!("{p} feature columns, more than the capacity of {CAP}"),
        ));
    }
    Ok(Header {
        rec,
        name: name.to_string(),
        names,
        y_col,
        line,
    })
}

impl Header {
    /// The number of features (columns other than y).
    pub fn features(&self) -> usize {
        self.names.len() - 1
    }

    /// Reads every row into a fit of capacity `P` (at least the number of features)
    /// configured by `cfg`.
    pub fn read<const P: usize>(self, cfg: Config<f64>) -> Res<Data<P>> {
        let Header {
            mut rec,
            name,
            names,
            y_col,
            line: header_line,
        } = self;
        let name = &name[..];
        let at = |line: u64, msg: String| Failure::Input(format!("{name}:{line}: {msg}"));
        let cols = names.len();
        let p = cols - 1;
        let features: Vec<String> = (0..cols)
            .filter(|&j| j != y_col)
            .map(|j| names[j].clone())
            .collect();
        let mut fit = match Fit::<f64, P>::new(p, cfg) {
            Ok(f) => Box::new(f),
            Err(e) => return Err(Failure::Input(format!("invalid settings: {e}"))),
        };

        // The rows, folded in by batches. A row refused by the fit is reported before any
        // fault found further on, as if the rows were folded one at a time.
        let mut batch = Batch::new(p);
        let row = |rec: &mut Records<_>, line: u64, batch: &mut Batch| -> Res<()> {
            if let Some(y) = rec
                .plain()
                .and_then(|l| plain_row(l, cols, y_col, &mut batch.xs))
            {
                batch.ys.push(y);
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
            let mut y = 0.0;
            for (j, name) in names.iter().enumerate() {
                let v = number(fields.get(j))
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
            let read = match rec.next_record() {
                Ok(Some(line)) => row(&mut rec, line, &mut batch),
                Ok(None) => break,
                Err(e) => Err(read_failure(name, e)),
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
}

/// A plain line's row when every field is a finite number written without surrounding space,
/// as most files are: its y, its features appended to `xs`. `None`, with `xs` as it was, for
/// anything else, which the general path then reads (and reports) field by field. The number
/// at the start of each field is read by the parser `number` uses, and the field is taken
/// only if the number ends where the field does, so the value is `number`'s.
#[inline]
fn plain_row(line: &[u8], cols: usize, y_col: usize, xs: &mut Vec<f64>) -> Option<f64> {
    let before = xs.len();
    let mut rest = line;
    let mut y = 0.0;
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
        } else {
            xs.push(v);
        }
    }
    Some(y)
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
    fn fold_into<const P: usize>(
        &mut self,
        fit: &mut Fit<f64, P>,
    ) -> Result<(), (u64, vireg::Error)> {
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
