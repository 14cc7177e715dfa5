//! Instruction-count profiling target: 30 000 one-particle steps on seed data (f64 and f32).
//! `valgrind --tool=callgrind target/release/examples/profile_steps [f32]`
use vireg::{Config, Fit, Normal, Synth};
fn go<T: Normal>() {
    let mut s: Synth<T, 8> = Synth::new(8, 42).unwrap();
    let mut f: Fit<T, 8> = Fit::new(8, Config::default()).unwrap();
    let mut x = [T::c(0.0); 8];
    for _ in 0..2500 {
        let y = s.next_row(&mut x).unwrap();
        f.observe(&x, y).unwrap();
    }
    let r = f.run(30_000, 0, |_, _| true).unwrap();
    println!("{:?}", r.elbo);
}
fn main() {
    if std::env::args().any(|a| a == "f32") {
        go::<f32>()
    } else {
        go::<f64>()
    }
}
