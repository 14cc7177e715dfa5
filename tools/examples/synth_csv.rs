//! Writes `vireg::Synth` rows as a CSV for the fitter's benchmarks (BENCHMARKS.md): a header
//! `x0,…,x{P-1},y`, then N rows, each value in shortest round-trip form (read back exactly).
//!
//! ```text
//! cargo run --release -p vireg-tools --example synth_csv -- P N SEED > data.csv
//! ```

use std::io::{BufWriter, Write};
use vireg::Synth;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("usage: synth_csv P N SEED"))
        .collect();
    let [p, n, seed] = args[..] else {
        panic!("usage: synth_csv P N SEED");
    };
    let p = p as usize;
    let mut synth: Synth<f64, 64> = Synth::new(p, seed).expect("P must be 1..=64");
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut header: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    header.push("y".into());
    writeln!(out, "{}", header.join(",")).expect("write");
    let mut x = vec![0.0; p];
    for _ in 0..n {
        let y = synth.next_row(&mut x).expect("a row");
        for v in &x {
            write!(out, "{v:?},").expect("write");
        }
        writeln!(out, "{y:?}").expect("write");
    }
    out.flush().expect("write");
}
