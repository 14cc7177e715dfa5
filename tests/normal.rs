//! The ziggurat standard normal: moments and tail frequencies over millions of draws, in f32
//! and f64; uniform draws stay in the open interval.

#![allow(clippy::needless_range_loop)]

use vireg::{Normal, SeededRng};

fn moments<T: Normal>(n: usize, seed: u64) {
    let mut rng = SeededRng::new(seed);
    let (mut s1, mut s2, mut s3, mut s4) = (0.0f64, 0.0, 0.0, 0.0);
    let (mut gt2, mut gt3, mut gt4, mut lt_m3) = (0usize, 0usize, 0usize, 0usize);
    for _ in 0..n {
        let x = T::std_normal(&mut rng).to_f64();
        assert!(x.is_finite());
        s1 += x;
        s2 += x * x;
        s3 += x * x * x;
        s4 += x * x * x * x;
        gt2 += (x > 2.0) as usize;
        gt3 += (x > 3.0) as usize;
        gt4 += (x > 4.0) as usize;
        lt_m3 += (x < -3.0) as usize;
    }
    let nf = n as f64;
    let (m, v, sk, ku) = (s1 / nf, s2 / nf, s3 / nf, s4 / nf);
    // Standard errors: mean 1/√n, E[x²] √2/√n, E[x³] √15/√n, E[x⁴] √96/√n.
    let z = |d: f64, sd: f64| d.abs() / (sd / nf.sqrt());
    assert!(z(m, 1.0) < 5.0, "mean {m}");
    assert!(z(v - 1.0, 2f64.sqrt()) < 5.0, "variance {v}");
    assert!(z(sk, 15f64.sqrt()) < 5.0, "third moment {sk}");
    assert!(z(ku - 3.0, 96f64.sqrt()) < 5.0, "fourth moment {ku}");
    // Tails against Φ: P(X>2) = 0.022750, P(X>3) = 1.3499e-3, P(X>4) = 3.1671e-5.
    for (count, p) in [
        (gt2, 0.022750131948179),
        (gt3, 1.349898031630e-3),
        (lt_m3, 1.349898031630e-3),
        (gt4, 3.16712418e-5),
    ] {
        let expect = p * nf;
        let zz = (count as f64 - expect).abs() / expect.sqrt();
        assert!(zz < 5.0, "tail count {count} vs expected {expect} (p {p})");
    }
}

#[test]
fn normal_moments_and_tails_f64() {
    moments::<f64>(4_000_000, 1);
}

#[test]
fn normal_moments_and_tails_f32() {
    moments::<f32>(4_000_000, 2);
}

#[test]
fn deep_tail_is_reached() {
    // P(|X| > 4.5) ≈ 6.8e-6: over 4e6 draws about 27 should appear, through the tail algorithm.
    let mut rng = SeededRng::new(3);
    let n = (0..4_000_000)
        .filter(|_| f64::std_normal(&mut rng).abs() > 4.5)
        .count();
    assert!((10..60).contains(&n), "{n} draws beyond 4.5 sd");
}

#[test]
fn uniform_is_in_the_open_interval() {
    let mut rng = SeededRng::new(4);
    for _ in 0..1_000_000 {
        let u = f32::uniform_open(&mut rng);
        assert!(u > 0.0 && u < 1.0);
        let v = f64::uniform_open(&mut rng);
        assert!(v > 0.0 && v < 1.0);
    }
}

#[test]
fn generator_can_jump_to_any_position() {
    let mut a = SeededRng::new(99);
    for _ in 0..12345 {
        f64::std_normal(&mut a);
    }
    let mut b = SeededRng::at(99, a.draws());
    for _ in 0..100 {
        assert_eq!(
            f64::std_normal(&mut a).to_bits(),
            f64::std_normal(&mut b).to_bits()
        );
    }
}
