//! Profiling target: 2500 seed rows and 30 000 one-particle steps (f64, or f32 with `f32`).
//! `valgrind --tool=callgrind target/release/examples/profile_steps [f32]` counts instructions;
//! with `time`, the workload is repeated and the fastest run's wall time is printed.
use std::time::Instant;
use vireg::{Config, Fit, Normal, Synth};
fn go<T: Normal>() -> T {
    let mut s: Synth<T, 8> = Synth::new(8, 42).unwrap();
    let mut f: Fit<T, 8> = Fit::new(8, Config::default()).unwrap();
    let mut x = [T::c(0.0); 8];
    for _ in 0..2500 {
        let y = s.next_row(&mut x).unwrap();
        f.observe(&x, y).unwrap();
    }
    f.run(30_000, 0, |_, _| true).unwrap().elbo
}
fn run<T: Normal>(time: bool) {
    if !time {
        println!("{:?}", go::<T>());
        return;
    }
    let mut best = f64::INFINITY;
    for _ in 0..30 {
        let t = Instant::now();
        std::hint::black_box(go::<T>());
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("fastest of 30: {:.2} ms", best * 1e3);
}
fn main() {
    let time = std::env::args().any(|a| a == "time");
    if std::env::args().any(|a| a == "f32") {
        run::<f32>(time)
    } else {
        run::<f64>(time)
    }
}
