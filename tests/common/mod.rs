//! Helpers shared by the integration tests.
#![allow(dead_code)]

use vireg::{Config, Fit, Normal, Synth};

/// Seed-style data: N rows, P features from `vireg::Synth` with `seed`.
pub fn seed_data<T: Normal, const P: usize>(
    n: usize,
    p: usize,
    seed: u64,
) -> (Vec<T>, Vec<T>, Synth<T, P>) {
    let mut s: Synth<T, P> = Synth::new(p, seed).unwrap();
    let truth = s.clone();
    let mut xs = vec![T::c(0.0); n * p];
    let mut ys = vec![T::c(0.0); n];
    for i in 0..n {
        ys[i] = s.next_row(&mut xs[i * p..(i + 1) * p]).unwrap();
    }
    (xs, ys, truth)
}

/// A fit with the rows folded in.
pub fn fit_with<T: Normal, const P: usize>(
    p: usize,
    cfg: Config<T>,
    xs: &[T],
    ys: &[T],
) -> Fit<T, P> {
    let mut f = Fit::new(p, cfg).unwrap();
    f.observe_rows(xs, p, ys).unwrap();
    f
}

/// Worst |Δmean|/sd_exact and worst |sd/sd_exact − 1| between two posteriors (latent space).
pub fn distance<T: Normal, const P: usize>(a: &Fit<T, P>, exact: &Fit<T, P>) -> (f64, f64) {
    let p = a.features();
    let (pa, pe) = (a.posterior().unwrap(), exact.posterior().unwrap());
    let (mut dm, mut ds) = (0.0f64, 0.0f64);
    for i in 0..p + 2 {
        let (ma, me) = (
            pa.loc_latent().get(i, p).to_f64(),
            pe.loc_latent().get(i, p).to_f64(),
        );
        let (sa, se) = (
            pa.scale_latent().get(i, p).to_f64(),
            pe.scale_latent().get(i, p).to_f64(),
        );
        dm = dm.max((ma - me).abs() / se);
        ds = ds.max((sa / se - 1.0).abs());
    }
    (dm, ds)
}
