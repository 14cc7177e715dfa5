//! CSV records streamed from a reader, one line of input at a time.
//!
//! The parsing is csv-core's (RFC 4180: a field that starts with `"` is quoted, `""` inside it is
//! one quote; CRLF, LF or CR line ends; a UTF-8 byte-order mark skipped; empty lines skipped).
//! This module feeds it one line at a time, which gives each record the line it starts on and
//! refuses a quote left open at the end of a line: a quoted field may not span lines, so a stray
//! quote is reported on its own line instead of swallowing the rest of the file into one
//! field. Memory is the read buffer plus the longest line.
//!
//! A line held whole in the buffer with no quote and no carriage return before its line end (a
//! plain line, what nearly every numeric file consists of) skips csv-core: its fields are the
//! bytes between commas, which is what csv-core makes of it, and they are left in the buffer
//! (no copy), undivided until asked for ([`Records::plain`] gives the line to a caller that
//! splits it itself).

use std::io::{self, Read};

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

/// Where the current record's fields are.
#[derive(Clone, Copy, PartialEq)]
enum Held {
    /// In `out`, ended at `ends` (csv-core's output).
    Out,
    /// A plain line, `buf[start..end]` without its line end, not yet divided at its commas.
    Plain { start: usize, end: usize },
    /// A plain line divided: field k ends at `start + ends[k]` in `buf`.
    Split { start: usize },
}

/// A reader of CSV records, blank lines skipped.
pub struct Records<R> {
    input: R,
    /// The read buffer: unread input is `buf[pos..end]`. It grows to hold the longest line.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// How far `buf[pos..end]` is known to hold no line break.
    scanned: usize,
    /// The input has returned end-of-file.
    input_done: bool,
    /// Bytes of the current plain line (its line end included), consumed at the next record.
    pending: usize,
    held: Held,
    /// Made when first needed: most files have no line that is not plain, and making one
    /// costs more than a plain line (a reader per chunk of a file).
    core: Option<Box<csv_core::Reader>>,
    /// The current record's field bytes, back to back (csv-core's output).
    out: Vec<u8>,
    /// The end of each of the current record's fields in `out` (or, split plain lines, from
    /// the line's start).
    ends: Vec<usize>,
    fields: usize,
    /// The line being read, counted from 1.
    line: u64,
    /// Bytes of the current line have been fed but not its line break.
    mid_line: bool,
    /// The input is exhausted (a final line break, if missing, has been fed).
    eof: bool,
}

/// The fields of the current record.
pub struct Fields<'a> {
    bytes: &'a [u8],
    ends: &'a [usize],
    /// Bytes between one field's end and the next one's start: 1 (the comma) in a plain line,
    /// 0 in csv-core's output.
    gap: usize,
}

impl<'a> Fields<'a> {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `k` (from 0), unquoted.
    pub fn get(&self, k: usize) -> &'a [u8] {
        let start = if k == 0 {
            0
        } else {
            self.ends[k - 1] + self.gap
        };
        &self.bytes[start..self.ends[k]]
    }
}

impl Records<io::Empty> {
    /// Records of `bytes`, which start at the start of line `line`: whole lines, but for the
    /// last, which may lack its line break; nothing more is read.
    pub fn of_bytes(bytes: Vec<u8>, line: u64) -> Self {
        let mut r = Records::new(io::empty(), 0);
        r.end = bytes.len();
        r.buf = bytes;
        r.input_done = true;
        r.line = line;
        r
    }

    /// The bytes given to [`Records::of_bytes`], for reuse.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

impl<R: Read> Records<R> {
    /// Records of `bytes` followed by the rest of `input`, from the start of line `line` on,
    /// read `buf_bytes` at a time (the buffer grows to hold `bytes`).
    pub fn resume(input: R, bytes: Vec<u8>, line: u64, buf_bytes: usize) -> Self {
        let mut r = Records::new(input, 0);
        r.end = bytes.len();
        r.buf = bytes;
        if r.buf.len() < buf_bytes {
            r.buf.resize(buf_bytes, 0);
        }
        r.line = line;
        r
    }
}

impl<R> Records<R> {
    /// The input, the bytes read from it but not parsed, and the number of the line they
    /// start, if the record last read ended its line: the rest of the input is then whole
    /// lines, which may be parsed apart from this reader. Otherwise the reader itself.
    pub fn into_rest(mut self: Box<Self>) -> Result<(R, Vec<u8>, u64), Box<Self>> {
        if self.mid_line || self.eof {
            return Err(self);
        }
        self.pos += std::mem::take(&mut self.pending);
        self.buf.copy_within(self.pos..self.end, 0);
        self.buf.truncate(self.end - self.pos);
        Ok((self.input, self.buf, self.line))
    }
}

impl<R: Read> Records<R> {
    /// Records from `input`, from its first line on, read `buf_bytes` at a time (at least the
    /// byte-order mark's 3, so the buffer can hold it).
    pub fn new(input: R, buf_bytes: usize) -> Self {
        Records {
            input,
            buf: vec![0; buf_bytes.max(BOM.len())],
            pos: 0,
            end: 0,
            scanned: 0,
            input_done: false,
            pending: 0,
            held: Held::Out,
            core: None,
            out: vec![0; 1024],
            ends: vec![0; 16],
            fields: 0,
            line: 1,
            mid_line: false,
            eof: false,
        }
    }

    /// Whether the input has been read to its end: what is left of it is in the buffer.
    pub fn exhausted(&self) -> bool {
        self.input_done
    }

    /// Reads the next record that is not one blank field (a line of spaces is skipped like an
    /// empty one). Returns the line it starts on, or `None` at the end of the input; errors
    /// carry the line where they occurred.
    pub fn next_record(&mut self) -> Result<Option<u64>, (u64, ReadError)> {
        self.pos += std::mem::take(&mut self.pending);
        self.held = Held::Out;
        loop {
            if !self.mid_line && !self.eof {
                if let Some(line) = self.plain_line()? {
                    return Ok(Some(line));
                }
                if self.held != Held::Out {
                    // A plain blank line, skipped.
                    self.pos += std::mem::take(&mut self.pending);
                    self.held = Held::Out;
                    continue;
                }
            }
            let Some(line) = self.read_record()? else {
                return Ok(None);
            };
            let f = self.fields();
            if f.len() > 1 || !f.get(0).trim_ascii().is_empty() {
                return Ok(Some(line));
            }
        }
    }

    /// The current record's line without its line end, if it is a plain line not yet divided
    /// into fields (by [`Records::fields`]).
    pub fn plain(&self) -> Option<&[u8]> {
        match self.held {
            Held::Plain { start, end } => Some(&self.buf[start..end]),
            _ => None,
        }
    }

    /// The fields of the record last read.
    pub fn fields(&mut self) -> Fields<'_> {
        if let Held::Plain { start, end } = self.held {
            let line = &self.buf[start..end];
            self.ends.clear();
            self.ends.extend(memchr::memchr_iter(b',', line));
            self.ends.push(line.len());
            self.fields = self.ends.len();
            self.held = Held::Split { start };
        }
        match self.held {
            Held::Split { start } => Fields {
                bytes: &self.buf[start..],
                ends: &self.ends[..self.fields],
                gap: 1,
            },
            _ => Fields {
                bytes: &self.out,
                ends: &self.ends[..self.fields],
                gap: 0,
            },
        }
    }

    /// At the start of a line (a byte-order mark skipped on the first): the line, if it is
    /// plain, held in `buf` (`held`, `pending`) and its number returned unless it is blank (then
    /// `held` is set and `None` returned); `None` with `held` left `Out` if the line is not
    /// plain or not whole in the buffer.
    fn plain_line(&mut self) -> Result<Option<u64>, (u64, ReadError)> {
        let len = self
            .whole_line()
            .map_err(|e| (self.line, ReadError::Io(e)))?;
        if self.line == 1 && self.buf[self.pos..self.end].starts_with(BOM) {
            // The byte-order mark is skipped here rather than by csv-core, which would take a
            // buffer holding only the mark for the end of the input.
            self.pos += BOM.len();
            self.scanned = 0;
            return self.plain_line();
        }
        let Some(len) = len else {
            return Ok(None);
        };
        let start = self.pos;
        let mut end = start + len - 1;
        if end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        let body = &self.buf[start..end];
        if memchr::memchr2(b'"', b'\r', body).is_some() {
            return Ok(None);
        }
        let line = self.line;
        self.line += 1;
        self.pending = len;
        self.held = Held::Plain { start, end };
        if body.trim_ascii().is_empty() {
            return Ok(None);
        }
        Ok(Some(line))
    }

    /// The length of the line at `pos` (its line break included) once `buf` holds it whole,
    /// reading as needed; `None` if the input ends before a line break or the line is longer
    /// than the buffer (csv-core then takes it piece by piece: memory stays bounded even for a
    /// file whose lines end in bare carriage returns).
    fn whole_line(&mut self) -> io::Result<Option<usize>> {
        loop {
            let from = self.pos + self.scanned;
            if let Some(i) = memchr::memchr(b'\n', &self.buf[from..self.end]) {
                self.scanned = 0;
                return Ok(Some(from + i + 1 - self.pos));
            }
            self.scanned = self.end - self.pos;
            if self.input_done {
                return Ok(None);
            }
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
            if self.end == self.buf.len() {
                return Ok(None);
            }
            self.read_more()?;
        }
    }

    /// Reads into the free end of `buf` (which must have room); sets `input_done` at the end.
    fn read_more(&mut self) -> io::Result<()> {
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.input_done = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn read_record(&mut self) -> Result<Option<u64>, (u64, ReadError)> {
        let (mut nout, mut nend) = (0, 0);
        loop {
            // The input up to and including its next line break. At the end of the input a
            // missing final line break is supplied, so the last line is checked like the others,
            // and then csv-core is told the input has ended.
            if self.pos == self.end && !self.input_done && !self.eof {
                self.pos = 0;
                self.end = 0;
                self.scanned = 0;
                self.read_more()
                    .map_err(|e| (self.line, ReadError::Io(e)))?;
            }
            let (buf, from_input): (&[u8], bool) = if self.eof {
                (&[], false)
            } else if self.pos < self.end {
                (&self.buf[self.pos..self.end], true)
            } else if self.mid_line {
                (b"\n", false)
            } else {
                self.eof = true;
                (&[], false)
            };
            if buf.is_empty() && self.core.is_none() {
                // The end of an input whose lines were all plain. A csv-core reader that has
                // read nothing says `End` here too, but making one builds its tables, which
                // costs more than a hundred plain lines (once per chunk of a file).
                return Ok(None);
            }
            let len = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
            let piece = &buf[..len];
            let core = self
                .core
                .get_or_insert_with(|| Box::new(csv_core::Reader::new()));
            let (res, nin, n_out, n_end) =
                core.read_record(piece, &mut self.out[nout..], &mut self.ends[nend..]);
            let ends_line = nin > 0 && nin == len && piece[len - 1] == b'\n';
            if nin > 0 {
                self.mid_line = !ends_line;
            }
            if from_input {
                self.pos += nin;
                self.scanned = 0;
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

    /// Every record of `input`, or the first error as (line, message), read with a buffer of
    /// `cap` bytes.
    fn read_with(input: &[u8], cap: usize) -> Result<Vec<Rec>, (u64, String)> {
        let mut r = Records::new(input, cap);
        let mut all = Vec::new();
        loop {
            match r.next_record() {
                Ok(None) => return Ok(all),
                Ok(Some(line)) => {
                    let f = r.fields();
                    let fields = (0..f.len())
                        .map(|k| String::from_utf8(f.get(k).to_vec()).unwrap())
                        .collect();
                    all.push((line, fields));
                }
                Err((line, e)) => return Err((line, format!("{e:?}"))),
            }
        }
    }

    /// Every record of `input` as [`read_with`] gives them, the same for every buffer size:
    /// small ones make lines straddle refills and go to csv-core piece by piece, large ones
    /// hold plain lines whole.
    fn read(input: &[u8]) -> Result<Vec<Rec>, (u64, String)> {
        let want = read_with(input, 3);
        for cap in [4, 5, 8, 64, 1 << 16] {
            assert_eq!(read_with(input, cap), want, "buffer of {cap} bytes");
        }
        want
    }

    /// Every record of `input` read by csv-core alone (no line is plain), as (line, fields).
    fn read_by_csv_core(input: &[u8]) -> Vec<Rec> {
        let mut core = csv_core::Reader::new();
        let (mut out, mut ends) = (vec![0; 1 << 16], vec![0; 1 << 10]);
        let mut all = Vec::new();
        let mut rest = input.strip_prefix(BOM).unwrap_or(input);
        let (mut nout, mut nend) = (0, 0);
        loop {
            let (res, nin, o, e) = core.read_record(rest, &mut out[nout..], &mut ends[nend..]);
            rest = &rest[nin..];
            nout += o;
            nend += e;
            match res {
                csv_core::ReadRecordResult::Record => {
                    let mut fields = Vec::new();
                    let mut start = 0;
                    for &e in &ends[..nend] {
                        fields.push(String::from_utf8(out[start..e].to_vec()).unwrap());
                        start = e;
                    }
                    if fields.len() > 1 || !fields[0].trim().is_empty() {
                        all.push((0, fields));
                    }
                    (nout, nend) = (0, 0);
                }
                csv_core::ReadRecordResult::End => return all,
                csv_core::ReadRecordResult::InputEmpty => {}
                r => panic!("{r:?}"),
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

    #[test]
    fn plain_lines_split_as_csv_core_does() {
        let input: &[u8] =
            b"\xef\xbb\xbfa, b ,c\r\n1,,3\n\n ,\n\t\n\"q\",2,x\ny\r\n,,\r\n-1.5e3,+2,.5\nlast,1,2";
        let got: Vec<Vec<String>> = read(input).unwrap().into_iter().map(|r| r.1).collect();
        let want: Vec<Vec<String>> = read_by_csv_core(input).into_iter().map(|r| r.1).collect();
        assert_eq!(got, want);
        assert_eq!(got.len(), 8);
    }

    #[test]
    fn bare_carriage_returns_end_records_within_a_line() {
        let got = read(b"a,b\r1,2\r\n3,4\r").unwrap();
        assert_eq!(
            got,
            [
                rec(1, &["a", "b"]),
                rec(1, &["1", "2"]),
                rec(2, &["3", "4"])
            ]
        );
    }

    #[test]
    fn plain_is_the_undivided_line_until_fields_are_asked_for() {
        let mut r = Records::new(&b"x,y\r\n\"1\",2\n3,4\n"[..], 64);
        assert_eq!(r.next_record().unwrap(), Some(1));
        assert_eq!(r.plain(), Some(&b"x,y"[..]));
        assert_eq!(r.fields().len(), 2);
        assert_eq!(r.plain(), None);
        assert_eq!(r.next_record().unwrap(), Some(2));
        assert_eq!(r.plain(), None);
        assert_eq!(r.fields().get(0), b"1");
        assert_eq!(r.next_record().unwrap(), Some(3));
        assert_eq!(r.plain(), Some(&b"3,4"[..]));
        assert_eq!(r.next_record().unwrap(), None);
    }
}
