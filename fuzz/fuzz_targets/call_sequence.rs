//! The input bytes decode into a sequence of C ABI calls on four states (two start as an f32
//! and an f64 fit, two zero-filled; any call may name any state with either precision, so
//! wrong-precision and uninitialised states are exercised too). Each call reads its arguments
//! from the bytes: values from a table of hostile ones (NaN, ±inf, subnormals, ±1e38, ...),
//! right and wrong dimensions, strides and buffer lengths, configurations.
//!
//! After every call:
//! * its status is one the call documents (never VIREG_ERR_PANIC);
//! * every state it was not asked to change is unchanged, byte for byte, and so is the one it
//!   was asked to change when it fails, except VIREG_ERR_DIVERGED (step, run), after which the
//!   data and configuration are unchanged and the fit is still initialised;
//! * read-only queries change nothing;
//! * a progress callback that calls back into the fit being run gets VIREG_ERR_BUSY;
//! * a fit that is initialised still saves, and save → load → save round-trips its bytes.
//!
//! Particles (<= 16), steps (<= 8 per step, <= 16 per run) and calls (<= 48) are capped so an
//! input runs in milliseconds.
#![no_main]

mod common;
#[path = "../../tests/robust/mod.rs"]
mod robust;

use common::*;
use core::ffi::c_void;
use libfuzzer_sys::fuzz_target;
use robust::*;
use vireg::ffi::*;

/// Words of every state buffer: the larger precision's, so a state of either precision may be
/// passed as the other without reading past its buffer.
fn words() -> usize {
    f32::fit_size().max(f64::fit_size()) / 8
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let mut st: Vec<Buf> = (0..4)
        .map(|_| Buf {
            words: vec![0; words()],
        })
        .collect();
    // SAFETY: state buffers larger than either precision's state, 8-aligned.
    unsafe {
        assert_eq!(f32::init(st[0].ptr(), 2, core::ptr::null()), VIREG_OK);
        assert_eq!(f64::init(st[2].ptr(), 2, core::ptr::null()), VIREG_OK);
    }
    for _ in 0..48 {
        if r.is_empty() {
            break;
        }
        let op = r.u8();
        if op & 0x80 == 0 {
            call::<f32>(op & 0x7f, &mut st, &mut r);
        } else {
            call::<f64>(op & 0x7f, &mut st, &mut r);
        }
    }
    // Every state ends usable or cleanly uninitialised.
    for b in &st {
        check_state::<f32>(b);
        check_state::<f64>(b);
    }
});

/// The number of features of `b` as a T fit, or None when it is not one.
fn features<T: Prec>(b: &Buf) -> Option<usize> {
    let mut n = 0usize;
    // SAFETY: a state buffer large enough for T, 8-aligned; a live output.
    let s = unsafe { T::features(b.cptr(), &mut n) };
    expect("features", s, &[VIREG_OK, VIREG_ERR_UNINITIALISED]);
    (s == VIREG_OK).then_some(n)
}

/// An initialised T fit answers its queries and round-trips through a checkpoint.
fn check_state<T: Prec>(b: &Buf) {
    if let Some(p) = features::<T>(b) {
        assert!((1..=MAX_FEATURES).contains(&p));
        let fit = Buf {
            words: b.words[..T::fit_size() / 8].to_vec(),
        };
        queries::<T>(&fit, p, &mut Reader::new(&[]));
        round_trip::<T>(&fit);
    }
}

/// The configuration and data summary of a T fit (its checkpoint's bytes).
fn data_cfg<T: Prec>(b: &Buf) -> Vec<u8> {
    let l = Layout::new(core::mem::size_of::<T>(), MAX_FEATURES);
    let ck = c_save::<T>(&Buf {
        words: b.words[..T::fit_size() / 8].to_vec(),
    });
    ck[l.config..l.guide].to_vec()
}

/// A feature count near `p` (usually `p`).
fn dim(r: &mut Reader, p: usize) -> usize {
    match r.u8() % 8 {
        0 => 0,
        1 => p + 1,
        2 => p.saturating_sub(1),
        3 => MAX_FEATURES + 1,
        _ => p,
    }
}

fn vals<T: Prec>(r: &mut Reader, n: usize) -> Vec<T> {
    // Mostly ordinary values: one byte picks whether this vector gets hostile ones.
    let hostile = r.u8().is_multiple_of(4);
    (0..n.max(1))
        .map(|i| {
            if hostile || i < 2 {
                T::c(r.real())
            } else {
                T::c(((i * 5) % 9) as f64 - 4.0)
            }
        })
        .collect()
}

const INTS: [u64; 8] = [0, 1, 2, 3, 16, 65536, 65537, u64::MAX];

fn call<T: Prec>(op: u8, st: &mut [Buf], r: &mut Reader) {
    let i = (r.u8() % 4) as usize;
    let before: Vec<Vec<u8>> = st.iter().map(|b| b.bytes()).collect();
    let p0 = features::<T>(&st[i]);
    let p = p0.unwrap_or(2);
    let un = VIREG_ERR_UNINITIALISED;
    // Which state the call may change on success (None: a query), and its status.
    let (target, s): (Option<usize>, i32) = match op % 15 {
        0 => {
            // init
            let n = r.u8() as usize % (MAX_FEATURES + 2);
            let mut cfg = T::cfg_default();
            for _ in 0..r.u8() % 4 {
                let f = r.u8() as usize % 17;
                let u = INTS[r.u8() as usize % INTS.len()];
                T::cfg_set(&mut cfg, f, r.real(), u);
            }
            if T::cfg_bits(&cfg)[12] > 16 {
                T::cfg_set(&mut cfg, 12, 0.0, 16);
            }
            let null = r.u8().is_multiple_of(8);
            let c = if null {
                core::ptr::null()
            } else {
                &cfg as *const T::Cfg
            };
            // A state of another size (a header of another capacity) is refused, untouched.
            let before = st[i].bytes();
            // SAFETY: a large enough state buffer (the size passed is smaller); `c` NULL or a
            // live configuration.
            let s = unsafe { T::init_sized(st[i].ptr(), T::fit_size() - 8, n, c) };
            expect("init (other size)", s, &[VIREG_ERR_STATE_SIZE]);
            assert!(st[i].bytes() == before, "a refused init wrote");
            // SAFETY: a large enough state buffer; `c` NULL or a live configuration.
            let s = unsafe { T::init(st[i].ptr(), n, c) };
            let ok = [
                VIREG_OK,
                VIREG_ERR_FEATURES,
                VIREG_ERR_NON_FINITE,
                VIREG_ERR_CONFIG,
            ];
            expect("init", s, &ok);
            (Some(i), s)
        }
        1 => {
            // observe
            let n = dim(r, p);
            let x = vals::<T>(r, n);
            let y = T::c(r.real());
            // SAFETY: as above; `x` holds at least n values.
            let s = unsafe { T::observe(st[i].ptr(), x.as_ptr(), n, y) };
            let ok = [
                VIREG_OK,
                un,
                VIREG_ERR_DIMENSION,
                VIREG_ERR_NON_FINITE,
                VIREG_ERR_OVERFLOW,
            ];
            expect("observe", s, &ok);
            (Some(i), s)
        }
        2 => {
            // observe_rows
            let nf = dim(r, p);
            let k = r.u8();
            let (n_rows, stride) = match k % 16 {
                // Sizes that overflow: refused before any read.
                0 => (usize::MAX / 2, 4 + nf),
                1 => (3, nf.saturating_sub(1)),
                _ => ((k % 6) as usize, nf + (k / 16 % 3) as usize),
            };
            let x_len = if n_rows <= 6 {
                n_rows * stride.max(nf) + nf
            } else {
                1
            };
            let x = vals::<T>(r, x_len);
            let y = vals::<T>(r, n_rows.min(6));
            let mut bad = usize::MAX;
            // SAFETY: as above; `x` and `y` hold what the call may read when its arguments are
            // consistent (the overflowing case must be refused before reading).
            let s = unsafe {
                T::observe_rows(
                    st[i].ptr(),
                    x.as_ptr(),
                    n_rows,
                    nf,
                    stride,
                    y.as_ptr(),
                    &mut bad,
                )
            };
            let ok = [
                VIREG_OK,
                un,
                VIREG_ERR_DIMENSION,
                VIREG_ERR_NON_FINITE,
                VIREG_ERR_OVERFLOW,
            ];
            expect("observe_rows", s, &ok);
            match s {
                VIREG_OK | VIREG_ERR_OVERFLOW => assert_eq!(bad, n_rows, "bad_row {s}"),
                VIREG_ERR_NON_FINITE => assert!(bad < n_rows, "bad_row {bad} of {n_rows}"),
                _ => assert_eq!(bad, 0, "bad_row {s}"),
            }
            (Some(i), s)
        }
        3 => {
            // merge (src may be dst, or of another precision or size)
            let j = (r.u8() % 4) as usize;
            let src = st[j].cptr::<T::Fit>();
            // SAFETY: as above; dst and src may alias, as the call allows.
            let s = unsafe { T::merge(st[i].ptr(), src) };
            let ok = [VIREG_OK, un, VIREG_ERR_MISMATCH, VIREG_ERR_OVERFLOW];
            expect("merge", s, &ok);
            (Some(i), s)
        }
        4 => {
            // step
            let n = (r.u8() % 9) as u64;
            let mut loss = T::default();
            // SAFETY: as above.
            let s = unsafe { T::step(st[i].ptr(), n, &mut loss) };
            let ok = [VIREG_OK, un, VIREG_ERR_INVALID_ARGUMENT, VIREG_ERR_DIVERGED];
            expect("step", s, &ok);
            (Some(i), s)
        }
        5 => {
            // run, with a callback that calls back into the fit being run
            let max = (r.u8() % 17) as u64;
            let every = (r.u8() % 4) as u64;
            let k = r.u8();
            let mut prog = Progress {
                stop_at: 1 + (k % 5) as u64,
                calls: 0,
                fit: if k & 8 != 0 {
                    st[i].ptr::<c_void>()
                } else {
                    core::ptr::null_mut()
                },
                reentrant_statuses: Vec::new(),
                last_step: None,
            };
            let cb = if k & 16 != 0 {
                T::no_progress()
            } else {
                T::progress()
            };
            let mut rep = core::mem::MaybeUninit::<T::RunReport>::zeroed();
            // SAFETY: as above; `prog` is the callback's user data and lives through the call.
            let s = unsafe {
                T::run(
                    st[i].ptr(),
                    max,
                    every,
                    cb,
                    (&mut prog as *mut Progress).cast(),
                    rep.as_mut_ptr(),
                )
            };
            let ok = [VIREG_OK, un, VIREG_ERR_INVALID_ARGUMENT, VIREG_ERR_DIVERGED];
            expect("run", s, &ok);
            assert!(
                prog.reentrant_statuses.iter().all(|&s| s == VIREG_ERR_BUSY),
                "re-entrant step during run: {:?}",
                prog.reentrant_statuses
            );
            (Some(i), s)
        }
        6 => {
            // solve_exact
            // SAFETY: as above.
            let s = unsafe { T::solve_exact(st[i].ptr(), core::ptr::null_mut()) };
            let ok = [
                VIREG_OK,
                un,
                VIREG_ERR_NOT_CONVERGED,
                VIREG_ERR_ILL_CONDITIONED,
                VIREG_ERR_OVERFLOW,
            ];
            expect("solve_exact", s, &ok);
            (Some(i), s)
        }
        7 => {
            // posterior queries, with right and wrong lengths and indices
            let len = dim(r, p + 2);
            let mut out = vec![T::default(); MAX_FEATURES + 3];
            // (NOT_FITTED before any fit: no posterior yet)
            let ok = [VIREG_OK, un, VIREG_ERR_DIMENSION, VIREG_ERR_NOT_FITTED];
            // SAFETY: as above; `out` holds at least `len` values.
            unsafe {
                let mut e = T::default();
                expect("elbo", T::elbo(st[i].cptr(), &mut e), &[VIREG_OK, un]);
                expect("loc", T::post_loc(st[i].cptr(), out.as_mut_ptr(), len), &ok);
                expect(
                    "scale",
                    T::post_scale(st[i].cptr(), out.as_mut_ptr(), len),
                    &ok,
                );
                let idx = dim(r, p + 1);
                let mut sm = core::mem::zeroed::<T::Summary>();
                expect("summary", T::summary(st[i].cptr(), idx, &mut sm), &ok);
                let q = T::c(r.real());
                let mut v = T::default();
                let s = T::quantile(st[i].cptr(), idx, q, &mut v);
                let okq = [
                    VIREG_OK,
                    un,
                    VIREG_ERR_NOT_FITTED,
                    VIREG_ERR_DIMENSION,
                    VIREG_ERR_NON_FINITE,
                    VIREG_ERR_INVALID_ARGUMENT,
                    VIREG_ERR_OVERFLOW,
                ];
                expect("quantile", s, &okq);
            }
            (None, VIREG_OK)
        }
        8 => {
            // draw
            let k = r.u8();
            let (n, len) = match k % 8 {
                0 => (usize::MAX / 3, 8),
                1 => (2, 2 * (p + 2) - 1),
                _ => ((k % 4) as usize, (k % 4) as usize * (p + 2)),
            };
            let mut out = vec![T::default(); len.max(1)];
            // SAFETY: as above; `out` holds `len` values.
            let s = unsafe { T::draw(st[i].ptr(), out.as_mut_ptr(), n, len) };
            expect(
                "draw",
                s,
                &[VIREG_OK, un, VIREG_ERR_DIMENSION, VIREG_ERR_NOT_FITTED],
            );
            (Some(i), s)
        }
        9 => {
            // predict
            let n = dim(r, p);
            let x = vals::<T>(r, n);
            let (mut m, mut sd) = (T::default(), T::default());
            // SAFETY: as above; `x` holds at least n values.
            let s = unsafe { T::predict(st[i].cptr(), x.as_ptr(), n, &mut m, &mut sd) };
            let ok = [
                VIREG_OK,
                un,
                VIREG_ERR_DIMENSION,
                VIREG_ERR_NOT_FITTED,
                VIREG_ERR_NON_FINITE,
                VIREG_ERR_OVERFLOW,
            ];
            expect("predict", s, &ok);
            (None, VIREG_OK)
        }
        10 => {
            // save i, maybe corrupt, load into j
            let j = (r.u8() % 4) as usize;
            let k = r.u8();
            let mut ck = vec![0u8; T::checkpoint_size()];
            let mut w = 0usize;
            // SAFETY: as above; `ck` holds its length.
            let s = unsafe { T::save(st[i].cptr(), ck.as_mut_ptr(), ck.len(), &mut w) };
            expect("save", s, &[VIREG_OK, un]);
            let l = Layout::new(core::mem::size_of::<T>(), MAX_FEATURES);
            if k & 1 != 0 {
                let at = r.u16() as usize % ck.len();
                ck[at] ^= r.u8().max(1);
                if k & 2 != 0 {
                    l.reseal(&mut ck);
                }
            }
            if k & 4 != 0 {
                ck.truncate(ck.len() - 1);
            }
            let before_j = st[j].bytes();
            // SAFETY: as above; `ck` holds its length.
            let s = unsafe { T::load(st[j].ptr(), ck.as_ptr(), ck.len()) };
            let ok = [
                VIREG_OK,
                VIREG_ERR_TRUNCATED,
                VIREG_ERR_BAD_CHECKPOINT,
                VIREG_ERR_CHECKSUM,
                VIREG_ERR_INCOMPATIBLE,
            ];
            expect("load", s, &ok);
            if s != VIREG_OK {
                assert!(
                    st[j].bytes() == before_j,
                    "refused load {s} changed the state"
                );
            }
            (Some(j), s)
        }
        11 => {
            // set_learning_rate
            let lr = T::c(r.real());
            // SAFETY: as above.
            let s = unsafe { T::set_lr(st[i].ptr(), lr) };
            let ok = [VIREG_OK, un, VIREG_ERR_NON_FINITE, VIREG_ERR_CONFIG];
            expect("set_learning_rate", s, &ok);
            (Some(i), s)
        }
        12 => {
            // get_config, rows
            let mut cfg = T::cfg_default();
            let mut rows = 0u64;
            // SAFETY: as above.
            unsafe {
                expect(
                    "get_config",
                    T::get_config(st[i].cptr(), &mut cfg),
                    &[VIREG_OK, un],
                );
                expect("rows", T::rows(st[i].cptr(), &mut rows), &[VIREG_OK, un]);
            }
            (None, VIREG_OK)
        }
        13 => {
            // copy a state (memcpy): the copy is an independent fit
            let j = (r.u8() % 4) as usize;
            let w = st[i].words.clone();
            st[j].words = w;
            (Some(j), VIREG_OK)
        }
        _ => {
            // save into a short buffer
            let mut ck = vec![0u8; T::checkpoint_size()];
            let mut w = usize::MAX;
            let len = r.u16() as usize % ck.len();
            // SAFETY: as above; `ck` holds more than `len` bytes.
            let s = unsafe { T::save(st[i].cptr(), ck.as_mut_ptr(), len, &mut w) };
            expect("save (short)", s, &[VIREG_ERR_BUFFER_TOO_SMALL, un]);
            assert!(
                ck.iter().all(|&b| b == 0) && w == usize::MAX,
                "refused save wrote"
            );
            (None, VIREG_OK)
        }
    };
    for (k, b) in st.iter().enumerate() {
        if Some(k) == target && s == VIREG_OK {
            continue;
        }
        if Some(k) == target && s == VIREG_ERR_DIVERGED {
            // Documented partial effect: the optimisation state moved back, the data and the
            // configuration did not; the fit is still initialised.
            assert!(p0.is_some(), "DIVERGED from an uninitialised state");
            let mut was = Buf {
                words: vec![0; words()],
            };
            for (w, c) in was.words.iter_mut().zip(before[k].chunks_exact(8)) {
                *w = u64::from_ne_bytes(c.try_into().unwrap());
            }
            assert!(
                data_cfg::<T>(b) == data_cfg::<T>(&was),
                "DIVERGED changed data or config"
            );
            assert_eq!(features::<T>(b), p0);
            continue;
        }
        assert!(
            b.bytes() == before[k],
            "op {} status {s} changed state {k}",
            op % 15
        );
    }
    if let Some(t) = target {
        check_state::<T>(&st[t]);
    }
}
