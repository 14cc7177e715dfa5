//! Divergence: a step that would make the loss or a parameter non-finite is undone, reported as
//! `Error::Diverged` / `VIREG_ERR_DIVERGED`, and the fit goes on with a smaller learning rate.
//!
//! What "undone" means precisely (src/fit.rs, `step_inner`): the fit keeps `prev`, the guide and
//! Adam state of the last point whose loss (and gradient) was finite. A step first evaluates the
//! loss at the current point:
//! * non-finite there (the previous step produced a finite point whose loss overflows): the guide
//!   and Adam go back to `prev` — the point *before the previous step*;
//! * finite: that point becomes `prev`, Adam updates; if the update makes a parameter non-finite
//!   (or a ρ underflow-prone), the guide and Adam go back to it — the point before this call.
//!
//! Either way, after `Diverged` the guide and Adam are bit for bit the last point whose loss was
//! finite, and the configuration and data are untouched. The random stream is not rewound (the
//! particles drawn by the failed step stay drawn), and a manual step ends iterate averaging.
//! `steps(n)` is exactly n calls of `step()` stopped at the first error: the updates before the
//! diverging one are kept (except one that produced a point of non-finite loss: that point is
//! never kept), the rest are not taken, and their losses are not reported. A `run` that diverges
//! returns the error with the iterate average cleared, so the posterior is the restored point.
//!
//! Each test checks this against an independent probe: a clone of the fit evaluates
//! `loss_grad` at the current point (same random stream) to tell which case applies.

#![allow(clippy::needless_range_loop)]

mod common;
mod robust;

use common::{distance, seed_data};
use robust::*;
use vireg::ffi::*;
use vireg::{Config, Error, Estimator, Fit, Normal};

const P: usize = 8;

/// A posterior's loc and scale, as bits.
type PosteriorBits = (Vec<u64>, Vec<u64>);

fn layout<T: Normal, const Q: usize>() -> Layout {
    Layout::new(T::BYTES, Q)
}

/// Steps `calls` times one at a time and checks every outcome. Returns how many diverged.
fn step_and_check<T: Normal, const Q: usize>(fit: &mut Fit<T, Q>, calls: usize) -> usize {
    step_and_check_cases(fit, calls).0
}

/// As [`step_and_check`], also counting the divergences detected at the current point (whose
/// loss is non-finite: the fit goes back to the point before the previous step).
fn step_and_check_cases<T: Normal, const Q: usize>(
    fit: &mut Fit<T, Q>,
    calls: usize,
) -> (usize, usize) {
    let l = layout::<T, Q>();
    let p = fit.features();
    // The optimisation state of the last point whose loss was finite, and its posterior:
    // `Fit::new` makes the initial point the one to come back to.
    let mut last_finite: Option<(Vec<u8>, PosteriorBits)> = None;
    let (mut diverged, mut went_back) = (0, 0);
    for call in 0..calls {
        let ck = save(fit);
        let before = l.guide_adam(&ck).to_vec();
        let post_before = posterior_bits(fit);
        if last_finite.is_none() {
            last_finite = Some((before.clone(), post_before.clone()));
        }
        // Independent probe: the loss and gradient the step will see (same random stream).
        let mut probe = fit.clone();
        let mut g = *probe.guide();
        let probe_loss = probe.loss_grad(&mut g);
        let bad_here = !probe_loss.is_finite() || !g.all_finite(p);
        if !bad_here {
            last_finite = Some((before.clone(), post_before.clone()));
        }
        match fit.step() {
            Ok(loss) => {
                assert!(
                    !bad_here,
                    "call {call}: a step from a non-finite loss succeeded"
                );
                assert_eq!(loss.to_f64().to_bits(), probe_loss.to_f64().to_bits());
                assert!(
                    fit.guide().all_finite(p),
                    "call {call}: non-finite guide kept"
                );
            }
            Err(Error::Diverged) => {
                diverged += 1;
                went_back += usize::from(bad_here);
                let after_ck = save(fit);
                let (want, want_post) = last_finite.clone().unwrap();
                assert!(
                    l.guide_adam(&after_ck) == &want[..],
                    "call {call}: guide/Adam not restored to the last finite point (bad_here {bad_here})"
                );
                if !bad_here {
                    assert_eq!(l.guide_adam(&after_ck), &before[..]);
                }
                // (A fit stays fitted once a step succeeded, even when a divergence goes back
                // to the starting point: the posterior is then that point's.)
                if !want_post.0.is_empty() {
                    assert_eq!(posterior_bits(fit), want_post, "call {call}: posterior");
                }
                // configuration and data untouched
                assert_eq!(&after_ck[..l.guide], &ck[..l.guide], "call {call}");
                // the stream advanced exactly as the probe's (not rewound)
                assert_eq!(fit.rng().draws(), probe.rng().draws());
                // `prev` is the restored point too: the region after the average
                assert_eq!(&after_ck[l.prev..l.history], &want[..]);
            }
            Err(e) => panic!("call {call}: unexpected {e:?}"),
        }
    }
    (diverged, went_back)
}

/// Moderate learning rates diverge after some good steps, both ways: an update that makes a
/// parameter non-finite, and an update to a finite point whose loss overflows (then the fit
/// goes back one step further). Each divergence is checked by [`step_and_check_cases`].
fn both_kinds<T: Normal>() -> (usize, usize) {
    let (mut div, mut back) = (0, 0);
    for seed in [1u64, 2, 3] {
        let (xs, ys) = data::<T>(300, seed, 1.0);
        for lr in [1e6, 1e4, 1e3, 300.0, 100.0, 30.0, 10.0, 3.0, 1.0] {
            for estimator in [Estimator::Analytic, Estimator::MonteCarlo { particles: 1 }] {
                let mut fit: Fit<T, P> = Fit::new(P, cfg(lr, estimator)).unwrap();
                fit.observe_rows(&xs, P, &ys).unwrap();
                let (d, b) = step_and_check_cases(&mut fit, 150);
                div += d;
                back += b;
            }
        }
    }
    (div, back)
}

#[test]
fn both_kinds_of_divergence_restore_the_last_finite_point() {
    let (d64, b64) = both_kinds::<f64>();
    let (d32, b32) = both_kinds::<f32>();
    println!("f64: {d64} divergences, {b64} from a non-finite loss at the current point");
    println!("f32: {d32} divergences, {b32} from a non-finite loss at the current point");
    assert!(b64 > 0 && b32 > 0 && d64 > b64 && d32 > b32);
}

fn data<T: Normal>(n: usize, seed: u64, scale: f64) -> (Vec<T>, Vec<T>) {
    let (xs, ys, _) = seed_data::<f64, P>(n, P, seed);
    let c = |v: &f64| T::c(v * scale);
    (xs.iter().map(c).collect(), ys.iter().map(c).collect())
}

fn cfg<T: Normal>(lr: f64, estimator: Estimator) -> Config<T> {
    let mut c = Config::<T>::default();
    c.adam.lr = T::c(lr);
    c.estimator = estimator;
    c
}

fn huge_lr_then_recover<T: Normal>(estimator: Estimator) {
    let (xs, ys) = data::<T>(1000, 42, 1.0);
    let mut fit: Fit<T, P> = Fit::new(P, cfg(1e6, estimator)).unwrap();
    fit.observe_rows(&xs, P, &ys).unwrap();
    let div = step_and_check(&mut fit, 40);
    println!(
        "{} {estimator:?}: lr 1e6, {div} of 40 steps diverged",
        core::any::type_name::<T>()
    );
    assert!(div > 0, "lr 1e6 never diverged");

    // A smaller learning rate: the fit goes on from the restored point and converges.
    let mut small = fit.config().adam;
    small.lr = T::c(1e-2);
    fit.set_adam(small).unwrap();
    assert_eq!(step_and_check(&mut fit, 20), 0);
    fit.run(30_000, 0, |_, _| true).unwrap();
    let mut exact: Fit<T, P> = Fit::new(P, Config::default()).unwrap();
    exact.observe_rows(&xs, P, &ys).unwrap();
    exact.solve_exact().unwrap();
    let (dm, ds) = distance(&fit, &exact);
    println!("  recovered: means within {dm:.4} sd, sds within {ds:.4} of the exact optimum");
    assert!(dm < 0.1 && ds < 0.05, "dm {dm} ds {ds}");
}

#[test]
fn huge_learning_rate_is_undone_and_recoverable_f64() {
    huge_lr_then_recover::<f64>(Estimator::MonteCarlo { particles: 1 });
    huge_lr_then_recover::<f64>(Estimator::Analytic);
}

#[test]
fn huge_learning_rate_is_undone_and_recoverable_f32() {
    huge_lr_then_recover::<f32>(Estimator::MonteCarlo { particles: 1 });
    huge_lr_then_recover::<f32>(Estimator::Analytic);
}

/// `steps(n)` is n calls of `step()` stopped at the first error, to the byte.
fn steps_is_repeated_step<T: Normal>() {
    let (xs, ys) = data::<T>(500, 7, 1.0);
    let mut later = 0;
    for lr in [1e6, 1e3, 1e2, 30.0, 10.0, 3.0] {
        for estimator in [Estimator::MonteCarlo { particles: 1 }, Estimator::Analytic] {
            let mut a: Fit<T, P> = Fit::new(P, cfg(lr, estimator)).unwrap();
            a.observe_rows(&xs, P, &ys).unwrap();
            let mut b = a.clone();
            let n = 300;
            let ra = a.steps(n);
            let mut rb = Ok(T::c(f64::NAN));
            let mut taken = 0;
            for _ in 0..n {
                rb = b.step();
                taken += 1;
                if rb.is_err() {
                    break;
                }
            }
            println!(
                "{} lr {lr:e} {estimator:?}: steps({n}) -> {ra:?} after {taken} calls",
                core::any::type_name::<T>()
            );
            later += usize::from(ra.is_err() && taken > 1);
            assert_eq!(ra.is_err(), rb.is_err());
            if let (Ok(x), Ok(y)) = (ra, rb) {
                assert_eq!(x.to_f64().to_bits(), y.to_f64().to_bits());
            } else {
                assert_eq!(ra, Err(Error::Diverged));
                assert_eq!(rb, Err(Error::Diverged));
            }
            assert_eq!(save(&a), save(&b));
        }
    }
    assert!(later > 0, "no steps(n) diverged after its first step");
}

#[test]
fn steps_n_diverging_at_step_k_is_k_single_steps_f64() {
    steps_is_repeated_step::<f64>();
}

#[test]
fn steps_n_diverging_at_step_k_is_k_single_steps_f32() {
    steps_is_repeated_step::<f32>();
}

/// A run that diverges leaves the guide and Adam at the last finite point, with no average:
/// the posterior is that point.
fn run_divergence<T: Normal>() {
    let (xs, ys) = data::<T>(500, 3, 1.0);
    let mut fit: Fit<T, P> = Fit::new(P, cfg(1e6, Estimator::default())).unwrap();
    fit.observe_rows(&xs, P, &ys).unwrap();
    let mut by_steps = fit.clone();
    assert_eq!(fit.run(1000, 0, |_, _| true), Err(Error::Diverged));
    assert_eq!(by_steps.steps(1000), Err(Error::Diverged));
    let l = layout::<T, P>();
    let (a, b) = (save(&fit), save(&by_steps));
    assert_eq!(l.guide_adam(&a), l.guide_adam(&b));
    assert_eq!(posterior_bits(&fit), posterior_bits(&by_steps));
    // and it goes on
    let mut small = fit.config().adam;
    small.lr = T::c(1e-2);
    fit.set_adam(small).unwrap();
    let r = fit.run(2000, 0, |_, _| true).unwrap();
    assert!(r.loss.is_finite() && r.elbo.is_finite());
}

#[test]
fn run_divergence_restores_the_last_finite_point() {
    run_divergence::<f64>();
    run_divergence::<f32>();
}

/// A run that diverges inside its averaging stretch reports `Diverged` with the posterior at
/// the restored point, not at a partial average of the iterates before it. With
/// `final_lr_scale` 1 a run takes exactly the steps of `steps()`, so the step k that diverges is
/// found by stepping a clone; a run of k + 1 steps then diverges on its last step, past the
/// start of the averaging (average_fraction 0.9: the last 45% of the steps are averaged).
fn divergence_in_averaging_stretch<T: Normal>() -> usize {
    let (xs, ys) = data::<T>(500, 5, 1.0);
    let mut found = 0;
    for lr in [0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1e3, 1e4, 1e5, 1e6] {
        for estimator in [Estimator::Analytic, Estimator::MonteCarlo { particles: 1 }] {
            let mut c = cfg::<T>(lr, estimator);
            c.final_lr_scale = T::c(1.0);
            c.average_fraction = T::c(0.9);
            let mut fit: Fit<T, P> = Fit::new(P, c).unwrap();
            fit.observe_rows(&xs, P, &ys).unwrap();
            let mut probe = fit.clone();
            let Some(k) = (0..3000u64).find(|_| probe.step().is_err()) else {
                continue;
            };
            if k < 4 {
                continue;
            }
            assert_eq!(fit.run(k + 1, 0, |_, _| true), Err(Error::Diverged));
            let l = layout::<T, P>();
            assert_eq!(l.guide_adam(&save(&fit)), l.guide_adam(&save(&probe)));
            assert_eq!(fit.posterior().unwrap().loc_latent(), &fit.guide().loc);
            assert_eq!(posterior_bits(&fit), posterior_bits(&probe));
            found += 1;
        }
    }
    found
}

#[test]
fn divergence_inside_the_averaging_stretch_reports_the_restored_point() {
    let (a, b) = (
        divergence_in_averaging_stretch::<f64>(),
        divergence_in_averaging_stretch::<f32>(),
    );
    println!("runs diverging inside the averaging stretch: f64 {a}, f32 {b}");
    assert!(a > 0 && b > 0);
}

/// `set_adam` after a divergence: the new learning rate survives a step that diverges again
/// (the point restored must not bring back the learning rate it was saved with).
fn new_rate_survives_divergence<T: Normal>() {
    let (xs, ys) = data::<T>(200, 5, 1.0);
    let mut fit: Fit<T, P> = Fit::new(P, cfg(1e-2, Estimator::Analytic)).unwrap();
    fit.observe_rows(&xs, P, &ys).unwrap();
    // A point whose loss overflows: the noise scale e^u far too small.
    let mut g = *fit.guide();
    g.loc.u = T::c(-400.0);
    fit.set_guide(g).unwrap();
    assert_eq!(fit.step(), Err(Error::Diverged));
    let mut a = fit.config().adam;
    a.lr = T::c(1e-3);
    fit.set_adam(a).unwrap();
    assert_eq!(fit.step(), Err(Error::Diverged));
    assert_eq!(fit.adam().lr(), T::c(1e-3));
    assert_eq!(fit.config().adam.lr, T::c(1e-3));
}

#[test]
fn a_new_learning_rate_survives_a_further_divergence() {
    new_rate_survives_divergence::<f64>();
    new_rate_survives_divergence::<f32>();
}

// ---------------------------------------------------------------------------------------------
// Data at extreme scales
// ---------------------------------------------------------------------------------------------

/// Rows scaled by `scale`: every outcome is a defined status with the state intact.
fn extreme_scale<T: Normal>(scale: f64) -> String {
    let (xs, ys) = data::<T>(500, 11, scale);
    let mut fit: Fit<T, P> = Fit::new(P, cfg(1e-2, Estimator::default())).unwrap();
    let empty = save(&fit);
    let mut log = format!("{} x{scale:e}:", core::any::type_name::<T>());
    match fit.observe_rows(&xs, P, &ys) {
        Ok(()) => log += " observe ok;",
        Err((i, e)) => {
            assert_eq!(e, Error::Overflow, "row {i}");
            assert_eq!(save(&fit), empty, "a refused observe_rows changed the fit");
            // one row at a time: the rows before the overflow go in, the one that overflows
            // is refused with the fit unchanged
            let mut ok = 0;
            for r in 0..ys.len() {
                let before = save(&fit);
                match fit.observe(&xs[r * P..(r + 1) * P], ys[r]) {
                    Ok(()) => ok += 1,
                    Err(e) => {
                        assert_eq!(e, Error::Overflow);
                        assert_eq!(save(&fit), before);
                        break;
                    }
                }
            }
            return format!(
                "{log} observe_rows Overflow (row index {i}), {ok} single rows accepted"
            );
        }
    }
    let div = step_and_check(&mut fit, 30);
    log += &format!(" {div}/30 steps diverged;");
    let before = save(&fit);
    match fit.solve_exact() {
        Ok(r) => {
            log += &format!(" solve_exact ok (elbo {:e});", r.elbo.to_f64());
            assert!(fit.guide().all_finite(P));
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::Overflow | Error::IllConditioned | Error::NotConverged
                ),
                "{e:?}"
            );
            assert_eq!(save(&fit), before);
            log += &format!(" solve_exact {e:?};");
        }
    }
    // a huge learning rate on top
    let mut big = fit.config().adam;
    big.lr = T::c(1e6);
    fit.set_adam(big).unwrap();
    let div = step_and_check(&mut fit, 30);
    log += &format!(" lr 1e6: {div}/30 diverged");
    log
}

#[test]
fn extreme_data_scales_give_defined_outcomes() {
    for s in [1e30, 1e-30, 1e100, 1e160] {
        println!("{}", extreme_scale::<f64>(s));
    }
    for s in [1e30, 1e17, 1e15, 1e10, 1e-15, 1e-30] {
        println!("{}", extreme_scale::<f32>(s));
    }
}

#[test]
fn f64_rows_at_1e30_fit_and_huge_lr_diverges() {
    let (xs, ys) = data::<f64>(500, 11, 1e30);
    let mut fit: Fit<f64, P> = Fit::new(P, cfg(1e6, Estimator::default())).unwrap();
    fit.observe_rows(&xs, P, &ys).unwrap();
    assert!(step_and_check(&mut fit, 30) > 0);
}

#[test]
fn f32_rows_at_1e30_overflow_on_observe() {
    let (xs, ys) = data::<f32>(10, 11, 1e30);
    let mut fit: Fit<f32, P> = Fit::new(P, Config::default()).unwrap();
    let empty = save(&fit);
    // Already the first row would put G's diagonal (its squares) past f32's range: the batch
    // is refused at row 0, and so is the row alone, with the fit unchanged.
    assert_eq!(fit.observe_rows(&xs, P, &ys), Err((0, Error::Overflow)));
    assert_eq!(save(&fit), empty);
    assert_eq!(fit.observe(&xs[..P], ys[0]), Err(Error::Overflow));
    assert_eq!(save(&fit), empty);
}

// ---------------------------------------------------------------------------------------------
// The C ABI: the same, checked against a Rust fit of the C capacity fed the same calls
// ---------------------------------------------------------------------------------------------

fn c_divergence<T: Prec>(analytic: bool) {
    const Q: usize = MAX_FEATURES;
    let (xs, ys) = data::<T>(1000, 42, 1.0);
    let mut ccfg = T::cfg_default();
    T::cfg_set_lr(&mut ccfg, T::c(1e6));
    let mut rcfg = cfg::<T>(1e6, Estimator::default());
    if analytic {
        T::cfg_set_analytic(&mut ccfg);
        rcfg.estimator = Estimator::Analytic;
    }
    let mut rust: Fit<T, Q> = Fit::new(P, rcfg).unwrap();
    rust.observe_rows(&xs, P, &ys).unwrap();
    let mut c = Buf::fit::<T>();
    let fit = c.ptr::<T::Fit>();
    let mut bad = 0usize;
    // SAFETY: valid buffers of the lengths given.
    unsafe {
        assert_eq!(T::init(fit, P, &ccfg), VIREG_OK);
        let s = T::observe_rows(fit, xs.as_ptr(), ys.len(), P, P, ys.as_ptr(), &mut bad);
        assert_eq!(s, VIREG_OK);
    }
    assert_eq!(c_save::<T>(&c), save(&rust));
    // The Rust fit's own steps, checked (same calls, so the same outcomes as below).
    let checked = step_and_check(&mut rust.clone(), 40);
    let mut diverged = 0;
    for call in 0..40 {
        let sentinel = T::c(-12345.0);
        let mut loss = sentinel;
        // SAFETY: a valid state; `loss` is writable.
        let s = unsafe { T::step(fit, 1, &mut loss) };
        match rust.step() {
            Ok(v) => {
                assert_eq!(s, VIREG_OK, "call {call}");
                assert_eq!(loss.to_f64().to_bits(), v.to_f64().to_bits());
            }
            Err(e) => {
                assert_eq!(e, Error::Diverged);
                assert_eq!(s, VIREG_ERR_DIVERGED, "call {call}");
                assert_eq!(loss.to_f64().to_bits(), sentinel.to_f64().to_bits());
                diverged += 1;
            }
        }
        let ck = c_save::<T>(&c);
        assert_eq!(ck, save(&rust), "call {call}: C and Rust fits differ");
        assert_eq!(c_posterior::<T>(&c, P), posterior_bits(&rust));
    }
    assert_eq!(diverged, checked);
    println!(
        "C {} analytic={analytic}: {diverged}/40 diverged",
        core::any::type_name::<T>()
    );
    assert!(diverged > 0);
    // SAFETY: a valid state.
    unsafe {
        assert_eq!(T::set_lr(fit, T::c(0.0)), VIREG_ERR_CONFIG);
        assert_eq!(T::set_lr(fit, T::c(f64::NAN)), VIREG_ERR_NON_FINITE);
        assert_eq!(T::set_lr(fit, T::c(1e-2)), VIREG_OK);
        let mut rep = core::mem::MaybeUninit::<T::RunReport>::zeroed();
        let s = T::run(
            fit,
            30_000,
            0,
            T::no_progress(),
            core::ptr::null_mut(),
            rep.as_mut_ptr(),
        );
        assert_eq!(s, VIREG_OK);
    }
    // Against the exact optimum (the Rust fit of the same capacity, same data).
    let mut exact: Fit<T, Q> = Fit::new(P, Config::default()).unwrap();
    exact.observe_rows(&xs, P, &ys).unwrap();
    exact.solve_exact().unwrap();
    let loaded: Fit<T, Q> = Fit::from_checkpoint(&c_save::<T>(&c)).unwrap();
    let (dm, ds) = distance(&loaded, &exact);
    println!("  recovered through the C ABI: means within {dm:.4} sd, sds within {ds:.4}");
    assert!(dm < 0.1 && ds < 0.05, "dm {dm} ds {ds}");
}

#[test]
fn c_abi_divergence_f64() {
    c_divergence::<f64>(false);
    c_divergence::<f64>(true);
}

#[test]
fn c_abi_divergence_f32() {
    c_divergence::<f32>(false);
    c_divergence::<f32>(true);
}

#[test]
fn c_abi_rows_at_1e30() {
    const Q: usize = MAX_FEATURES;
    // f32: overflow on observe, the state byte for byte as it was
    let (xs, ys) = data::<f32>(50, 11, 1e30);
    let mut c = Buf::fit::<f32>();
    let fit = c.ptr::<vireg_fit_f32>();
    let mut bad = usize::MAX;
    // SAFETY: valid buffers of the lengths given.
    unsafe {
        assert_eq!(
            vireg_init_sized_f32(fit, size_of::<vireg_fit_f32>(), P, core::ptr::null()),
            VIREG_OK
        );
        let before = c.bytes();
        let s = vireg_observe_rows_f32(fit, xs.as_ptr(), 50, P, P, ys.as_ptr(), &mut bad);
        assert_eq!(s, VIREG_ERR_OVERFLOW);
        assert_eq!(bad, 0);
        assert_eq!(c.bytes(), before);
        assert_eq!(
            vireg_observe_f32(fit, xs.as_ptr(), P, ys[0]),
            VIREG_ERR_OVERFLOW
        );
        assert_eq!(c.bytes(), before);
    }
    // f64: the rows go in; a huge learning rate diverges, with the state as the Rust API's
    let (xs, ys) = data::<f64>(500, 11, 1e30);
    let mut rust: Fit<f64, Q> = Fit::new(P, cfg(1e6, Estimator::default())).unwrap();
    rust.observe_rows(&xs, P, &ys).unwrap();
    let mut c = Buf::fit::<f64>();
    let fit = c.ptr::<vireg_fit_f64>();
    let mut ccfg = f64::cfg_default();
    ccfg.lr = 1e6;
    let mut statuses = Vec::new();
    // SAFETY: valid buffers of the lengths given.
    unsafe {
        assert_eq!(
            vireg_init_sized_f64(fit, size_of::<vireg_fit_f64>(), P, &ccfg),
            VIREG_OK
        );
        let s = vireg_observe_rows_f64(fit, xs.as_ptr(), 500, P, P, ys.as_ptr(), &mut bad);
        assert_eq!(s, VIREG_OK);
        for _ in 0..30 {
            let s = vireg_step_f64(fit, 1, core::ptr::null_mut());
            let r = rust.step();
            assert_eq!(s, r.map(|_| 0).unwrap_or_else(|e| e as i32));
            assert_eq!(c_save::<f64>(&c), save(&rust));
            statuses.push(s);
        }
    }
    assert!(statuses.contains(&VIREG_ERR_DIVERGED), "{statuses:?}");
}
