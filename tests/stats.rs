//! The Givens summary against a direct computation over all rows, merge against a single pass,
//! and rejection of bad rows leaving the summary untouched.

#![allow(clippy::needless_range_loop)]

mod common;
use common::*;
use vireg::{Error, Normal, Stats};

/// G = AᵀA, b = Aᵀy, yᵀy computed directly (f64, compensated sums) from raw rows.
fn direct(xs: &[f64], ys: &[f64], p: usize) -> (Vec<Vec<f64>>, Vec<f64>, f64) {
    let k = p + 1;
    let mut g = vec![vec![0.0; k]; k];
    let mut b = vec![0.0; k];
    let mut yy = 0.0;
    for (i, &y) in ys.iter().enumerate() {
        let a: Vec<f64> = std::iter::once(1.0)
            .chain(xs[i * p..(i + 1) * p].iter().copied())
            .collect();
        for r in 0..k {
            for c in 0..k {
                g[r][c] += a[r] * a[c];
            }
            b[r] += a[r] * y;
        }
        yy += y * y;
    }
    (g, b, yy)
}

fn check_against_direct<T: Normal>(tol: f64) {
    let p = 5;
    let (xs, ys, _) = seed_data::<T, 8>(700, p, 3);
    let mut s: Stats<T, 8> = Stats::new(p).unwrap();
    for i in 0..ys.len() {
        s.observe(&xs[i * p..(i + 1) * p], ys[i]).unwrap();
    }
    let xs64: Vec<f64> = xs.iter().map(|v| v.to_f64()).collect();
    let ys64: Vec<f64> = ys.iter().map(|v| v.to_f64()).collect();
    let (g, b, yy) = direct(&xs64, &ys64, p);
    assert_eq!(s.rows(), 700);
    for r in 0..=p {
        for c in 0..=p {
            let scale = (g[r][r] * g[c][c]).sqrt();
            let e = (s.gram_entry(r, c).to_f64() - g[r][c]).abs() / scale;
            assert!(e < tol, "G[{r}][{c}] rel err {e}");
        }
        let e = (s.xty_entry(r).to_f64() - b[r]).abs() / (g[r][r] * yy).sqrt();
        assert!(e < tol, "b[{r}] rel err {e}");
    }
    assert!((s.yty().to_f64() - yy).abs() / yy < tol);
    // sserr is the least-squares residual: compare with RSS at the direct normal-equation solution
    // (f64 Gaussian elimination is fine for these well-conditioned data).
    let k = p + 1;
    let mut m: Vec<Vec<f64>> = g.clone();
    let mut rhs = b.clone();
    for c in 0..k {
        for r in c + 1..k {
            let f = m[r][c] / m[c][c];
            for cc in c..k {
                m[r][cc] -= f * m[c][cc];
            }
            rhs[r] -= f * rhs[c];
        }
    }
    let mut th = vec![0.0; k];
    for r in (0..k).rev() {
        th[r] = (rhs[r] - (r + 1..k).map(|c| m[r][c] * th[c]).sum::<f64>()) / m[r][r];
    }
    let rss: f64 = ys64
        .iter()
        .enumerate()
        .map(|(i, y)| {
            let f = th[0] + (0..p).map(|j| th[j + 1] * xs64[i * p + j]).sum::<f64>();
            (y - f).powi(2)
        })
        .sum();
    let e = (s.sserr().to_f64() - rss).abs() / rss;
    assert!(
        e < tol * 100.0,
        "sserr rel err {e}: {} vs {rss}",
        s.sserr().to_f64()
    );
}

#[test]
fn statistics_match_direct_computation_f64() {
    check_against_direct::<f64>(1e-12);
}

#[test]
fn statistics_match_direct_computation_f32() {
    check_against_direct::<f32>(2e-5);
}

#[test]
fn merge_equals_single_pass() {
    let p = 4;
    let (xs, ys, _) = seed_data::<f64, 8>(1000, p, 11);
    let mut all: Stats<f64, 8> = Stats::new(p).unwrap();
    all.observe_rows(&xs, p, &ys).unwrap();
    let mut a: Stats<f64, 8> = Stats::new(p).unwrap();
    let mut b: Stats<f64, 8> = Stats::new(p).unwrap();
    a.observe_rows(&xs[..400 * p], p, &ys[..400]).unwrap();
    b.observe_rows(&xs[400 * p..], p, &ys[400..]).unwrap();
    a.merge(&b).unwrap();
    assert_eq!(a.rows(), all.rows());
    for r in 0..=p {
        for c in 0..=p {
            let (x, y) = (a.gram_entry(r, c), all.gram_entry(r, c));
            assert!((x - y).abs() <= 1e-12 * (a.gram_entry(r, r) * a.gram_entry(c, c)).sqrt());
        }
        assert!(
            (a.xty_entry(r) - all.xty_entry(r)).abs()
                <= 1e-11 * all.yty().sqrt() * all.gram_entry(r, r).sqrt()
        );
    }
    assert!((a.sserr() - all.sserr()).abs() / all.sserr() < 1e-10);
    // RSS anywhere agrees too.
    let th = vireg::Coefs {
        alpha: 1.0,
        beta: [0.5, -2.0, 3.0, 0.1, 0.0, 0.0, 0.0, 0.0],
    };
    assert!((a.rss(&th) - all.rss(&th)).abs() / all.rss(&th) < 1e-12);
    // Merging an empty summary changes nothing; a different p is refused.
    let before = a;
    a.merge(&Stats::new(p).unwrap()).unwrap();
    assert_eq!(a, before);
    assert_eq!(a.merge(&Stats::new(p + 1).unwrap()), Err(Error::Mismatch));
    assert_eq!(a, before);
}

#[test]
fn bad_rows_are_rejected_and_change_nothing() {
    let p = 3;
    let mut s: Stats<f32, 8> = Stats::new(p).unwrap();
    s.observe(&[1.0, 2.0, 3.0], 4.0).unwrap();
    let before = s;
    assert_eq!(s.observe(&[1.0, f32::NAN, 3.0], 1.0), Err(Error::NonFinite));
    assert_eq!(
        s.observe(&[1.0, 2.0, 3.0], f32::INFINITY),
        Err(Error::NonFinite)
    );
    assert_eq!(s.observe(&[1.0, 2.0], 1.0), Err(Error::Dimension));
    assert_eq!(s.observe(&[1.0, 2.0, 3.0, 4.0], 1.0), Err(Error::Dimension));
    // Finite values whose squares overflow f32.
    assert_eq!(s.observe(&[1e30, 0.0, 0.0], 1.0), Err(Error::Overflow));
    assert_eq!(s, before);
    // A batch is all or nothing, and names its first bad row.
    let xs = [1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 9.0, f32::NAN, 1.0];
    assert_eq!(
        s.observe_rows(&xs, 3, &[1.0, 2.0, 3.0]),
        Err((2, Error::NonFinite))
    );
    assert_eq!(
        s.observe_rows(&xs, 2, &[1.0, 2.0, 3.0]),
        Err((0, Error::Dimension))
    );
    assert_eq!(
        s.observe_rows(&xs[..8], 3, &[1.0, 2.0, 3.0]),
        Err((0, Error::Dimension))
    );
    assert_eq!(s, before);
    // A stride longer than p skips the padding.
    let padded = [1.0, 2.0, 3.0, f32::NAN, 0.5, 1.5, 2.5, f32::NAN];
    s.observe_rows(&padded, 4, &[1.0, 2.0]).unwrap();
    assert_eq!(s.rows(), 3);
    assert!(Stats::<f32, 8>::new(0).is_err() && Stats::<f32, 8>::new(9).is_err());
}

/// The row count cannot wrap: doubling a summary by merging it into itself reaches 2⁶³ rows,
/// then merges of 2⁶² … 2⁰ rows reach 2⁶⁴ − 1; one more row (alone, in a batch, or merged) is
/// refused with Overflow and the summary is unchanged.
#[test]
fn row_count_overflow_is_refused() {
    let mut pow: Vec<Stats<f64, 4>> = Vec::new(); // pow[k] summarises 2^k rows
    let mut s: Stats<f64, 4> = Stats::new(2).unwrap();
    s.observe(&[1.0, 2.0], 3.0).unwrap();
    pow.push(s);
    for _ in 0..63 {
        let copy = s;
        s.merge(&copy).unwrap();
        pow.push(s);
    }
    assert_eq!(s.rows(), 1u64 << 63);
    let copy = s;
    assert_eq!(s.merge(&copy), Err(Error::Overflow));
    assert_eq!(s, copy);
    for k in (0..63).rev() {
        s.merge(&pow[k]).unwrap();
    }
    assert_eq!(s.rows(), u64::MAX);
    let full = s;
    assert_eq!(s.observe(&[0.5, -1.0], 1.0), Err(Error::Overflow));
    assert_eq!(
        s.observe_rows(&[0.5, -1.0], 2, &[1.0]),
        Err((1, Error::Overflow))
    );
    assert_eq!(s.merge(&pow[0]), Err(Error::Overflow));
    assert_eq!(s, full);
    assert_eq!(s.observe_rows(&[], 2, &[]), Ok(()));
    assert_eq!(s, full);
}
