//! What both targets share: a byte reader, value tables, the status sets the C ABI documents.
#![allow(dead_code)]

use crate::robust::*;
use vireg::ffi::*;

/// Reads the fuzzer's bytes front to back; past the end every read gives 0.
pub struct Reader<'a> {
    pub data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_le_bytes(b)
    }
    /// A value from [`VALUES`], or (index past the table) the f64 whose bits follow.
    pub fn real(&mut self) -> f64 {
        let i = self.u8() as usize;
        if i < VALUES.len() {
            VALUES[i]
        } else if i < 200 {
            // An ordinary value: -10.0 ..= 10.0 in steps of 0.125.
            (i as f64 - 120.0) / 8.0
        } else {
            f64::from_bits(self.u64())
        }
    }
}

/// Hostile and ordinary values (converted to the precision at use: 1e308 is +inf in f32).
pub const VALUES: [f64; 28] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    3.0,
    1e-3,
    1e3,
    1e38,
    -1e38,
    3.4e38,
    1e308,
    -1e308,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    5e-324,
    -5e-324,
    1e-45,
    1e-40,
    f64::MIN_POSITIVE,
    42.0,
    1e19,
    -1e19,
    1e-20,
    1e150,
    0.03,
    0.97,
];

/// The statuses the C ABI defines, VIREG_ERR_PANIC excepted.
pub fn defined(s: i32) -> bool {
    (0..=15).contains(&s) || (100..=104).contains(&s) || s == VIREG_ERR_STATE_SIZE
}

/// Asserts `s` is one of `allowed` (and so never VIREG_ERR_PANIC).
#[track_caller]
pub fn expect(what: &str, s: i32, allowed: &[i32]) {
    assert_ne!(s, VIREG_ERR_PANIC, "{what}: VIREG_ERR_PANIC");
    assert!(
        defined(s) && allowed.contains(&s),
        "{what}: status {s} not among {allowed:?}"
    );
}

/// Every read-only query of an initialised fit with `p` features: each returns a documented
/// status and leaves the state unchanged, byte for byte.
pub fn queries<T: Prec>(fit: &Buf, p: usize, r: &mut Reader) {
    let before = fit.bytes();
    let base = [VIREG_OK, VIREG_ERR_BUSY];
    // SAFETY (whole block): `fit` is a state buffer at least T::fit_size() bytes, 8-aligned;
    // every output is a live local of the length passed.
    unsafe {
        let mut n = 0usize;
        expect("features", T::features(fit.cptr(), &mut n), &base);
        assert_eq!(n, p, "features");
        let mut rows = 0u64;
        expect("rows", T::rows(fit.cptr(), &mut rows), &base);
        let mut cfg = T::cfg_default();
        expect("get_config", T::get_config(fit.cptr(), &mut cfg), &base);
        let mut e = T::default();
        expect("elbo", T::elbo(fit.cptr(), &mut e), &base);
        let mut c = T::default();
        expect(
            "condition",
            T::condition(fit.cptr(), &mut c),
            &[VIREG_OK, VIREG_ERR_OVERFLOW, VIREG_ERR_NOT_CONVERGED],
        );
        let mut out = vec![T::default(); MAX_FEATURES + 3];
        // A fit loaded or built without a successful fit has no posterior to report.
        let fitted = T::post_loc(fit.cptr(), out.as_mut_ptr(), p + 2) != VIREG_ERR_NOT_FITTED;
        let got = if fitted { VIREG_OK } else { VIREG_ERR_NOT_FITTED };
        for len in [p + 2, p + 1, MAX_FEATURES + 3] {
            let dim = [got, VIREG_ERR_DIMENSION];
            expect("loc", T::post_loc(fit.cptr(), out.as_mut_ptr(), len), &dim);
            expect(
                "scale",
                T::post_scale(fit.cptr(), out.as_mut_ptr(), len),
                &dim,
            );
        }
        for i in 0..=p + 2 {
            let want = if i <= p + 1 {
                got
            } else {
                VIREG_ERR_DIMENSION
            };
            let mut s = core::mem::zeroed::<T::Summary>();
            assert_eq!(T::summary(fit.cptr(), i, &mut s), want, "summary {i}");
            for q in [0.03, 0.5, 0.97, r.real()] {
                let mut v = T::default();
                let s = T::quantile(fit.cptr(), i, T::c(q), &mut v);
                expect(
                    "quantile",
                    s,
                    &[
                        got,
                        VIREG_ERR_DIMENSION,
                        VIREG_ERR_NON_FINITE,
                        VIREG_ERR_INVALID_ARGUMENT,
                        VIREG_ERR_OVERFLOW,
                    ],
                );
            }
        }
        let x: Vec<T> = (0..MAX_FEATURES).map(|_| T::c(r.real())).collect();
        for n in [p, p + 1] {
            let (mut m, mut sd) = (T::default(), T::default());
            let s = T::predict(fit.cptr(), x.as_ptr(), n, &mut m, &mut sd);
            expect(
                "predict",
                s,
                &[
                    got,
                    VIREG_ERR_DIMENSION,
                    VIREG_ERR_NON_FINITE,
                    VIREG_ERR_OVERFLOW,
                ],
            );
        }
        let mut ck = vec![0u8; T::checkpoint_size()];
        let mut w = 0usize;
        expect(
            "save (short)",
            T::save(fit.cptr(), ck.as_mut_ptr(), ck.len() - 1, &mut w),
            &[VIREG_ERR_BUFFER_TOO_SMALL],
        );
        expect(
            "save",
            T::save(fit.cptr(), ck.as_mut_ptr(), ck.len(), &mut w),
            &[VIREG_OK],
        );
        assert_eq!(w, ck.len());
    }
    assert!(fit.bytes() == before, "a read-only query changed the state");
}

/// Tolerate the known findings 1 and 2 of ../README.md (a learning rate decayed to 0, an Adam
/// moment overflowed to infinity: save writes what load refuses) so fuzzing can go on past
/// them; set to false to reproduce them.
pub const TOLERATE_KNOWN_CHECKPOINT_FINDINGS: bool = false;

/// Whether checkpoint `ck` shows known finding 1 or 2.
fn known_finding<T: Prec>(ck: &[u8]) -> bool {
    let l = Layout::new(core::mem::size_of::<T>(), MAX_FEATURES);
    l.fields().iter().any(|f| {
        f.kind == Kind::Real
            && match f.name {
                "adam.lr_now" | "prev.adam.lr_now" => get_real(ck, f.off, l.w) == 0.0,
                "adam.m" | "adam.v" | "prev.adam.m" | "prev.adam.v" => {
                    !get_real(ck, f.off, l.w).is_finite()
                }
                _ => false,
            }
    })
}

/// save → load into a zero-filled state → save gives the same bytes.
pub fn round_trip<T: Prec>(fit: &Buf) -> Vec<u8> {
    let ck = c_save::<T>(fit);
    let mut other = Buf::fit::<T>();
    // SAFETY: a state buffer of T's size; `ck` is a live buffer of the length passed.
    let s = unsafe { T::load(other.ptr(), ck.as_ptr(), ck.len()) };
    if s == VIREG_ERR_BAD_CHECKPOINT
        && TOLERATE_KNOWN_CHECKPOINT_FINDINGS
        && known_finding::<T>(&ck)
    {
        return ck;
    }
    expect("reload", s, &[VIREG_OK]);
    assert!(
        c_save::<T>(&other) == ck,
        "save -> load -> save changed the bytes"
    );
    ck
}
