//! CSV records streamed from a reader, one line of input at a time.
//!
//! The parsing is csv-core's (RFC 4180: a field that starts with `"` is quoted, `""` inside it is
//! one quote; CRLF, LF or CR line ends; a UTF-8 byte-order mark skipped; empty lines skipped).
//! This module feeds it one line at a time, which gives each record the line it starts on and
//! refuses a quote left open at the end of a line: a quoted field may not span lines, so a stray
//! quote is reported on its own line instead of swallowing the rest of the file into one
//! field. Memory is the reader's buffer plus the longest line.

use std::io::{self, BufRead};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Why a record could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The input failed.
    Io(io::Error),
    /// Field `field` (1-based) opened a quote that the line did not close.
    Unterminated {
        /// The field's number, counted from 1.
        field: usize,
    },
}

/// A reader of CSV records, blank lines skipped.
pub struct Records<R> {
    input: R,
    core: csv_core::Reader,
    /// The current record's field bytes, back to back.
    out: Vec<u8>,
    /// The end of each of the current record's fields in `out`.
    ends: Vec<usize>,
    fields: usize,
    /// The line being read, counted from 1.
    line: u64,
    /// Bytes of the current line have been fed but not its line break.
    mid_line: bool,
    /// The input is exhausted (a final line break, if missing, has been fed).
    eof: bool,
}

impl<R: BufRead> Records<R> {
    /// Records from `input`, from its first line on.
    pub fn new(input: R) -> Self {
        Records {
            input,
            core: csv_core::Reader::new(),
            out: vec![0; 1024],
            ends: vec![0; 16],
            fields: 0,
            line: 1,
            mid_line: false,
            eof: false,
        }
    }

    /// Reads the next record that is not one blank field (a line of spaces is skipped like an
    /// empty one). Returns the line it starts on, or `None` at the end of the input; errors
    /// carry the line where they occurred.
    pub fn next_record(&mut self) -> Result<Option<u64>, (u64, ReadError)> {
        loop {
            let Some(line) = self.read_record()? else {
                return Ok(None);
            };
            if self.fields > 1 || !self.field(0).trim_ascii().is_empty() {
                return Ok(Some(line));
            }
        }
    }

    /// The number of fields of the record last read.
    pub fn len(&self) -> usize {
        self.fields
    }

    /// Field `k` (from 0) of the record last read, unquoted.
    pub fn field(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.out[start..self.ends[k]]
    }

    fn read_record(&mut self) -> Result<Option<u64>, (u64, ReadError)> {
        let (mut nout, mut nend) = (0, 0);
        loop {
            // The input up to and including its next line break. At the end of the input a
            // missing final line break is supplied, so the last line is checked like the others,
            // and then csv-core is told the input has ended.
            let (buf, from_input): (&[u8], bool) = if self.eof {
                (&[], false)
            } else {
                match self.input.fill_buf() {
                    Ok([]) if self.mid_line => (b"\n", false),
                    Ok([]) => {
                        self.eof = true;
                        (&[], false)
                    }
                    // The byte-order mark is skipped here rather than by csv-core, which
                    // would take a buffer holding only the mark for the end of the input.
                    Ok(buf) if self.line == 1 && !self.mid_line && buf.starts_with(BOM) => {
                        self.input.consume(BOM.len());
                        continue;
                    }
                    Ok(buf) => (buf, true),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err((self.line, ReadError::Io(e))),
                }
            };
            let len = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
            let piece = &buf[..len];
            let (res, nin, n_out, n_end) =
                self.core
                    .read_record(piece, &mut self.out[nout..], &mut self.ends[nend..]);
            let ends_line = nin > 0 && nin == len && piece[len - 1] == b'\n';
            if nin > 0 {
                self.mid_line = !ends_line;
            }
            if from_input {
                self.input.consume(nin);
            }
            nout += n_out;
            nend += n_end;
            use csv_core::ReadRecordResult as R;
            match res {
                R::InputEmpty => {
                    if ends_line {
                        // A record still open at a line break is inside a quote.
                        if nout > 0 || nend > 0 {
                            return Err((self.line, ReadError::Unterminated { field: nend + 1 }));
                        }
                        self.line += 1;
                    }
                }
                R::OutputFull => {
                    let n = self.out.len();
                    self.out.resize(2 * n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len();
                    self.ends.resize(2 * n, 0);
                }
                R::Record => {
                    let line = self.line;
                    if ends_line {
                        self.line += 1;
                    }
                    self.fields = nend;
                    return Ok(Some(line));
                }
                R::End => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record: its line and fields.
    type Rec = (u64, Vec<String>);

    /// Every record of `input`, or the first error as (line, message).
    fn read(input: &[u8]) -> Result<Vec<Rec>, (u64, String)> {
        // A small buffer, so lines and quoted fields straddle refills.
        let mut r = Records::new(io::BufReader::with_capacity(3, input));
        let mut all = Vec::new();
        loop {
            match r.next_record() {
                Ok(None) => return Ok(all),
                Ok(Some(line)) => {
                    let fields = (0..r.len())
                        .map(|k| String::from_utf8(r.field(k).to_vec()).unwrap())
                        .collect();
                    all.push((line, fields));
                }
                Err((line, e)) => return Err((line, format!("{e:?}"))),
            }
        }
    }

    fn rec(line: u64, fields: &[&str]) -> Rec {
        (line, fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn lines_are_counted_across_blank_lines_and_line_ends() {
        let got = read(b"\xef\xbb\xbfa,b\r\n\r\n  \n1,2\n\n3,4").unwrap();
        assert_eq!(
            got,
            [
                rec(1, &["a", "b"]),
                rec(4, &["1", "2"]),
                rec(6, &["3", "4"])
            ]
        );
        assert_eq!(read(b"").unwrap(), []);
        assert_eq!(read(b"\n\n \r\n").unwrap(), []);
    }

    #[test]
    fn quotes_follow_rfc_4180() {
        let got = read(b"\"x, 1\",\"say \"\"hi\"\"\",\"\"\n").unwrap();
        assert_eq!(got, [rec(1, &["x, 1", "say \"hi\"", ""])]);
    }

    #[test]
    fn a_quote_open_at_a_line_end_is_refused_on_its_line() {
        let err = read(b"a,b\n1,2\n3,\"4\n5,6\n").unwrap_err();
        assert_eq!(err, (3, "Unterminated { field: 2 }".to_string()));
        // At the end of the input, with no final line break too.
        let err = read(b"a,b\n\"1,2").unwrap_err();
        assert_eq!(err, (2, "Unterminated { field: 1 }".to_string()));
    }

    #[test]
    fn long_records_grow_the_buffers() {
        let fields: Vec<String> = (0..100).map(|k| "7".repeat(k * 30)).collect();
        let line = fields.join(",") + "\n";
        let got = read(line.as_bytes()).unwrap();
        assert_eq!(got, [(1, fields)]);
    }
}
