//! Weighted rows and forgetting (docs/weights.md): the summary against explicit weighted sums
//! (f64, and exact integer arithmetic), forgetting against explicit weights γ^(N−1−i), the
//! w = 0 and γ = 1 identities, refusals that leave the state unchanged, merging with
//! forgetting, a long run in f32, checkpoints, and the fits (mean-field and full-rank, exact
//! and SVI) against the same rows repeated.

#![cfg(feature = "weights")]
#![allow(clippy::needless_range_loop)]

mod common;
use common::*;
use vireg::{Config, Error, Estimator, Fit, FullFit, Normal, Stats};

/// G_w, b_w and y_wᵀy_w summed directly from the rows (f64).
fn weighted_sums(
    xs: &[f64],
    ys: &[f64],
    ws: &[f64],
    p: usize,
) -> (Vec<Vec<f64>>, Vec<f64>, f64, f64) {
    let k = p + 1;
    let (mut g, mut b, mut yy, mut nw) = (vec![vec![0.0; k]; k], vec![0.0; k], 0.0, 0.0);
    for (i, (&y, &w)) in ys.iter().zip(ws).enumerate() {
        let a: Vec<f64> = std::iter::once(1.0)
            .chain(xs[i * p..(i + 1) * p].iter().copied())
            .collect();
        for r in 0..k {
            for c in 0..k {
                g[r][c] += w * a[r] * a[c];
            }
            b[r] += w * a[r] * y;
        }
        yy += w * y * y;
        nw += w;
    }
    (g, b, yy, nw)
}

/// Worst relative difference of the summary's G, b, yᵀy and N_w from the sums given (each
/// entry relative to the diagonal scale, so that near-zero off-diagonal entries are fair).
fn summary_error<T: Normal, const P: usize>(
    s: &Stats<T, P>,
    (g, b, yy, nw): &(Vec<Vec<f64>>, Vec<f64>, f64, f64),
) -> f64 {
    let k = s.features() + 1;
    let mut worst = ((s.yty().to_f64() - yy) / yy).abs();
    worst = worst.max((s.effective_rows().to_f64() - nw).abs() / nw);
    for r in 0..k {
        for c in 0..k {
            let scale = (g[r][r] * g[c][c]).sqrt();
            worst = worst.max((s.gram_entry(r, c).to_f64() - g[r][c]).abs() / scale);
        }
        worst = worst.max((s.xty_entry(r).to_f64() - b[r]).abs() / (g[r][r] * yy).sqrt());
    }
    worst
}

fn rows(n: usize, p: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = SplitMix64(seed);
    let mut xs = vec![0.0; n * p];
    let mut ys = vec![0.0; n];
    for i in 0..n {
        let mut y = 0.5;
        for j in 0..p {
            let x = r.normal() + 0.3 * j as f64;
            xs[i * p + j] = x;
            y += (j as f64 - 1.5) * x;
        }
        ys[i] = y + 0.7 * r.normal();
    }
    (xs, ys)
}

fn cast<T: Normal>(v: &[f64]) -> Vec<T> {
    v.iter().map(|x| T::c(*x)).collect()
}

#[test]
fn weighted_rows_match_explicit_weighted_sums() {
    let p = 5;
    let (xs, ys) = rows(600, p, 1);
    let mut r = SplitMix64(2);
    let ws: Vec<f64> = (0..ys.len()).map(|_| 3.0 * r.uniform()).collect();
    let reference = weighted_sums(&xs, &ys, &ws, p);
    // One row at a time and in one batch, in both precisions.
    let mut s: Stats<f64, 8> = Stats::new(p).unwrap();
    for i in 0..ys.len() {
        s.observe_weighted(&xs[i * p..(i + 1) * p], ys[i], ws[i])
            .unwrap();
    }
    let e64 = summary_error(&s, &reference);
    assert!(e64 < 1e-13, "f64 row by row: {e64:e}");
    let mut b: Stats<f64, 8> = Stats::new(p).unwrap();
    b.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    assert_eq!(
        b, s,
        "a batch is the same operations as its rows one by one"
    );
    assert!(s.is_weighted());
    assert_eq!(s.rows(), 600);

    let mut s32: Stats<f32, 8> = Stats::new(p).unwrap();
    let (x32, y32, w32) = (cast::<f32>(&xs), cast::<f32>(&ys), cast::<f32>(&ws));
    s32.observe_rows_weighted(&x32, p, &y32, &w32).unwrap();
    // The reference of the f32 inputs (rounded once) in f64.
    let back = |v: &[f32]| v.iter().map(|x| *x as f64).collect::<Vec<_>>();
    let r32 = weighted_sums(&back(&x32), &back(&y32), &back(&w32), p);
    let e32 = summary_error(&s32, &r32);
    assert!(e32 < 2e-5, "f32: {e32:e}");
}

/// Small integers and dyadic weights: every weighted sum is exact in f64, so the reference
/// is exact, and the summary's error is its own rounding alone.
#[test]
fn weighted_summary_against_exact_integer_sums() {
    let p = 3;
    let mut r = SplitMix64(7);
    let n = 200;
    let xs: Vec<f64> = (0..n * p)
        .map(|_| (r.next_u64() % 21) as f64 - 10.0)
        .collect();
    let ys: Vec<f64> = (0..n).map(|_| (r.next_u64() % 41) as f64 - 20.0).collect();
    let ws: Vec<f64> = (0..n).map(|_| (r.next_u64() % 8) as f64 / 4.0).collect();
    let exact = weighted_sums(&xs, &ys, &ws, p);
    let mut s: Stats<f64, 4> = Stats::new(p).unwrap();
    s.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    let e = summary_error(&s, &exact);
    assert!(e < 1e-13, "{e:e}");
    // Rows of weight 0 were not folded, nor counted.
    let zeros = ws.iter().filter(|w| **w == 0.0).count();
    assert!(zeros > 0);
    assert_eq!(s.rows(), (n - zeros) as u64);
    // An integer weight k is the row repeated k times (weights 0.25 · k scale G, b, yᵀy, N_w
    // by 4 exactly).
    let mut rep: Stats<f64, 4> = Stats::new(p).unwrap();
    for i in 0..n {
        for _ in 0..(ws[i] * 4.0) as usize {
            rep.observe(&xs[i * p..(i + 1) * p], ys[i]).unwrap();
        }
    }
    let four = (
        exact
            .0
            .iter()
            .map(|r| r.iter().map(|v| 4.0 * v).collect())
            .collect(),
        exact.1.iter().map(|v| 4.0 * v).collect(),
        4.0 * exact.2,
        4.0 * exact.3,
    );
    let e = summary_error(&rep, &four);
    assert!(e < 1e-13, "{e:e}");
}

#[test]
fn forgetting_equals_explicit_weights() {
    for &gamma in &[0.9, 0.99, 0.999] {
        let p = 4;
        let (xs, ys) = rows(3000, p, 11);
        let n = ys.len();
        let ws: Vec<f64> = (0..n)
            .map(|i| f64::powi(gamma, (n - 1 - i) as i32))
            .collect();
        let reference = weighted_sums(&xs, &ys, &ws, p);
        let mut f: Stats<f64, 4> = Stats::with_forget(p, gamma).unwrap();
        f.observe_rows(&xs, p, &ys).unwrap();
        let e = summary_error(&f, &reference);
        assert!(e < 1e-11, "γ = {gamma}: {e:e}");
        // N_w = (1 − γᴺ)/(1 − γ).
        let nw = (1.0 - gamma.powi(n as i32)) / (1.0 - gamma);
        assert!((f.effective_rows() - nw).abs() < 1e-10 * nw);
        // Explicit weights on a summary that does not forget: the same summary to rounding.
        let mut w: Stats<f64, 4> = Stats::new(p).unwrap();
        w.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
        assert!(summary_error(&w, &reference) < 1e-11);
        assert_eq!(f.rows(), n as u64);
    }
}

fn unit_weights_are_no_weights<T: Normal>() {
    let p = 6;
    let (xs, ys) = rows(500, p, 5);
    let (xs, ys) = (cast::<T>(&xs), cast::<T>(&ys));
    let mut plain: Stats<T, 8> = Stats::new(p).unwrap();
    plain.observe_rows(&xs, p, &ys).unwrap();
    let mut ones: Stats<T, 8> = Stats::with_forget(p, T::c(1.0)).unwrap();
    let w = vec![T::c(1.0); ys.len()];
    ones.observe_rows_weighted(&xs, p, &ys, &w).unwrap();
    assert_eq!(ones, plain);
    assert!(!ones.is_weighted());
    let mut single: Stats<T, 8> = Stats::new(p).unwrap();
    for i in 0..ys.len() {
        single
            .observe_weighted(&xs[i * p..(i + 1) * p], ys[i], T::c(1.0))
            .unwrap();
    }
    assert_eq!(single, plain);
    // The model's N is the row count, exactly.
    assert_eq!(plain.effective_rows(), T::c(500.0));
}

#[test]
fn weight_one_and_gamma_one_change_nothing_bit_for_bit() {
    unit_weights_are_no_weights::<f32>();
    unit_weights_are_no_weights::<f64>();
}

#[test]
fn zero_weight_changes_nothing_byte_for_byte() {
    let p = 3;
    let (xs, ys) = rows(100, p, 9);
    let mut s: Stats<f64, 4> = Stats::with_forget(p, 0.95).unwrap();
    s.observe_rows(&xs, p, &ys).unwrap();
    let before = s;
    s.observe_weighted(&[1.0, 2.0, 3.0], 4.0, 0.0).unwrap();
    assert_eq!(s, before);
    // In a batch, rows of weight 0 are as if absent.
    let ws: Vec<f64> = (0..ys.len()).map(|i| (i % 3) as f64 * 0.5).collect();
    let mut a: Stats<f64, 4> = Stats::with_forget(p, 0.95).unwrap();
    a.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    let mut b: Stats<f64, 4> = Stats::with_forget(p, 0.95).unwrap();
    for i in 0..ys.len() {
        if ws[i] != 0.0 {
            b.observe_weighted(&xs[i * p..(i + 1) * p], ys[i], ws[i])
                .unwrap();
        }
    }
    assert_eq!(a, b);
    assert_eq!(a.rows(), ws.iter().filter(|w| **w != 0.0).count() as u64);
}

#[test]
fn bad_weights_and_factors_are_refused_with_the_state_unchanged() {
    let p = 2;
    let (xs, ys) = rows(50, p, 3);
    let mut s: Stats<f64, 4> = Stats::with_forget(p, 0.9).unwrap();
    s.observe_rows(&xs, p, &ys).unwrap();
    let before = s;
    for (w, e) in [
        (f64::NAN, Error::NonFinite),
        (f64::INFINITY, Error::NonFinite),
        (f64::NEG_INFINITY, Error::NonFinite),
        (-1.0, Error::Config),
        (-0.0 - 1e-300, Error::Config),
    ] {
        assert_eq!(s.observe_weighted(&[1.0, 2.0], 3.0, w), Err(e), "{w}");
        assert_eq!(s, before);
        let mut ws = vec![1.0; ys.len()];
        ws[17] = w;
        assert_eq!(s.observe_rows_weighted(&xs, p, &ys, &ws), Err((17, e)));
        assert_eq!(s, before);
    }
    // Lengths that disagree.
    assert_eq!(
        s.observe_rows_weighted(&xs, p, &ys, &[1.0; 3]),
        Err((0, Error::Dimension))
    );
    // A weight that takes the summary out of range is an overflow, at its row.
    let mut ws = vec![1.0; ys.len()];
    ws[30] = 1e305;
    assert_eq!(
        s.observe_rows_weighted(&xs, p, &ys, &ws),
        Err((30, Error::Overflow))
    );
    assert_eq!(s, before);
    for (g, e) in [
        (0.0, Error::Config),
        (-0.5, Error::Config),
        (1.0 + 1e-12, Error::Config),
        (f64::NAN, Error::NonFinite),
        (f64::INFINITY, Error::NonFinite),
    ] {
        assert_eq!(s.set_forget(g), Err(e));
        assert_eq!(s, before);
        let cfg = Config {
            forget: g,
            ..Config::default()
        };
        assert_eq!(Fit::<f64, 4>::new(p, cfg).err(), Some(e));
    }
}

#[test]
fn merge_with_forgetting_is_feeding_the_other_rows_last() {
    let p = 4;
    let (xs, ys) = rows(900, p, 21);
    let gamma = 0.995;
    let split = 500;
    let mut all: Stats<f64, 4> = Stats::with_forget(p, gamma).unwrap();
    all.observe_rows(&xs, p, &ys).unwrap();
    let mut a: Stats<f64, 4> = Stats::with_forget(p, gamma).unwrap();
    a.observe_rows(&xs[..split * p], p, &ys[..split]).unwrap();
    let mut b: Stats<f64, 4> = Stats::with_forget(p, gamma).unwrap();
    b.observe_rows(&xs[split * p..], p, &ys[split..]).unwrap();
    let mut merged = a;
    merged.merge(&b).unwrap();
    let n = ys.len();
    let ws: Vec<f64> = (0..n).map(|i| gamma.powi((n - 1 - i) as i32)).collect();
    let reference = weighted_sums(&xs, &ys, &ws, p);
    assert!(summary_error(&all, &reference) < 1e-11);
    let e = summary_error(&merged, &reference);
    assert!(e < 1e-11, "{e:e}");
    assert_eq!(merged.rows(), all.rows());
    // Different factors: refused, nothing changed.
    let mut c: Stats<f64, 4> = Stats::with_forget(p, 0.99).unwrap();
    c.observe_rows(&xs[..10 * p], p, &ys[..10]).unwrap();
    let before = a;
    assert_eq!(a.merge(&c), Err(Error::Mismatch));
    assert_eq!(a, before);
    // Weighted rows without forgetting merge exactly, in either order.
    let wts: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64).collect();
    let wref = weighted_sums(&xs, &ys, &wts, p);
    let mut wa: Stats<f64, 4> = Stats::new(p).unwrap();
    wa.observe_rows_weighted(&xs[..split * p], p, &ys[..split], &wts[..split])
        .unwrap();
    let mut wb: Stats<f64, 4> = Stats::new(p).unwrap();
    wb.observe_rows(&xs[split * p..], p, &ys[split..]).unwrap(); // unweighted
    let unit: Vec<f64> = (0..n)
        .map(|i| if i < split { wts[i] } else { 1.0 })
        .collect();
    let uref = weighted_sums(&xs, &ys, &unit, p);
    let mut m1 = wa;
    m1.merge(&wb).unwrap();
    let mut m2 = wb;
    m2.merge(&wa).unwrap();
    assert!(summary_error(&m1, &uref) < 1e-12);
    assert!(summary_error(&m2, &uref) < 1e-12);
    assert!(m2.is_weighted());
    let _ = wref;
}

/// 10⁷ rows with γ = 0.999 in f32: every dⱼ stays in range (normal or 0), N_w at its steady
/// state, and the summary's least-squares solution matches an f64 reference of the last rows
/// (γ^40000 ≈ 4·10⁻¹⁸: older rows weigh nothing in either precision).
#[test]
fn ten_million_rows_with_forgetting_in_f32() {
    const N: usize = 10_000_000;
    const TAIL: usize = 40_000;
    let p = 4;
    let gamma = 0.999f32;
    let g64 = gamma as f64;
    let mut s: Stats<f32, 4> = Stats::with_forget(p, gamma).unwrap();
    let mut r = SplitMix64(99);
    let mut tail_x = Vec::with_capacity(TAIL * p);
    let mut tail_y = Vec::with_capacity(TAIL);
    let mut x = [0f32; 4];
    let chunk = 10_000;
    let mut bx = vec![0f32; chunk * p];
    let mut by = vec![0f32; chunk];
    for c in 0..N / chunk {
        for i in 0..chunk {
            // The relation drifts slowly over the run: what is forgotten matters.
            let t = (c * chunk + i) as f64 / N as f64;
            let mut y = 1.0 + 2.0 * t;
            for j in 0..p {
                x[j] = (r.uniform_sd1() * (1.0 + j as f64) + j as f64) as f32;
                y += (0.5 - j as f64 + t) * x[j] as f64;
            }
            y += 0.1 * r.normal();
            bx[i * p..(i + 1) * p].copy_from_slice(&x[..p]);
            by[i] = y as f32;
        }
        s.observe_rows(&bx, p, &by).unwrap();
        if (c + 1) * chunk > N - TAIL {
            tail_x.extend(bx.iter().map(|v| *v as f64));
            tail_y.extend(by.iter().map(|v| *v as f64));
        }
    }
    assert_eq!(s.rows(), N as u64);
    let nw = s.effective_rows() as f64;
    assert!((nw - 1.0 / (1.0 - g64)).abs() < 1e-3 * nw, "N_w = {nw}");
    for j in 0..=p {
        let d = s.gram_entry(j, j);
        assert!(d.is_finite() && d >= f32::MIN_POSITIVE, "G[{j}][{j}] = {d}");
    }
    let k = tail_y.len();
    let ws: Vec<f64> = (0..k).map(|i| g64.powi((k - 1 - i) as i32)).collect();
    let reference = weighted_sums(&tail_x, &tail_y, &ws, p);
    let e = summary_error(&s, &reference);
    assert!(e < 1e-3, "f32 summary after 10⁷ rows: {e:e}");
    // The least-squares coefficients of both (the same solve on each, in f64).
    let solve = |g: &Vec<Vec<f64>>, b: &Vec<f64>| solve_dense(g.clone(), b.clone());
    let (g32, b32) = (
        (0..=p)
            .map(|r| (0..=p).map(|c| s.gram_entry(r, c) as f64).collect())
            .collect::<Vec<Vec<f64>>>(),
        (0..=p).map(|r| s.xty_entry(r) as f64).collect::<Vec<f64>>(),
    );
    let (th, th_ref) = (solve(&g32, &b32), solve(&reference.0, &reference.1));
    for j in 0..=p {
        assert!(
            (th[j] - th_ref[j]).abs() < 2e-3 * (1.0 + th_ref[j].abs()),
            "θ{j}: {} vs {}",
            th[j],
            th_ref[j]
        );
    }
}

/// Gaussian elimination with partial pivoting (f64; small systems).
fn solve_dense(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let piv = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, piv);
        b.swap(c, piv);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

/// A direction no row feeds any more is forgotten to exactly 0, never subnormal.
#[test]
fn a_forgotten_direction_flushes_to_zero() {
    let mut s: Stats<f32, 2> = Stats::with_forget(2, 0.5).unwrap();
    s.observe(&[1.0, 3.0], 2.0).unwrap();
    s.observe(&[2.0, 1.0], 1.0).unwrap();
    // From now on the second feature is 0: its direction (and the first's, both
    // collinear with later rows' span) decays by halves.
    for i in 0..400 {
        s.observe(&[i as f32 % 2.0, 0.0], 1.0).unwrap();
        let d = s.gram_entry(2, 2);
        assert!(
            d == 0.0 || d >= f32::MIN_POSITIVE,
            "row {i}: subnormal {d:e}"
        );
    }
    assert_eq!(s.gram_entry(2, 2), 0.0);
    // It can be learnt again.
    s.observe(&[1.0, 5.0], 3.0).unwrap();
    assert!(s.gram_entry(2, 2) > 0.0);
}

#[test]
fn checkpoints_round_trip_exactly_with_forgetting() {
    let p = 3;
    let (xs, ys) = rows(300, p, 4);
    let ws: Vec<f64> = (0..ys.len()).map(|i| 0.25 + (i % 5) as f64).collect();
    let cfg = Config {
        forget: 0.98,
        ..Config::default()
    };
    let mut f: Fit<f64, 4> = Fit::new(p, cfg).unwrap();
    f.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    f.steps(50).unwrap();
    f.set_forget(0.97).unwrap();
    f.observe(&[0.1, 0.2, 0.3], 1.0).unwrap();
    let mut buf = vec![0u8; Fit::<f64, 4>::CHECKPOINT_BYTES];
    f.save(&mut buf).unwrap();
    let g = Fit::<f64, 4>::from_checkpoint(&buf).unwrap();
    assert_eq!(g.stats(), f.stats());
    assert_eq!(g.config(), f.config());
    assert_eq!(g.config().forget, 0.97);
    let mut again = vec![0u8; buf.len()];
    g.save(&mut again).unwrap();
    assert_eq!(again, buf);
    // f32, full-rank.
    let (x32, y32, w32) = (cast::<f32>(&xs), cast::<f32>(&ys), cast::<f32>(&ws));
    let cfg32 = Config {
        forget: 0.9f32,
        ..Config::default()
    };
    let mut h: FullFit<f32, 4> = FullFit::new(p, cfg32).unwrap();
    h.observe_rows_weighted(&x32, p, &y32, &w32).unwrap();
    h.solve_exact().unwrap();
    let mut buf = vec![0u8; FullFit::<f32, 4>::CHECKPOINT_BYTES];
    h.save(&mut buf).unwrap();
    let k = FullFit::<f32, 4>::from_checkpoint(&buf).unwrap();
    assert_eq!(k.stats(), h.stats());
    let mut again = vec![0u8; buf.len()];
    k.save(&mut again).unwrap();
    assert_eq!(again, buf);
}

/// Rows of integer weight k against the same rows repeated k times: the fits' optima (exact
/// mean-field, exact full-rank, SVI) agree to rounding, so the model's N is N_w.
#[test]
fn fits_of_weighted_rows_equal_fits_of_repeated_rows() {
    let p = 3;
    let (xs, ys) = rows(120, p, 8);
    let ws: Vec<f64> = (0..ys.len()).map(|i| (1 + i % 3) as f64).collect();
    let (mut rx, mut ry) = (Vec::new(), Vec::new());
    for i in 0..ys.len() {
        for _ in 0..ws[i] as usize {
            rx.extend_from_slice(&xs[i * p..(i + 1) * p]);
            ry.push(ys[i]);
        }
    }
    let cfg = Config {
        estimator: Estimator::Analytic,
        ..Config::default()
    };
    let mut a: Fit<f64, 4> = Fit::new(p, cfg).unwrap();
    a.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    let mut b: Fit<f64, 4> = Fit::new(p, cfg).unwrap();
    b.observe_rows(&rx, p, &ry).unwrap();
    assert_eq!(a.stats().effective_rows(), b.stats().rows() as f64);
    a.solve_exact().unwrap();
    b.solve_exact().unwrap();
    let (dm, ds) = distance(&a, &b);
    assert!(dm < 1e-9 && ds < 1e-9, "exact mean-field: {dm:e} {ds:e}");
    assert!((a.elbo() - b.elbo()).abs() < 1e-9 * b.elbo().abs());

    let mut fa: FullFit<f64, 4> = FullFit::new(p, cfg).unwrap();
    fa.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    let mut fb: FullFit<f64, 4> = FullFit::new(p, cfg).unwrap();
    fb.observe_rows(&rx, p, &ry).unwrap();
    fa.solve_exact().unwrap();
    fb.solve_exact().unwrap();
    let (pa, pb) = (fa.posterior().unwrap(), fb.posterior().unwrap());
    let k = p + 2;
    let (mut ca, mut cb) = (vec![0.0; k * k], vec![0.0; k * k]);
    pa.covariance_to(&mut ca).unwrap();
    pb.covariance_to(&mut cb).unwrap();
    let (mut la, mut lb) = ([0.0; 6], [0.0; 6]);
    pa.loc(&mut la);
    pb.loc(&mut lb);
    for i in 0..k {
        let sd = cb[i * k + i].sqrt();
        assert!((la[i] - lb[i]).abs() < 1e-8 * sd, "full-rank mean {i}");
        for j in 0..k {
            let s = (cb[i * k + i] * cb[j * k + j]).sqrt();
            assert!(
                (ca[i * k + j] - cb[i * k + j]).abs() < 1e-8 * s,
                "cov {i} {j}"
            );
        }
    }

    // SVI: the same ELBO at the same guides to rounding, so (analytic estimator) the same
    // path up to Adam's amplification of rounding in small gradients.
    let (mut sa, mut sb) = (a.clone(), b.clone());
    sa.reset_guide();
    sb.reset_guide();
    let (ea, eb) = (sa.elbo(), sb.elbo());
    assert!((ea - eb).abs() < 1e-12 * eb.abs(), "{ea} vs {eb}");
    sa.steps(3000).unwrap();
    sb.steps(3000).unwrap();
    let (dm, ds) = distance(&sa, &sb);
    assert!(dm < 1e-4 && ds < 1e-4, "SVI: {dm:e} {ds:e}");
    let (dm, _) = distance(&sa, &b);
    assert!(
        dm < 0.1,
        "SVI against the repeated rows' exact optimum: {dm}"
    );
}

/// A fit's SVI and exact solve with forgetting follow the recent rows: after the relation
/// changes, the forgetting fit's coefficients are those in force at the end.
#[test]
fn forgetting_fit_follows_a_change() {
    let p = 2;
    let n = 4000;
    let mut r = SplitMix64(5);
    let mut xs = vec![0.0; n * p];
    let mut ys = vec![0.0; n];
    for i in 0..n {
        let beta = if i < n / 2 { [1.0, -1.0] } else { [3.0, 0.5] };
        let (x0, x1) = (r.normal(), r.normal());
        xs[i * p] = x0;
        xs[i * p + 1] = x1;
        ys[i] = 0.5 + beta[0] * x0 + beta[1] * x1 + 0.2 * r.normal();
    }
    let forget = Config {
        forget: 0.99,
        ..Config::default()
    };
    let mut f: Fit<f64, 2> = Fit::new(p, forget).unwrap();
    f.observe_rows(&xs, p, &ys).unwrap();
    f.solve_exact().unwrap();
    let post = f.posterior().unwrap();
    for (j, truth) in [3.0, 0.5].iter().enumerate() {
        let s = post.beta(j).unwrap();
        assert!(
            (s.mean - truth).abs() < 3.0 * s.sd,
            "β{j}: {} ± {}",
            s.mean,
            s.sd
        );
    }
    let mut plain: Fit<f64, 2> = Fit::new(p, Config::default()).unwrap();
    plain.observe_rows(&xs, p, &ys).unwrap();
    plain.solve_exact().unwrap();
    let s = plain.posterior().unwrap().beta(0).unwrap();
    assert!(
        (s.mean - 3.0).abs() > 3.0 * s.sd,
        "the plain fit averages the change away"
    );
    // The forgetting fit's noise is the noise in force (0.2, ~100 rows' worth of evidence);
    // the plain fit's absorbs the change.
    assert!((f.stats().effective_rows() - 100.0).abs() < 1e-6);
    let (sf, sp) = (post.sigma(), plain.posterior().unwrap().sigma());
    assert!(
        (sf.mean - 0.2).abs() < 0.05,
        "σ with forgetting: {}",
        sf.mean
    );
    assert!(sp.mean > 0.5, "σ without: {}", sp.mean);
}

/// Resetting the data keeps the forgetting factor (it is configuration), as a fresh fit with
/// the fit's configuration would have it.
#[test]
fn reset_data_keeps_the_forgetting_factor() {
    let cfg = Config {
        forget: 0.9,
        ..Config::default()
    };
    let mut f: Fit<f64, 4> = Fit::new(2, cfg).unwrap();
    f.set_forget(0.8).unwrap();
    f.observe_weighted(&[1.0, 2.0], 3.0, 2.5).unwrap();
    f.reset_data();
    assert_eq!(f.stats().forget(), 0.8);
    assert_eq!(f.stats().rows(), 0);
    assert!(!f.stats().is_weighted());
    let fresh: Fit<f64, 4> = Fit::new(2, f.config()).unwrap();
    assert_eq!(fresh.stats(), f.stats());
}

/// The ELBO's gradient with N = N_w (weighted rows, then forgetting: a real, non-integer N)
/// against central finite differences of the same loss, every location and scale parameter.
#[test]
fn weighted_gradient_matches_finite_differences() {
    let p = 3;
    let (xs, ys) = rows(60, p, 12);
    let ws: Vec<f64> = (0..ys.len()).map(|i| 0.3 + (i % 4) as f64 * 0.7).collect();
    let cfg = Config {
        estimator: Estimator::Analytic,
        forget: 0.97,
        ..Config::default()
    };
    let mut f: Fit<f64, 4> = Fit::new(p, cfg).unwrap();
    f.observe_rows_weighted(&xs, p, &ys, &ws).unwrap();
    let nw = f.stats().effective_rows();
    assert!(nw.fract() != 0.0 && nw < ys.len() as f64);
    f.solve_exact().unwrap();
    // Away from the optimum, where the gradient is not ~0.
    let mut g0 = *f.guide();
    for i in 0..p + 2 {
        *g0.loc.get_mut(i, p) += 0.05 * (i as f64 + 1.0);
        *g0.rho.get_mut(i, p) -= 0.1;
    }
    f.set_guide(g0).unwrap();
    assert_gradient_matches_fd(&f, "weighted, forgetting");
}

/// The fit behind tests/fixtures/v3_forget_f32_p8.bin: weighted rows, forgetting changed
/// midway, a few SVI steps.
fn fixture_calls() -> Fit<f32, 8> {
    let p = 3;
    let (xs, ys) = rows(200, p, 31);
    let ws: Vec<f64> = (0..ys.len()).map(|i| 0.5 + (i % 3) as f64).collect();
    let (xs, ys, ws) = (cast::<f32>(&xs), cast::<f32>(&ys), cast::<f32>(&ws));
    let cfg = Config {
        forget: 0.98,
        ..Config::default()
    };
    let mut f: Fit<f32, 8> = Fit::new(p, cfg).unwrap();
    f.observe_rows_weighted(&xs[..100 * p], p, &ys[..100], &ws[..100])
        .unwrap();
    f.set_forget(0.95).unwrap();
    f.observe_rows(&xs[100 * p..], p, &ys[100..]).unwrap();
    f.steps(20).unwrap();
    f
}

/// A version-3 checkpoint with weights and forgetting, committed: this library and later ones
/// must keep reading it as the fit it was (γ, N_w and the summary), and on the hosts' kernels
/// the same calls give the same bytes.
#[test]
fn version_3_weighted_fixture_still_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v3_forget_f32_p8.bin");
    let ck = std::fs::read(&path).unwrap();
    assert_eq!(u16::from_le_bytes([ck[4], ck[5]]), 3);
    let f = Fit::<f32, 8>::from_checkpoint(&ck).unwrap();
    assert_eq!(f.stats().forget(), 0.95);
    assert!(f.stats().is_weighted());
    assert_eq!(f.stats().rows(), 200);
    let same = fixture_calls();
    let nw = (same.stats().effective_rows() - f.stats().effective_rows()).abs();
    assert!(nw <= 1e-4 * f.stats().effective_rows(), "N_w");
    if !cfg!(feature = "compact") {
        let mut buf = vec![0u8; Fit::<f32, 8>::CHECKPOINT_BYTES];
        same.save(&mut buf).unwrap();
        assert_eq!(buf, ck);
    }
}

/// Writes the fixture (run once when the format is made; the file is committed).
#[test]
#[ignore]
fn write_weighted_fixture() {
    let mut buf = vec![0u8; Fit::<f32, 8>::CHECKPOINT_BYTES];
    fixture_calls().save(&mut buf).unwrap();
    std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/v3_forget_f32_p8.bin"),
        buf,
    )
    .unwrap();
}
