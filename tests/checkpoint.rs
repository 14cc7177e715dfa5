//! Checkpoints, through the Rust API and the C ABI, in f32 and f64:
//! * save → load is exact: the loaded fit saves to the same bytes, has the same posterior and
//!   draws, and k steps + save/load + m steps give the losses and draws of k + m uninterrupted
//!   steps;
//! * every single-bit flip and every truncation of a checkpoint is refused with the status its
//!   position calls for, and the target fit is unchanged (its save bytes, or the C state's bytes);
//! * a checkpoint of the other precision or another capacity is refused as incompatible;
//! * a checkpoint with a valid CRC but hostile content (every scalar NaN or ±∞ in turn, counts
//!   out of range, bad tags, negative variances, …) is refused with BadCheckpoint.
//!
//! Offsets come from the format table in src/checkpoint.rs (`robust::Layout`), not from the
//! code under test.

mod common;
mod robust;

use common::seed_data;
use robust::*;
use vireg::ffi::*;
use vireg::{Config, Error, Fit, FullFit, Normal};

fn cfg<T: Normal>() -> Config<T> {
    // A convergence check that never fires, so a run leaves a convergence window to save.
    Config {
        tol_rel_obj: T::c(1e-12),
        eval_every: 10,
        seed: 7,
        ..Config::default()
    }
}

fn data<T: Normal>(n: usize, p: usize, seed: u64) -> (Vec<T>, Vec<T>) {
    let (xs, ys, _) = seed_data::<f64, 16>(n, p, seed);
    (
        xs.iter().map(|v| T::c(*v)).collect(),
        ys.iter().map(|v| T::c(*v)).collect(),
    )
}

fn fit<T: Normal, const Q: usize>(p: usize, seed: u64) -> Fit<T, Q> {
    let (xs, ys) = data::<T>(200, p, seed);
    let mut f = Fit::new(p, cfg()).unwrap();
    f.observe_rows(&xs, p, &ys).unwrap();
    f
}

fn bits<T: Normal>(v: T) -> u64 {
    v.to_f64().to_bits()
}

fn draws<T: Normal, const Q: usize>(f: &mut Fit<T, Q>, n: usize) -> Vec<u64> {
    let d = f.features() + 2;
    let mut out = vec![T::c(0.0); d];
    let mut all = Vec::new();
    for _ in 0..n {
        f.draw(&mut out).unwrap();
        all.extend(out.iter().map(|v| bits(*v)));
    }
    all
}

fn losses<T: Normal, const Q: usize>(f: &mut Fit<T, Q>, n: usize) -> Vec<u64> {
    (0..n).map(|_| bits(f.step().unwrap())).collect()
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

fn round_trip<T: Normal, const Q: usize>(p: usize) {
    let mut a: Fit<T, Q> = fit(p, 1);
    // after a run: iterate average and convergence window are non-trivial
    let r = a.run(300, 0, |_, _| true).unwrap();
    assert!(r.averaged > 0);
    let ck = save(&a);
    assert_eq!(ck.len(), Layout::new(T::BYTES, Q).len);
    let mut b = Fit::<T, Q>::from_checkpoint(&ck).unwrap();
    assert_eq!(save(&b), ck, "the loaded fit saves to other bytes");
    assert_eq!(posterior_bits(&b), posterior_bits(&a));
    assert_eq!(bits(b.elbo()), bits(a.elbo()));
    assert_eq!(draws(&mut b, 7), draws(&mut a, 7));
    assert_eq!(losses(&mut b, 50), losses(&mut a, 50));
    assert_eq!(save(&a), save(&b));
    // a run continues identically, too
    let (ra, rb) = (a.run(200, 0, |_, _| true), b.run(200, 0, |_, _| true));
    assert_eq!(ra, rb);
    assert_eq!(save(&a), save(&b));

    // k steps, save, load into another fit, m steps == k + m uninterrupted steps
    let (k, m) = (37, 41);
    let mut whole: Fit<T, Q> = fit(p, 2);
    let all = losses(&mut whole, k + m);
    let mut first: Fit<T, Q> = fit(p, 2);
    assert_eq!(losses(&mut first, k), all[..k]);
    let ck = save(&first);
    let mut resumed: Fit<T, Q> = fit(1, 3); // another fit, replaced by the load
    resumed.load(&ck).unwrap();
    assert_eq!(losses(&mut resumed, m), all[k..]);
    assert_eq!(losses(&mut first, m), all[k..]);
    assert_eq!(save(&resumed), save(&whole));
    assert_eq!(save(&first), save(&whole));
    assert_eq!(draws(&mut resumed, 5), draws(&mut whole, 5));
}

#[test]
fn save_load_is_exact() {
    round_trip::<f64, 8>(8);
    round_trip::<f32, 8>(8);
    round_trip::<f64, 16>(3);
    round_trip::<f32, 1>(1);
    round_trip::<f32, 16>(16);
}

fn c_steps<T: Prec>(fit: &mut Buf, n: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            let mut loss = T::c(f64::NAN);
            // SAFETY: a valid state; `loss` is writable.
            assert_eq!(unsafe { T::step(fit.ptr(), 1, &mut loss) }, VIREG_OK);
            bits(loss)
        })
        .collect()
}

fn c_draws<T: Prec>(fit: &mut Buf, p: usize, n: usize) -> Vec<u64> {
    let mut out = vec![T::c(0.0); n * (p + 2)];
    // SAFETY: a valid state and a buffer of the length given.
    assert_eq!(
        unsafe { T::draw(fit.ptr(), out.as_mut_ptr(), n, out.len()) },
        VIREG_OK
    );
    out.iter().map(|v| bits(*v)).collect()
}

fn c_fit<T: Prec>(p: usize, seed: u64) -> Buf {
    let (xs, ys) = data::<T>(200, p, seed);
    let mut b = Buf::fit::<T>();
    let mut bad = 0usize;
    // SAFETY: valid buffers of the lengths given.
    unsafe {
        assert_eq!(T::init(b.ptr(), p, core::ptr::null()), VIREG_OK);
        let s = T::observe_rows(b.ptr(), xs.as_ptr(), ys.len(), p, p, ys.as_ptr(), &mut bad);
        assert_eq!(s, VIREG_OK);
    }
    b
}

fn c_load<T: Prec>(fit: &mut Buf, ck: &[u8]) -> i32 {
    // SAFETY: a state buffer and a checkpoint of the length given.
    unsafe { T::load(fit.ptr(), ck.as_ptr(), ck.len()) }
}

fn c_round_trip<T: Prec>() {
    let p = 5;
    let (k, m) = (23, 31);
    let mut whole = c_fit::<T>(p, 4);
    let all = c_steps::<T>(&mut whole, k + m);
    let mut first = c_fit::<T>(p, 4);
    assert_eq!(c_steps::<T>(&mut first, k), all[..k]);
    let ck = c_save::<T>(&first);
    // The same fit through the Rust API of the C capacity saves the same bytes.
    let mut rust: Fit<T, MAX_FEATURES> = {
        let (xs, ys) = data::<T>(200, p, 4);
        let mut f = Fit::new(p, Config::default()).unwrap();
        f.observe_rows(&xs, p, &ys).unwrap();
        f
    };
    assert_eq!(losses(&mut rust, k), all[..k]);
    assert_eq!(save(&rust), ck);
    // Load into garbage (a state never initialised, full of random bytes).
    let mut resumed = Buf::fit::<T>();
    for (i, w) in resumed.words.iter_mut().enumerate() {
        *w = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    }
    assert_eq!(c_load::<T>(&mut resumed, &ck), VIREG_OK);
    assert_eq!(c_save::<T>(&resumed), ck);
    assert_eq!(c_posterior::<T>(&resumed, p), c_posterior::<T>(&first, p));
    assert_eq!(c_steps::<T>(&mut resumed, m), all[k..]);
    assert_eq!(c_steps::<T>(&mut first, m), all[k..]);
    assert_eq!(c_save::<T>(&resumed), c_save::<T>(&whole));
    assert_eq!(c_save::<T>(&first), c_save::<T>(&whole));
    let want = c_draws::<T>(&mut whole, p, 6);
    assert_eq!(c_draws::<T>(&mut resumed, p, 6), want);
    assert_eq!(c_draws::<T>(&mut first, p, 6), want);
    // a longer buffer is accepted (only the checkpoint's length is read)
    let mut longer = ck.clone();
    longer.extend_from_slice(&[0xA5; 64]);
    let mut other = Buf::fit::<T>();
    assert_eq!(c_load::<T>(&mut other, &longer), VIREG_OK);
    assert_eq!(c_save::<T>(&other), ck);
}

#[test]
fn c_abi_save_load_is_exact() {
    c_round_trip::<f32>();
    c_round_trip::<f64>();
}

// ---------------------------------------------------------------------------------------------
// Corruption
// ---------------------------------------------------------------------------------------------

/// The status a checkpoint with bit `b` flipped in byte `i` must be refused with.
fn flip_status(i: usize, b: u32) -> Error {
    match i {
        0..=5 => Error::BadCheckpoint, // magic, version
        // flags: bit 0 (fitted) is a valid flag, caught by the checksum; bit 1 names the other
        // guide family; the others are unknown
        7 if b == 0 => Error::Checksum,
        7 if b == 1 => Error::Incompatible,
        7 => Error::BadCheckpoint,
        6 | 8..=11 => Error::Incompatible, // scalar width, capacity
        12..=15 => Error::BadCheckpoint,   // total length
        _ => Error::Checksum,
    }
}

fn bit_flips<T: Normal, const Q: usize>() -> usize {
    let mut src: Fit<T, Q> = fit(Q.min(6), 5);
    src.run(100, 0, |_, _| true).unwrap();
    let ck = save(&src);
    let mut target: Fit<T, Q> = fit(1, 6);
    target.steps(3).unwrap();
    let before = save(&target);
    let mut buf = ck.clone();
    for i in 0..ck.len() {
        for b in 0..8 {
            buf[i] ^= 1 << b;
            let r = target.load(&buf);
            assert_eq!(r, Err(flip_status(i, b)), "bit {b} of byte {i}");
            assert!(Fit::<T, Q>::from_checkpoint(&buf).is_err());
            buf[i] ^= 1 << b;
        }
        // the target is compared every byte (8 flips), and at the end
        if i % 64 == 0 {
            assert_eq!(save(&target), before, "byte {i}");
        }
    }
    assert_eq!(save(&target), before);
    assert_eq!(buf, ck);
    8 * ck.len()
}

#[test]
fn every_bit_flip_is_refused() {
    let n = bit_flips::<f64, 8>() + bit_flips::<f32, 8>() + bit_flips::<f64, 3>();
    println!("{n} single-bit flips refused (Rust API)");
}

fn c_bit_flips<T: Prec>() -> usize {
    let mut src = c_fit::<T>(4, 8);
    c_steps::<T>(&mut src, 10);
    let ck = c_save::<T>(&src);
    let mut target = c_fit::<T>(2, 9);
    c_steps::<T>(&mut target, 3);
    let before = target.bytes();
    let mut buf = ck.clone();
    for i in 0..ck.len() {
        for b in 0..8 {
            buf[i] ^= 1 << b;
            let s = c_load::<T>(&mut target, &buf);
            assert_eq!(s, flip_status(i, b) as i32, "bit {b} of byte {i}");
            assert!(
                target.bytes() == before,
                "bit {b} of byte {i}: the state changed"
            );
            buf[i] ^= 1 << b;
        }
    }
    // and into a zero-filled (not initialised) state, which stays so
    let mut zero = Buf::fit::<T>();
    for i in (0..ck.len()).step_by(7) {
        buf[i] ^= 0x10;
        assert_ne!(c_load::<T>(&mut zero, &buf), VIREG_OK);
        buf[i] ^= 0x10;
    }
    assert!(zero.words.iter().all(|w| *w == 0));
    8 * ck.len()
}

#[test]
fn c_abi_every_bit_flip_is_refused() {
    let n = c_bit_flips::<f32>() + c_bit_flips::<f64>();
    println!("{n} single-bit flips refused (C ABI)");
}

fn truncations<T: Normal, const Q: usize>() -> usize {
    let src: Fit<T, Q> = fit(Q.min(4), 10);
    let ck = save(&src);
    let mut target: Fit<T, Q> = fit(1, 11);
    let before = save(&target);
    for len in 0..ck.len() {
        assert_eq!(
            target.load(&ck[..len]),
            Err(Error::Truncated),
            "length {len}"
        );
    }
    assert_eq!(save(&target), before);
    ck.len()
}

fn c_truncations<T: Prec>() -> usize {
    let ck = c_save::<T>(&c_fit::<T>(3, 12));
    let mut target = c_fit::<T>(2, 13);
    let before = target.bytes();
    for len in 0..ck.len() {
        // SAFETY: the buffer holds at least `len` bytes.
        let s = unsafe { T::load(target.ptr(), ck.as_ptr(), len) };
        assert_eq!(s, VIREG_ERR_TRUNCATED, "length {len}");
        assert!(target.bytes() == before, "length {len}");
    }
    ck.len()
}

#[test]
fn every_truncation_is_refused() {
    let n = truncations::<f64, 8>()
        + truncations::<f32, 8>()
        + c_truncations::<f32>()
        + c_truncations::<f64>();
    println!("{n} truncations refused");
}

#[test]
fn other_precisions_and_capacities_are_incompatible() {
    let cks = [
        save(&fit::<f64, 8>(3, 1)),
        save(&fit::<f64, 16>(3, 1)),
        save(&fit::<f32, 8>(3, 1)),
        save(&fit::<f32, 16>(3, 1)),
        save(&fit::<f64, 9>(3, 1)),
    ];
    fn check<T: Normal, const Q: usize>(cks: &[Vec<u8>], own: usize) {
        let mut target: Fit<T, Q> = fit(2, 2);
        let before = save(&target);
        for (i, ck) in cks.iter().enumerate() {
            let r = target.load(ck);
            if i == own {
                assert_eq!(r, Ok(()));
                target = fit(2, 2);
            } else {
                assert_eq!(r, Err(Error::Incompatible), "checkpoint {i} into {own}");
                assert_eq!(save(&target), before);
            }
        }
    }
    check::<f64, 8>(&cks, 0);
    check::<f64, 16>(&cks, 1);
    check::<f32, 8>(&cks, 2);
    check::<f32, 16>(&cks, 3);
    check::<f64, 9>(&cks, 4);

    // C ABI: the other family's checkpoint, and checkpoints of other capacities
    let c32 = c_save::<f32>(&c_fit::<f32>(3, 1));
    let c64 = c_save::<f64>(&c_fit::<f64>(3, 1));
    let mut t32 = c_fit::<f32>(2, 2);
    let mut t64 = c_fit::<f64>(2, 2);
    let (b32, b64) = (t32.bytes(), t64.bytes());
    assert_eq!(c_load::<f32>(&mut t32, &c64), VIREG_ERR_INCOMPATIBLE);
    assert_eq!(c_load::<f64>(&mut t64, &c32), VIREG_ERR_INCOMPATIBLE);
    assert_eq!(
        MAX_FEATURES, 16,
        "the list below assumes the default capacity"
    );
    for (i, ck) in cks.iter().enumerate() {
        if i != 3 {
            assert_eq!(c_load::<f32>(&mut t32, ck), VIREG_ERR_INCOMPATIBLE);
        }
        if i != 1 {
            assert_eq!(c_load::<f64>(&mut t64, ck), VIREG_ERR_INCOMPATIBLE);
        }
    }
    assert!(t32.bytes() == b32 && t64.bytes() == b64);
}

// ---------------------------------------------------------------------------------------------
// Hostile content with a valid checksum
// ---------------------------------------------------------------------------------------------

/// Applies `edit` to a copy of `ck`, reseals it, and checks that a load is refused with
/// `want` and leaves the target as it was (Rust API and, for the C capacity, the C ABI).
fn hostile<T: Normal, const Q: usize>(
    ck: &[u8],
    target: &mut Fit<T, Q>,
    want: Error,
    what: &str,
    edit: impl FnOnce(&mut [u8]),
) {
    let l = Layout::new(T::BYTES, Q);
    let mut bad = ck.to_vec();
    edit(&mut bad);
    assert_ne!(bad, ck, "{what}: the edit changed nothing");
    l.reseal(&mut bad);
    let before = save(target);
    assert_eq!(target.load(&bad), Err(want), "{what}");
    assert_eq!(save(target), before, "{what}");
}

fn hostile_content<T: Normal, const Q: usize>() -> usize {
    let l = Layout::new(T::BYTES, Q);
    let w = T::BYTES;
    let p = Q.min(4);
    let mut src: Fit<T, Q> = fit(p, 20);
    // 5 blocks of 10 steps: 4 entries in the convergence window of 8
    src.run(50, 0, |_, _| true).unwrap();
    let ck = save(&src);
    let mut target: Fit<T, Q> = fit(1, 21);
    let bad = Error::BadCheckpoint;
    let mut n = 0;
    let f = |name: &str| l.field(name).off;

    // the resealed, unedited checkpoint loads: the edits below are what is refused
    let mut ok = ck.clone();
    l.reseal(&mut ok);
    assert_eq!(ok, ck);

    // header fields with a valid CRC
    hostile(&ck, &mut target, bad, "version 4", |b| b[4] = 4);
    hostile(&ck, &mut target, bad, "version 0", |b| b[4] = 0);
    hostile(&ck, &mut target, bad, "unknown flag", |b| b[7] = 4);
    hostile(
        &ck,
        &mut target,
        Error::Incompatible,
        "full-rank flag",
        |b| b[7] |= 2,
    );
    hostile(&ck, &mut target, bad, "unknown flags", |b| b[7] = 0x81);
    hostile(&ck, &mut target, bad, "total length", |b| {
        put_u32(b, 12, l.len as u32 + 4)
    });
    n += 6;

    // every scalar, in turn, NaN, +inf, -inf
    for fld in l.fields().iter().filter(|f| f.kind == Kind::Real) {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut e = ck.clone();
            put_real(&mut e, fld.off, w, v);
            l.reseal(&mut e);
            let r = Fit::<T, Q>::from_checkpoint(&e).map(|_| ());
            let accepted = v == f64::INFINITY
                && matches!(
                    fld.name,
                    "adam.clip" | "last_elbo" | "adam.v" | "prev.adam.v"
                );
            if accepted {
                assert_eq!(r, Ok(()), "{} = {v}", fld.name);
            } else {
                hostile(&ck, &mut target, bad, fld.name, |b| {
                    put_real(b, fld.off, w, v)
                });
            }
            n += 1;
        }
    }

    // feature count 0, above the capacity, huge
    for v in [0, Q as u32 + 1, u32::MAX] {
        hostile(&ck, &mut target, bad, "p", |b| put_u32(b, f("stats.p"), v));
        n += 1;
    }
    // negative diagonal weights (used and unused slots) and residual sum of squares
    let d = f("stats.d");
    for j in [0, 1, Q] {
        hostile(&ck, &mut target, bad, "d < 0", |b| {
            put_real(b, d + j * w, w, -1.0)
        });
        n += 1;
    }
    hostile(&ck, &mut target, bad, "sserr < 0", |b| {
        put_real(b, f("stats.sserr"), w, -1.0)
    });
    // R̄ beyond its strict upper triangle (row 1, column 0): anything but +0 is refused, −0 too
    let below = f("stats.rbar") + Q * w;
    for v in [1.0, -0.0] {
        hostile(&ck, &mut target, bad, "R̄ below its diagonal", |b| {
            put_real(b, below, w, v)
        });
        n += 1;
    }
    // forgetting factors outside (0, 1], weight fields that disagree with the flag
    for g in [0.0, -0.5, 1.5] {
        hostile(&ck, &mut target, bad, "forget", |b| {
            put_real(b, f("stats.forget"), w, g)
        });
        n += 1;
    }
    hostile(&ck, &mut target, bad, "N_w of an unweighted summary", |b| {
        put_real(b, f("stats.nw"), w, 3.0)
    });
    hostile(&ck, &mut target, bad, "N_w < 0", |b| {
        put_real(b, f("stats.wmax"), w, 1.0);
        put_real(b, f("stats.nw"), w, -1.0)
    });
    hostile(&ck, &mut target, bad, "largest weight < 0", |b| {
        put_real(b, f("stats.wmax"), w, -1.0)
    });
    n += 3;
    // estimator tags
    for (tag, k) in [(2u32, 1u32), (1, 1), (0, 0), (u32::MAX, 0)] {
        hostile(&ck, &mut target, bad, "estimator", |b| {
            put_u32(b, f("estimator.tag"), tag);
            put_u32(b, f("estimator.particles"), k);
        });
        n += 1;
    }
    // configuration values out of their ranges
    for (name, v) in [
        ("prior.intercept", 0.0),
        ("prior.coef", -1.0),
        ("prior.noise", 0.0),
        ("init_scale", 0.0),
        ("adam.lr", 0.0),
        ("adam.beta1", 1.0),
        ("adam.beta2", -0.5),
        ("adam.eps", -1.0),
        ("adam.clip", 0.0),
        ("adam.lrd", 1.5),
        ("tol_rel_obj", -1.0),
        ("average_fraction", 1.0),
        ("final_lr_scale", 0.0),
        ("final_lr_scale", 2.0),
    ] {
        hostile(&ck, &mut target, bad, name, |b| put_real(b, f(name), w, v));
        n += 1;
    }
    hostile(&ck, &mut target, bad, "eval_every 0", |b| {
        put_u32(b, f("eval_every"), 0)
    });
    // optimiser: learning rate < 0, negative second moments (own and restore point)
    hostile(&ck, &mut target, bad, "adam lr < 0", |b| {
        put_real(b, f("adam.lr_now"), w, -1e-3)
    });
    hostile(&ck, &mut target, bad, "adam v < 0", |b| {
        put_real(b, f("adam.v"), w, -1e-3)
    });
    hostile(&ck, &mut target, bad, "prev adam v < 0", |b| {
        put_real(b, f("prev.adam.v"), w, -1e-3)
    });
    hostile(&ck, &mut target, bad, "prev adam lr < 0", |b| {
        put_real(b, f("prev.adam.lr_now"), w, -1.0)
    });
    // generator seed not the configuration's
    hostile(&ck, &mut target, bad, "rng seed", |b| {
        put_u64(b, f("rng.seed"), 8)
    });
    // convergence window: too long, negative entry, junk in an unused slot
    hostile(&ck, &mut target, bad, "history len", |b| {
        put_u32(b, f("history.len"), 9)
    });
    let hl = u32::from_le_bytes(ck[f("history.len")..][..4].try_into().unwrap()) as usize;
    assert!(
        hl > 0 && hl < vireg::CONVERGENCE_WINDOW,
        "window length {hl}"
    );
    hostile(&ck, &mut target, bad, "window < 0", |b| {
        put_real(b, f("history.window"), w, -1.0)
    });
    hostile(&ck, &mut target, bad, "unused window slot", |b| {
        put_real(b, f("history.window") + w * hl, w, 1.0)
    });
    // counters no real fit can reach by counting (the next increment could overflow: a panic
    // in a debug build); 2^63 - 1 is still accepted
    for name in ["rng.draws", "adam.step", "prev.adam.step", "avg.count"] {
        for v in [u64::MAX, 1 << 63] {
            hostile(&ck, &mut target, bad, name, |b| put_u64(b, f(name), v));
            n += 1;
        }
        let mut e = ck.clone();
        put_u64(&mut e, f(name), (1 << 63) - 1);
        l.reseal(&mut e);
        assert!(Fit::<T, Q>::from_checkpoint(&e).is_ok(), "{name}");
    }
    n + 16
}

#[test]
fn hostile_checkpoints_with_a_valid_crc_are_refused() {
    let n = hostile_content::<f64, 8>()
        + hostile_content::<f32, 8>()
        + hostile_content::<f64, MAX_FEATURES>()
        + hostile_content::<f32, 3>();
    println!("{n} hostile checkpoints refused");
}

/// The same through the C ABI: the state is byte for byte unchanged.
fn c_hostile<T: Prec>() {
    let l = Layout::new(T::BYTES, MAX_FEATURES);
    let w = T::BYTES;
    let ck = c_save::<T>(&c_fit::<T>(3, 30));
    let mut target = c_fit::<T>(2, 31);
    let before = target.bytes();
    let mut refused = 0;
    for fld in l.fields().iter().filter(|f| f.kind == Kind::Real) {
        if matches!(fld.name, "adam.clip" | "last_elbo") {
            continue;
        }
        let mut e = ck.clone();
        put_real(&mut e, fld.off, w, f64::NAN);
        l.reseal(&mut e);
        assert_eq!(
            c_load::<T>(&mut target, &e),
            VIREG_ERR_BAD_CHECKPOINT,
            "{}",
            fld.name
        );
        refused += 1;
    }
    let mut e = ck.clone();
    put_u32(&mut e, l.field("stats.p").off, 0);
    l.reseal(&mut e);
    assert_eq!(c_load::<T>(&mut target, &e), VIREG_ERR_BAD_CHECKPOINT);
    assert!(target.bytes() == before);
    assert!(refused > 100);
}

#[test]
fn c_abi_hostile_checkpoints_are_refused() {
    c_hostile::<f32>();
    c_hostile::<f64>();
}

/// A learning rate decayed to zero (Pyro's `lrd` < 1 over many steps) is a legitimate state:
/// its checkpoint loads, and the loaded fit continues exactly (found by `cargo fuzz`).
fn decayed_rate_round_trips<T: Normal>() {
    let mut c: Config<T> = cfg();
    c.adam.lrd = T::c(0.5);
    let (xs, ys) = data::<T>(50, 2, 3);
    let mut f: Fit<T, 4> = Fit::new(2, c).unwrap();
    f.observe_rows(&xs, 2, &ys).unwrap();
    f.steps(2000).unwrap();
    let mut buf = vec![0u8; Fit::<T, 4>::CHECKPOINT_BYTES];
    f.save(&mut buf).unwrap();
    let mut g = Fit::<T, 4>::from_checkpoint(&buf).unwrap();
    let mut again = vec![0u8; buf.len()];
    g.save(&mut again).unwrap();
    assert_eq!(buf, again);
    assert_eq!(losses(&mut f, 5), losses(&mut g, 5));
}

#[test]
fn a_decayed_learning_rate_round_trips() {
    decayed_rate_round_trips::<f32>();
    decayed_rate_round_trips::<f64>();
}

/// A gradient beyond √MAX makes an Adam second moment +∞ (that parameter then stops moving; the
/// step is not a divergence: loss and parameters stay finite). The fit must still round-trip
/// through a checkpoint (found by `cargo fuzz`: f32, x = 0, y = 1e18, a row now refused by the
/// summary's limit; 2⁴⁰ rows of y = 1e10, Σy ≈ 1.1e22, give such a gradient within it).
#[test]
fn an_infinite_second_moment_round_trips() {
    let mut f: Fit<f32, 4> = Fit::new(1, Config::default()).unwrap();
    f.observe(&[0.0], 1e10).unwrap();
    for _ in 0..40 {
        let s = *f.stats();
        f.merge(&s).unwrap();
    }
    let infinities = |b: &[u8]| {
        b.windows(4)
            .filter(|w| *w == f32::INFINITY.to_le_bytes())
            .count()
    };
    let mut buf = vec![0u8; Fit::<f32, 4>::CHECKPOINT_BYTES];
    f.save(&mut buf).unwrap();
    let before = infinities(&buf);
    f.step().unwrap();
    f.save(&mut buf).unwrap();
    assert!(infinities(&buf) > before, "no second moment became +inf");
    let mut g = Fit::<f32, 4>::from_checkpoint(&buf).unwrap();
    let mut again = vec![0u8; buf.len()];
    g.save(&mut again).unwrap();
    assert_eq!(buf, again);
    assert_eq!(losses(&mut f, 3), losses(&mut g, 3));
}

// ---------------------------------------------------------------------------------------------
// Truncation versus other short buffers, the fitted flag, and version 1
// ---------------------------------------------------------------------------------------------

#[test]
fn a_short_buffer_that_is_not_a_checkpoint_is_bad_not_truncated() {
    for bytes in [&b"X"[..], b"VIRX", b"abcdefgh", b"VIRGX"] {
        assert_eq!(
            Fit::<f64, 8>::from_checkpoint(bytes).unwrap_err(),
            if bytes.starts_with(b"VIRG") {
                Error::Truncated
            } else {
                Error::BadCheckpoint
            },
            "{bytes:?}"
        );
    }
    for bytes in [&b""[..], b"V", b"VI", b"VIR", b"VIRG"] {
        assert_eq!(
            Fit::<f64, 8>::from_checkpoint(bytes).unwrap_err(),
            Error::Truncated
        );
    }
    assert_eq!(
        Error::Truncated.as_str(),
        "checkpoint truncated: fewer bytes than its header records"
    );
    assert_eq!(
        Error::Checksum.as_str(),
        "checkpoint checksum mismatch (corrupted bytes)"
    );
}

/// Whether a fit is fitted survives a round trip, each way it can be reached.
fn fitted_round_trips<T: Normal, const Q: usize>() {
    let mut f: Fit<T, Q> = fit(2, 3);
    let reload = |f: &Fit<T, Q>| Fit::<T, Q>::from_checkpoint(&save(f)).unwrap();
    assert!(!f.is_fitted() && !reload(&f).is_fitted());
    assert_eq!(reload(&f).posterior().unwrap_err(), Error::NotFitted);
    f.steps(2).unwrap();
    assert!(f.is_fitted() && reload(&f).is_fitted());
    f.reset_guide();
    assert!(!f.is_fitted() && !reload(&f).is_fitted());
    f.solve_exact().unwrap();
    assert!(reload(&f).is_fitted());
    // a fit given its starting guess back by set_guide is fitted: the user chose that guide
    f.reset_guide();
    let g = *f.guide();
    f.set_guide(g).unwrap();
    assert!(reload(&f).is_fitted());
    assert_eq!(reload(&f), f);
}

#[test]
fn the_fitted_flag_round_trips() {
    fitted_round_trips::<f64, 8>();
    fitted_round_trips::<f32, 3>();
}

/// A version-1 checkpoint (the format of vireg 0.1.0, before the fitted flag), and whether the
/// fit it holds must load as fitted.
fn v1_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads a version-1 checkpoint; checks the fitted flag derived, and that saving it again gives
/// the same bytes but for the version, the flags and the checksum (the payload is unchanged).
fn load_v1<T: Normal, const Q: usize>(name: &str, fitted: bool) -> Fit<T, Q> {
    let v1 = v1_fixture(name);
    assert_eq!(&v1[..4], b"VIRG");
    assert_eq!(u16::from_le_bytes([v1[4], v1[5]]), 1, "{name} is version 1");
    assert_eq!(v1[7], 0);
    let f = Fit::<T, Q>::from_checkpoint(&v1).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(f.is_fitted(), fitted, "{name}");
    assert_eq!(f.stats().forget(), T::c(1.0));
    assert!(!f.stats().is_weighted());
    // Saved again: the same bytes in version 3 (the unweighted summary's weight fields
    // inserted), with the fitted flag.
    let v3 = save(&f);
    let mut want = upgraded(&v1, T::BYTES, Q);
    want[7] = u8::from(fitted);
    let n = want.len();
    let crc = vireg::crc32(&want[..n - 4]);
    want[n - 4..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(v3, want, "{name}");
    assert_eq!(
        u16::from_le_bytes([v3[4], v3[5]]),
        vireg::CHECKPOINT_VERSION
    );
    // and the C ABI reads it too when its capacity is the fixture's
    f
}

#[test]
fn version_1_checkpoints_still_load() {
    // No fit: rows observed only; then after a reset (the starting guess again).
    let f = load_v1::<f64, 8>("v1_f64_p8_observed.bin", false);
    assert_eq!(f.posterior().unwrap_err(), Error::NotFitted);
    assert_eq!(f.stats().rows(), 50);
    load_v1::<f64, 8>("v1_f64_p8_reset.bin", false);
    // Solved exactly (the optimiser reset: fitted because the guide moved).
    let f = load_v1::<f64, 8>("v1_f64_p8_solved.bin", true);
    assert!(f.posterior().unwrap().sigma().sd > 0.0);
    // SVI steps, and a run with an iterate average.
    let mut f = load_v1::<f32, 8>("v1_f32_p8_steps.bin", true);
    load_v1::<f32, 8>("v1_f32_p8_run.bin", true);
    // The loaded fit goes on as a fit built by the same calls today would (SVI has not
    // changed between the versions): 25 steps, then the same next losses.
    let mut same: Fit<f32, 8> = Fit::new(2, Config::default()).unwrap();
    let mut s: vireg::Synth<f32, 8> = vireg::Synth::new(2, 2).unwrap();
    let mut x = [0.0f32; 2];
    for _ in 0..40 {
        let y = s.next_row(&mut x).unwrap();
        same.observe(&x, y).unwrap();
    }
    same.steps(25).unwrap();
    if cfg!(feature = "compact") {
        // The fixture was written with the hosts' kernels; the compact ones (src/math/, each
        // within 4ε of the hosts') round differently, so 25 Adam steps later the guide is the
        // same but for the last bits: within 2⁻¹⁸ = 32ε relative (measured: 1.1·10⁻⁷, one unit
        // of the last place), and so are the next losses (measured: the same bits). The summary
        // holds no kernel's output: bit for bit.
        assert_eq!(same.stats(), f.stats());
        let (a, b) = (same.guide(), f.guide());
        let worst = (0..4)
            .flat_map(|i| {
                [
                    (a.loc.get(i, 2), b.loc.get(i, 2)),
                    (a.rho.get(i, 2), b.rho.get(i, 2)),
                ]
            })
            .map(|(x, y)| ((x - y) / y).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1.0 / 262_144.0,
            "guide {worst:e} from the fixture's"
        );
        for (x, y) in losses(&mut f, 5).into_iter().zip(losses(&mut same, 5)) {
            let (x, y) = (f64::from_bits(x), f64::from_bits(y));
            assert!(((x - y) / y).abs() <= 1.0 / 262_144.0, "loss {x} vs {y}");
        }
    } else {
        assert_eq!(save(&same)[8..], save(&f)[8..]);
        assert_eq!(losses(&mut f, 5), losses(&mut same, 5));
    }
    // Other versions are refused.
    let mut v = v1_fixture("v1_f64_p8_solved.bin");
    v[4] = 3;
    assert_eq!(
        Fit::<f64, 8>::from_checkpoint(&v).unwrap_err(),
        Error::BadCheckpoint
    );
    // A version-1 checkpoint with a flag set is not one this library wrote.
    let mut v = v1_fixture("v1_f64_p8_solved.bin");
    v[7] = 1;
    let n = v.len();
    let crc = vireg::crc32(&v[..n - 4]).to_le_bytes();
    v[n - 4..].copy_from_slice(&crc);
    assert_eq!(
        Fit::<f64, 8>::from_checkpoint(&v).unwrap_err(),
        Error::BadCheckpoint
    );
}

// ---------------------------------------------------------------------------------------------
// The full-rank fit (FullFit): the same format, flag bit 1 set, the guide-shaped values with
// their whole `tril` triangle (P + 2 rows of P + 1)
// ---------------------------------------------------------------------------------------------

/// Byte offsets of a full-rank checkpoint, from the format table in src/checkpoint.rs: the
/// mean-field layout with every guide-shaped value (guide, Adam's m and v, the average's mean,
/// the last good guide, its Adam's m and v) grown by the `tril` triangle's (P+2)·(P+1).
struct FullLayout {
    w: usize,
    cap: usize,
    /// Start of each guide-shaped value, and whether it holds second moments (Adam's v).
    guides: Vec<(&'static str, usize, bool)>,
    len: usize,
    crc: usize,
}

impl FullLayout {
    fn new(w: usize, cap: usize) -> Self {
        let d = cap + 2;
        let guide = w * (2 * d + d * (d - 1));
        let adam = 8 + 3 * w + 2 * guide;
        let stats_len = 4 + 8 + 2 * w * (1 + cap) + w * cap * cap + w + weight_fields(w);
        let g = 16 + 13 * w + 20 + stats_len;
        let a = g + guide;
        let rng = a + adam;
        let avg = rng + 16;
        let prev = avg + 8 + guide;
        let prev_adam = prev + guide;
        let history = prev_adam + adam;
        let crc = history + 4 + w * vireg::CONVERGENCE_WINDOW + w;
        let m = |a: usize| a + 8 + 3 * w;
        FullLayout {
            w,
            cap,
            guides: vec![
                ("guide", g, false),
                ("adam.m", m(a), false),
                ("adam.v", m(a) + guide, true),
                ("avg.mean", avg + 8, false),
                ("prev.guide", prev, false),
                ("prev.adam.m", m(prev_adam), false),
                ("prev.adam.v", m(prev_adam) + guide, true),
            ],
            len: crc + 4,
            crc,
        }
    }
    /// Offset of `tril`'s stored entry (row, column), memory order, in the value at `start`.
    fn tril(&self, start: usize, row: usize, col: usize) -> usize {
        let d = self.cap + 2;
        start + self.w * (2 * d + row * (d - 1) + col)
    }
    fn reseal(&self, ck: &mut [u8]) {
        let crc = vireg::crc32(&ck[..self.crc]);
        ck[self.crc..self.crc + 4].copy_from_slice(&crc.to_le_bytes());
    }
}

fn full_fit<T: Normal, const Q: usize>(p: usize, seed: u64, c: Config<T>) -> FullFit<T, Q> {
    let (xs, ys) = data::<T>(200, p, seed);
    let mut f = FullFit::new(p, c).unwrap();
    f.observe_rows(&xs, p, &ys).unwrap();
    f
}

fn save_full<T: Normal, const Q: usize>(f: &FullFit<T, Q>) -> Vec<u8> {
    let mut ck = vec![0u8; FullFit::<T, Q>::CHECKPOINT_BYTES];
    assert_eq!(f.save(&mut ck), Ok(ck.len()));
    ck
}

fn full_losses<T: Normal, const Q: usize>(f: &mut FullFit<T, Q>, n: usize) -> Vec<u64> {
    (0..n).map(|_| bits(f.step().unwrap())).collect()
}

fn full_draws<T: Normal, const Q: usize>(f: &mut FullFit<T, Q>, n: usize) -> Vec<u64> {
    let mut out = vec![T::c(0.0); n * (f.features() + 2)];
    assert_eq!(f.draws(&mut out), Ok(n));
    out.iter().map(|v| bits(*v)).collect()
}

/// Every entry of the posterior's covariance and location, as bits.
fn full_posterior_bits<T: Normal, const Q: usize>(f: &FullFit<T, Q>) -> Vec<u64> {
    let post = f.posterior().unwrap();
    let d = f.features() + 2;
    let mut loc = vec![T::c(0.0); d];
    let mut cov = vec![T::c(0.0); d * d];
    post.loc(&mut loc);
    post.covariance_to(&mut cov).unwrap();
    loc.iter().chain(&cov).map(|v| bits(*v)).collect()
}

fn full_round_trip<T: Normal, const Q: usize>(p: usize, c: Config<T>) {
    let l = FullLayout::new(T::BYTES, Q);
    assert_eq!(FullFit::<T, Q>::CHECKPOINT_BYTES, l.len);
    // The mean-field layout plus the seven guide-shaped values' triangles.
    let grown = Layout::new(T::BYTES, Q).len + 7 * T::BYTES * (Q + 2) * (Q + 1);
    assert_eq!(l.len, grown);

    // after a run: iterate average and convergence window are non-trivial
    let mut a: FullFit<T, Q> = full_fit(p, 1, c);
    let r = a.run(300, 0, |_, _| true).unwrap();
    assert!(r.averaged > 0);
    let ck = save_full(&a);
    assert_eq!(&ck[..4], b"VIRG");
    assert_eq!(u16::from_le_bytes([ck[4], ck[5]]), 3);
    // fitted and full-rank: a version-2 reader (no flag but bit 0) would refuse it even in
    // version 2
    assert_eq!(ck[7], 0b11);
    let mut b = FullFit::<T, Q>::from_checkpoint(&ck).unwrap();
    // (not `b == a`: the convergence window is saved oldest first, and a window that has
    // wrapped around is restored with its values at other slots of the ring)
    assert_eq!(b.guide(), a.guide());
    assert_eq!(b.adam(), a.adam());
    assert_eq!(b.reported_guide(), a.reported_guide());
    assert_eq!(save_full(&b), ck, "the loaded fit saves to other bytes");
    assert_eq!(full_posterior_bits(&b), full_posterior_bits(&a));
    assert_eq!(bits(b.elbo()), bits(a.elbo()));
    assert_eq!(full_draws(&mut b, 7), full_draws(&mut a, 7));
    assert_eq!(full_losses(&mut b, 50), full_losses(&mut a, 50));
    let (ra, rb) = (a.run(200, 0, |_, _| true), b.run(200, 0, |_, _| true));
    assert_eq!(ra, rb);
    assert_eq!(save_full(&a), save_full(&b));

    // k steps, save, load into another fit, m steps == k + m uninterrupted steps
    let (k, m) = (37, 41);
    let mut whole: FullFit<T, Q> = full_fit(p, 2, c);
    let all = full_losses(&mut whole, k + m);
    let mut first: FullFit<T, Q> = full_fit(p, 2, c);
    assert_eq!(full_losses(&mut first, k), all[..k]);
    let ck = save_full(&first);
    let mut resumed: FullFit<T, Q> = full_fit(1, 3, cfg()); // replaced by the load
    resumed.load(&ck).unwrap();
    assert_eq!(full_losses(&mut resumed, m), all[k..]);
    assert_eq!(full_losses(&mut first, m), all[k..]);
    assert_eq!(save_full(&resumed), save_full(&whole));
    assert_eq!(resumed, whole);
    assert_eq!(full_draws(&mut resumed, 5), full_draws(&mut whole, 5));

    // the exact optimum round-trips too (its guide's unused cells are not the starting
    // guess's: the whole square is saved)
    let mut s: FullFit<T, Q> = full_fit(p, 4, c);
    s.solve_exact().unwrap();
    let t = FullFit::<T, Q>::from_checkpoint(&save_full(&s)).unwrap();
    assert_eq!(t, s);
    assert_eq!(full_posterior_bits(&t), full_posterior_bits(&s));
}

#[test]
fn full_rank_save_load_is_exact() {
    fn analytic<T: Normal>() -> Config<T> {
        Config {
            estimator: vireg::Estimator::Analytic,
            ..cfg()
        }
    }
    full_round_trip::<f64, 8>(8, cfg());
    full_round_trip::<f32, 8>(8, cfg());
    full_round_trip::<f64, 16>(3, cfg());
    full_round_trip::<f32, 2>(1, cfg());
    full_round_trip::<f64, 4>(4, analytic());
    full_round_trip::<f32, 4>(2, analytic());
    let two = Config {
        estimator: vireg::Estimator::MonteCarlo { particles: 2 },
        ..cfg::<f32>()
    };
    full_round_trip::<f32, 6>(3, two);
}

fn full_fitted_round_trips<T: Normal, const Q: usize>() {
    let mut f: FullFit<T, Q> = full_fit(2, 3, cfg());
    let reload = |f: &FullFit<T, Q>| FullFit::<T, Q>::from_checkpoint(&save_full(f)).unwrap();
    assert!(!f.is_fitted() && !reload(&f).is_fitted());
    assert_eq!(save_full(&f)[7], 0b10);
    assert_eq!(reload(&f).posterior().unwrap_err(), Error::NotFitted);
    f.steps(2).unwrap();
    assert!(f.is_fitted() && reload(&f).is_fitted());
    assert_eq!(save_full(&f)[7], 0b11);
    f.reset_guide();
    assert!(!f.is_fitted() && !reload(&f).is_fitted());
    f.solve_exact().unwrap();
    assert!(reload(&f).is_fitted());
    f.reset_guide();
    let g = *f.guide();
    f.set_guide(g).unwrap();
    assert!(reload(&f).is_fitted());
    assert_eq!(reload(&f), f);
}

#[test]
fn full_rank_fitted_flag_round_trips() {
    full_fitted_round_trips::<f64, 8>();
    full_fitted_round_trips::<f32, 2>();
}

/// A checkpoint of one family is refused by the other's loader as incompatible, whatever its
/// precision, capacity and version; the target is unchanged.
#[test]
fn the_other_family_is_incompatible() {
    fn check<T: Normal, const Q: usize>() {
        let mut mf: Fit<T, Q> = fit(2, 1);
        mf.steps(3).unwrap();
        let mut fr: FullFit<T, Q> = full_fit(2, 1, cfg());
        fr.steps(3).unwrap();
        let (ck_mf, ck_fr) = (save(&mf), save_full(&fr));
        let mut tm: Fit<T, Q> = fit(1, 2);
        let mut tf: FullFit<T, Q> = full_fit(1, 2, cfg());
        let (bm, bf) = (save(&tm), save_full(&tf));
        assert_eq!(tm.load(&ck_fr), Err(Error::Incompatible));
        assert_eq!(tf.load(&ck_mf), Err(Error::Incompatible));
        assert_eq!(
            Fit::<T, Q>::from_checkpoint(&ck_fr).unwrap_err(),
            Error::Incompatible
        );
        assert_eq!(
            FullFit::<T, Q>::from_checkpoint(&ck_mf).unwrap_err(),
            Error::Incompatible
        );
        // not fitted (flags 2 and 0) too
        let (n_mf, n_fr) = (
            save(&fit::<T, Q>(2, 1)),
            save_full(&full_fit::<T, Q>(2, 1, cfg())),
        );
        assert_eq!(tm.load(&n_fr), Err(Error::Incompatible));
        assert_eq!(tf.load(&n_mf), Err(Error::Incompatible));
        // a truncated checkpoint of the other family: its header already says incompatible
        assert_eq!(tm.load(&ck_fr[..ck_mf.len() / 2]), Err(Error::Incompatible));
        assert_eq!(save(&tm), bm);
        assert_eq!(save_full(&tf), bf);
    }
    check::<f64, 8>();
    check::<f32, 8>();
    check::<f32, 16>();
    // the other precision or capacity of the same family
    let mut t: FullFit<f64, 8> = full_fit(2, 2, cfg());
    let before = save_full(&t);
    assert_eq!(
        t.load(&save_full(&full_fit::<f32, 8>(2, 1, cfg()))),
        Err(Error::Incompatible)
    );
    assert_eq!(
        t.load(&save_full(&full_fit::<f64, 9>(2, 1, cfg()))),
        Err(Error::Incompatible)
    );
    assert_eq!(save_full(&t), before);
    // version-1 checkpoints are mean-field
    for (name, ok) in [("v1_f64_p8_solved.bin", true), ("v1_f32_p8_run.bin", false)] {
        let v1 = v1_fixture(name);
        assert_eq!(Fit::<f64, 8>::from_checkpoint(&v1).is_ok(), ok, "{name}");
        assert_eq!(
            FullFit::<f64, 8>::from_checkpoint(&v1).unwrap_err(),
            Error::Incompatible,
            "{name}"
        );
    }
}

fn full_bit_flips<T: Normal, const Q: usize>() -> usize {
    let mut src: FullFit<T, Q> = full_fit(Q.min(5), 5, cfg());
    src.run(100, 0, |_, _| true).unwrap();
    let ck = save_full(&src);
    let mut target: FullFit<T, Q> = full_fit(1, 6, cfg());
    target.steps(3).unwrap();
    let before = save_full(&target);
    let mut buf = ck.clone();
    for i in 0..ck.len() {
        for b in 0..8 {
            buf[i] ^= 1 << b;
            assert_eq!(
                target.load(&buf),
                Err(flip_status(i, b)),
                "bit {b} of byte {i}"
            );
            buf[i] ^= 1 << b;
        }
        if i % 64 == 0 {
            assert_eq!(save_full(&target), before, "byte {i}");
        }
    }
    assert_eq!(save_full(&target), before);
    8 * ck.len()
}

#[test]
fn full_rank_every_bit_flip_is_refused() {
    let n = full_bit_flips::<f64, 4>() + full_bit_flips::<f32, 8>();
    println!("{n} single-bit flips of full-rank checkpoints refused");
}

#[test]
fn full_rank_every_truncation_is_refused() {
    fn check<T: Normal, const Q: usize>() -> usize {
        let mut src: FullFit<T, Q> = full_fit(Q.min(4), 10, cfg());
        src.steps(5).unwrap();
        let ck = save_full(&src);
        let mut target: FullFit<T, Q> = full_fit(1, 11, cfg());
        let before = save_full(&target);
        for len in 0..ck.len() {
            assert_eq!(
                target.load(&ck[..len]),
                Err(Error::Truncated),
                "length {len}"
            );
        }
        assert_eq!(save_full(&target), before);
        // a longer buffer is accepted (only the checkpoint's length is read)
        let mut longer = ck.clone();
        longer.extend_from_slice(&[0xA5; 32]);
        target.load(&longer).unwrap();
        assert_eq!(save_full(&target), ck);
        ck.len()
    }
    let n = check::<f64, 8>() + check::<f32, 8>() + check::<f32, 2>();
    println!("{n} truncations of full-rank checkpoints refused");
}

/// Every scalar of every guide-shaped value (the `tril` triangles included: parameters, the
/// slots beyond the triangle, unused feature slots) NaN or ±∞ with a valid checksum is refused, but +∞ in
/// a second moment within the triangle (beyond it Adam's moments are 0: the fit has no room
/// for another value there); a negative second moment is refused; the target is unchanged.
fn full_hostile<T: Normal, const Q: usize>() -> usize {
    let l = FullLayout::new(T::BYTES, Q);
    let w = T::BYTES;
    let d = Q + 2;
    let mut src: FullFit<T, Q> = full_fit(Q.min(3), 20, cfg());
    src.run(50, 0, |_, _| true).unwrap();
    let ck = save_full(&src);
    let mut target: FullFit<T, Q> = full_fit(1, 21, cfg());
    target.steps(2).unwrap();
    let before = save_full(&target);
    let mut ok = ck.clone();
    l.reseal(&mut ok);
    assert_eq!(ok, ck);
    let mut n = 0;
    let mut load = |e: &[u8]| {
        let r = target.load(e);
        assert_eq!(save_full(&target), before);
        r
    };
    for (name, start, moment) in &l.guides {
        for k in 0..2 * d + d * (d - 1) {
            let off = start + w * k;
            for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e-3] {
                if v == -1e-3 && !*moment {
                    continue;
                }
                let mut e = ck.clone();
                put_real(&mut e, off, w, v);
                assert_ne!(e, ck);
                l.reseal(&mut e);
                // slot (row, column) of `tril`, when k is one: beyond the triangle if column ≥ row
                let beyond = k
                    .checked_sub(2 * d)
                    .is_some_and(|t| t % (d - 1) >= t / (d - 1));
                if v == f64::INFINITY && *moment && !beyond {
                    let f = FullFit::<T, Q>::from_checkpoint(&e).unwrap();
                    assert_eq!(save_full(&f), e, "{name}[{k}] = +inf");
                } else {
                    assert_eq!(load(&e), Err(Error::BadCheckpoint), "{name}[{k}] = {v}");
                }
                n += 1;
            }
        }
        // the tril part is where the layout says: row 0 holds no entry of the triangle
        let unused = get_real(&ck, l.tril(*start, 0, 0), w);
        assert!(unused == 0.0, "{name}: tril row 0 = {unused}");
    }
    // the guide's tril(1, 0) is a parameter the steps moved
    assert_ne!(get_real(&ck, l.tril(l.guides[0].1, 1, 0), w), 0.0);
    n
}

#[test]
fn full_rank_hostile_checkpoints_are_refused() {
    let n = full_hostile::<f64, 4>() + full_hostile::<f32, 8>();
    println!("{n} hostile full-rank checkpoints refused");
}

/// A full-rank checkpoint written by this format (tests/fixtures/v2_full_*.bin, from
/// `write_full_rank_fixtures`): it loads, is fitted, and the same calls today give the same
/// bytes (on the hosts' kernels; the compact ones round differently, see
/// `version_1_checkpoints_still_load`) and the same next losses.
fn full_fixture_calls<T: Normal>() -> FullFit<T, 8> {
    let mut f: FullFit<T, 8> = full_fit(3, 40, cfg());
    f.run(120, 0, |_, _| true).unwrap();
    f.steps(7).unwrap();
    f
}

#[test]
fn full_rank_fixtures_still_load() {
    fn check<T: Normal>(name: &str) {
        let ck = v1_fixture(name);
        let mut f = FullFit::<T, 8>::from_checkpoint(&ck).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(f.is_fitted());
        assert_eq!(ck[7], 0b11);
        assert_eq!(
            Fit::<T, 8>::from_checkpoint(&ck).unwrap_err(),
            Error::Incompatible
        );
        let mut same = full_fixture_calls::<T>();
        if cfg!(feature = "compact") {
            assert_eq!(same.stats(), f.stats());
            let (a, b) = (full_losses(&mut f, 3), full_losses(&mut same, 3));
            for (x, y) in a.into_iter().zip(b) {
                let (x, y) = (f64::from_bits(x), f64::from_bits(y));
                assert!(((x - y) / y).abs() <= 1e-4, "{name}: loss {x} vs {y}");
            }
        } else {
            assert_eq!(save_full(&same), upgraded(&ck, T::BYTES, 8), "{name}");
            assert_eq!(full_losses(&mut f, 5), full_losses(&mut same, 5));
        }
    }
    check::<f32>("v2_full_f32_p8.bin");
    check::<f64>("v2_full_f64_p8.bin");
}

/// Writes the full-rank fixtures (run once when the format is made; the files are committed).
#[test]
#[ignore]
fn write_full_rank_fixtures() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::write(
        dir.join("v2_full_f32_p8.bin"),
        save_full(&full_fixture_calls::<f32>()),
    )
    .unwrap();
    std::fs::write(
        dir.join("v2_full_f64_p8.bin"),
        save_full(&full_fixture_calls::<f64>()),
    )
    .unwrap();
}
