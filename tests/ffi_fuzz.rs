//! Hostile inputs at the C ABI: proptest drives random sequences of calls to the exported
//! `vireg_*` functions of both families, with random dimensions (0, above the capacity, huge),
//! values from {NaN, ±∞, subnormals, ±1e38, ±1e308, 0, −0, ordinary}, NULL and misaligned
//! pointers, states of the wrong kind or precision, wrong lengths, random configurations,
//! random bytes, truncated and mutated checkpoints (some with a recomputed CRC).
//!
//! Every call is checked:
//! * it returns a defined status (0, 1..=15, 100..=104, 106), never VIREG_ERR_PANIC;
//! * every state it was not asked to change is byte for byte as before, and so is the one it
//!   was asked to change when it fails — except VIREG_ERR_DIVERGED (step, run), whose
//!   documented effect is checked instead: the data and configuration are unchanged and the
//!   fit is exactly the Rust API's after the same call;
//! * its outputs are untouched when it fails (bad_row_out excepted: it is documented to be
//!   written), and written only within their documented length when it succeeds (guard
//!   elements after each buffer);
//! * NULL, misaligned, uninitialised and wrong-kind states give the documented status;
//! * with valid arguments, statuses, outputs and the resulting state (its checkpoint bytes)
//!   equal those of a shadow `vireg::Fit` driven through the Rust API;
//! * a progress callback that calls back into the fit being run gets VIREG_ERR_BUSY;
//! * the full-rank fit (`vireg_full_*`, with the covariance and its factor) against a shadow
//!   `vireg::FullFit`: statuses, outputs' bits, guards, the state unchanged when refused;
//!   its checkpoints: the bytes saved are the shadow's, a load of its own (possibly truncated or
//!   changed) checkpoint or of a mean-field one gives the kernel's status, and the state after
//!   a load depends only on the bytes.
//!
//! Case counts: see `CASES` (in debug builds a fortieth of them, so `cargo test` stays quick).

mod robust;

use core::ffi::c_void;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};
use robust::*;
use std::ptr;
use vireg::ffi::*;
use vireg::{AdamConfig, Fit, Normal};

const CAP: usize = MAX_FEATURES;
type RFit<T> = Fit<T, CAP>;

/// (sequences of calls, single calls on a prepared world, checkpoint loads) in release builds.
const CASES: [u32; 3] = [40_000, 120_000, 100_000];

fn cases(i: usize) -> u32 {
    if cfg!(debug_assertions) {
        CASES[i] / 40
    } else {
        CASES[i]
    }
}

// ---------------------------------------------------------------------------------------------
// Generated inputs
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ptr {
    Valid,
    Null,
    Misaligned,
    /// A state of another kind or precision (state arguments only).
    Other,
}

/// A pointer to an array or an output (never `Other`).
fn aptr() -> impl Strategy<Value = Ptr> {
    prop_oneof![
        40 => Just(Ptr::Valid),
        2 => Just(Ptr::Null),
        2 => Just(Ptr::Misaligned),
    ]
}

/// A pointer to a state.
fn ptr_mode() -> impl Strategy<Value = Ptr> {
    prop_oneof![
        40 => Just(Ptr::Valid),
        2 => Just(Ptr::Null),
        2 => Just(Ptr::Misaligned),
        1 => Just(Ptr::Other),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Val {
    Nan,
    Inf,
    NegInf,
    Sub32,
    Sub64,
    Big38,
    NegBig38,
    Big308,
    NegBig308,
    Zero,
    NegZero,
    Ord(f64),
}

impl Val {
    fn get(self) -> f64 {
        match self {
            Val::Nan => f64::NAN,
            Val::Inf => f64::INFINITY,
            Val::NegInf => f64::NEG_INFINITY,
            Val::Sub32 => 1e-40,
            Val::Sub64 => -4.9e-320,
            Val::Big38 => 1e38,
            Val::NegBig38 => -3e38,
            Val::Big308 => 1e308,
            Val::NegBig308 => -1.7e308,
            Val::Zero => 0.0,
            Val::NegZero => -0.0,
            Val::Ord(v) => v,
        }
    }
}

fn val() -> impl Strategy<Value = Val> {
    prop_oneof![
        1 => Just(Val::Nan),
        1 => Just(Val::Inf),
        1 => Just(Val::NegInf),
        1 => Just(Val::Sub32),
        1 => Just(Val::Sub64),
        1 => Just(Val::Big38),
        1 => Just(Val::NegBig38),
        1 => Just(Val::Big308),
        1 => Just(Val::NegBig308),
        1 => Just(Val::Zero),
        1 => Just(Val::NegZero),
        14 => (-100.0..100.0f64).prop_map(Val::Ord),
    ]
}

/// Array contents: ordinary values of a random scale, with a few specials planted.
#[derive(Clone, Debug)]
struct Fill {
    seed: u64,
    scale: f64,
    specials: Vec<(usize, Val)>,
}

fn fill() -> impl Strategy<Value = Fill> {
    (
        any::<u64>(),
        prop_oneof![8 => Just(1.0), 1 => Just(1e-30), 1 => Just(1e30), 1 => Just(1e150)],
        prop_oneof![3 => Just(vec![]), 1 => prop::collection::vec((0..1024usize, val()), 1..3)],
    )
        .prop_map(|(seed, scale, specials)| Fill {
            seed,
            scale,
            specials,
        })
}

impl Fill {
    fn make<T: Normal>(&self, len: usize) -> Vec<T> {
        let mut s = self.seed | 1;
        let mut v: Vec<T> = (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                T::c((u * 6.0 - 3.0) * self.scale)
            })
            .collect();
        if len > 0 {
            for (i, x) in &self.specials {
                v[i % len] = T::c(x.get());
            }
        }
        v
    }
}

/// A dimension: the state's own (`Match`) or a literal (0, above the capacity, huge).
#[derive(Clone, Copy, Debug)]
enum Dim {
    Match,
    Lit(usize),
}

fn dim() -> impl Strategy<Value = Dim> {
    prop_oneof![
        12 => Just(Dim::Match),
        1 => Just(Dim::Lit(0)),
        2 => (1..=CAP + 2).prop_map(Dim::Lit),
        1 => Just(Dim::Lit(CAP + 1)),
        1 => Just(Dim::Lit(usize::MAX)),
    ]
}

impl Dim {
    fn get(self, own: usize) -> usize {
        match self {
            Dim::Match => own,
            Dim::Lit(n) => n,
        }
    }
}

/// An output length relative to what is needed.
#[derive(Clone, Copy, Debug)]
enum Len {
    Need,
    Short(usize),
    Zero,
    More(usize),
}

fn len() -> impl Strategy<Value = Len> {
    prop_oneof![
        8 => Just(Len::Need),
        2 => (1..4usize).prop_map(Len::Short),
        1 => Just(Len::Zero),
        2 => (1..40usize).prop_map(Len::More),
    ]
}

impl Len {
    fn get(self, need: usize) -> usize {
        match self {
            Len::Need => need,
            Len::Short(k) => need.saturating_sub(k),
            Len::Zero => 0,
            Len::More(k) => need + k,
        }
    }
}

/// Where the bytes given to a load come from.
#[derive(Clone, Debug)]
enum Ck {
    /// A checkpoint saved earlier (of this precision; of the other one if `other`).
    Pool { i: usize, other: bool },
    /// Random bytes.
    Random { seed: u64, len: usize, magic: bool },
    /// A real checkpoint cut short.
    Truncate { i: usize, cut: usize },
    /// A real checkpoint with bytes overwritten, the CRC recomputed or not.
    Mutate {
        i: usize,
        edits: Vec<(usize, u8)>,
        reseal: bool,
    },
    /// A real checkpoint with one field set to a hostile value and the CRC recomputed.
    Field {
        i: usize,
        field: usize,
        v: Val,
        u: u64,
    },
}

fn ck() -> impl Strategy<Value = Ck> {
    prop_oneof![
        3 => (0..8usize, prop::bool::weighted(0.2)).prop_map(|(i, other)| Ck::Pool { i, other }),
        1 => (any::<u64>(), 0..6000usize, any::<bool>())
            .prop_map(|(seed, len, magic)| Ck::Random { seed, len, magic }),
        1 => (0..8usize, 0..6000usize).prop_map(|(i, cut)| Ck::Truncate { i, cut }),
        3 => (0..8usize, prop::collection::vec((0..6000usize, any::<u8>()), 1..4), any::<bool>())
            .prop_map(|(i, edits, reseal)| Ck::Mutate { i, edits, reseal }),
        4 => (0..8usize, 0..2000usize, val(), prop_oneof![
                Just(0u64), Just(1), Just(2), Just(u32::MAX as u64), Just(u64::MAX),
                Just(1u64 << 63), Just(CAP as u64 + 1), any::<u64>()])
            .prop_map(|(i, field, v, u)| Ck::Field { i, field, v, u }),
    ]
}

/// A random configuration: the defaults with some fields replaced.
fn cfg_edits() -> impl Strategy<Value = Vec<(usize, Val, u64)>> {
    prop::collection::vec(
        (
            0..18usize,
            val(),
            prop_oneof![
                Just(0u64),
                Just(1),
                Just(2),
                Just(3),
                Just(u32::MAX as u64),
                any::<u64>()
            ],
        ),
        0..4,
    )
}

#[derive(Clone, Debug)]
enum Op {
    ConfigDefault {
        out: Ptr,
    },
    Init {
        p: Dim,
        cfg: Option<Vec<(usize, Val, u64)>>,
        fit: Ptr,
        cfgp: Ptr,
    },
    GetConfig {
        fit: Ptr,
        out: Ptr,
    },
    SetLr {
        lr: Val,
        fit: Ptr,
    },
    Features {
        fit: Ptr,
        out: Ptr,
    },
    Rows {
        fit: Ptr,
        out: Ptr,
    },
    Observe {
        n: Dim,
        x: Fill,
        y: Val,
        fit: Ptr,
        xp: Ptr,
    },
    ObserveRows {
        rows: usize,
        n: Dim,
        stride: Option<usize>,
        x: Fill,
        y: Fill,
        fit: Ptr,
        xp: Ptr,
        yp: Ptr,
        bad: Ptr,
    },
    Merge {
        src: usize,
        fit: Ptr,
        srcp: Ptr,
    },
    Step {
        n: u64,
        fit: Ptr,
        loss: Ptr,
    },
    Run {
        max: u64,
        every: u64,
        cb: bool,
        stop_at: u64,
        reenter: bool,
        fit: Ptr,
        rep: Ptr,
    },
    Solve {
        fit: Ptr,
        rep: Ptr,
    },
    Elbo {
        fit: Ptr,
        out: Ptr,
    },
    PostVec {
        scale: bool,
        len: Len,
        fit: Ptr,
        out: Ptr,
    },
    Summary {
        index: usize,
        fit: Ptr,
        out: Ptr,
    },
    Quantile {
        index: usize,
        q: Val,
        fit: Ptr,
        out: Ptr,
    },
    Draw {
        n: usize,
        len: Len,
        fit: Ptr,
        out: Ptr,
    },
    Predict {
        n: Dim,
        x: Fill,
        fit: Ptr,
        xp: Ptr,
        mp: Ptr,
        sp: Ptr,
    },
    Save {
        len: Len,
        fit: Ptr,
        buf: Ptr,
        written: Ptr,
    },
    Load {
        src: Ck,
        fit: Ptr,
        buf: Ptr,
    },
    SynthInit {
        p: Dim,
        seed: u64,
        s: Ptr,
    },
    SynthNext {
        n: Dim,
        s: Ptr,
        xp: Ptr,
        yp: Ptr,
    },
    SynthTruth {
        len: Len,
        s: Ptr,
        out: Ptr,
    },
    Reset {
        fit: Ptr,
    },
    SetEstimator {
        estimator: u32,
        particles: u32,
        fit: Ptr,
    },
    SigmaHdi {
        mass: Val,
        fit: Ptr,
        lo: Ptr,
        hi: Ptr,
    },
    PredictRows {
        rows: usize,
        n: Dim,
        stride: Option<usize>,
        x: Fill,
        /// 0: separate outputs; 1: the sds written over the means; 2: the means over the rows.
        alias: u8,
        ptrs: [Ptr; 5],
    },
    ObserveWeighted {
        n: Dim,
        x: Fill,
        y: Val,
        w: Val,
        fit: Ptr,
        xp: Ptr,
    },
    /// `rows` rows (stride as in ObserveRows) with the weights `w` (cycled to `rows`).
    ObserveRowsWeighted {
        rows: usize,
        stride: Option<usize>,
        x: Fill,
        y: Fill,
        w: Vec<Val>,
        ptrs: [Ptr; 5],
    },
    SetForget {
        g: Val,
        fit: Ptr,
    },
    EffectiveRows {
        fit: Ptr,
        out: Ptr,
    },
}

/// A row weight: mostly valid (0, 1, ordinary), some negative, NaN, infinite or extreme.
fn weight() -> impl Strategy<Value = Val> {
    prop_oneof![
        3 => Just(Val::Zero),
        4 => Just(Val::Ord(1.0)),
        8 => (0.0..10.0f64).prop_map(Val::Ord),
        1 => (-5.0..0.0f64).prop_map(Val::Ord),
        3 => val(),
    ]
}

/// A forgetting factor: mostly in (0, 1] (1, 0.99, the smallest ones), some outside.
fn forget() -> impl Strategy<Value = Val> {
    prop_oneof![
        3 => Just(Val::Ord(1.0)),
        3 => Just(Val::Ord(0.99)),
        4 => (0.0..=1.0f64).prop_map(Val::Ord),
        1 => Just(Val::Ord(1e-3)),
        1 => Just(Val::Ord(1.5)),
        2 => val(),
    ]
}

/// A call: precision (true: f64), fit or generator slot, operation.
#[derive(Clone, Debug)]
struct Call {
    f64: bool,
    slot: usize,
    op: Op,
}

const FIT_SLOTS: usize = 3;
const SYNTH_SLOTS: usize = 2;

fn op() -> impl Strategy<Value = Op> {
    let p = ptr_mode;
    let a = aptr;
    prop_oneof![
        1 => a().prop_map(|out| Op::ConfigDefault { out }),
        3 => (dim(), prop::option::weighted(0.7, cfg_edits()), p(), a())
            .prop_map(|(p, cfg, fit, cfgp)| Op::Init { p, cfg, fit, cfgp }),
        1 => (p(), a()).prop_map(|(fit, out)| Op::GetConfig { fit, out }),
        2 => (val(), p()).prop_map(|(lr, fit)| Op::SetLr { lr, fit }),
        1 => (p(), a()).prop_map(|(fit, out)| Op::Features { fit, out }),
        1 => (p(), a()).prop_map(|(fit, out)| Op::Rows { fit, out }),
        5 => (dim(), fill(), val(), p(), a())
            .prop_map(|(n, x, y, fit, xp)| Op::Observe { n, x, y, fit, xp }),
        5 => (
            prop_oneof![Just(0usize), 1..30usize],
            dim(),
            prop_oneof![
                6 => Just(None),
                2 => (0..CAP + 4).prop_map(Some),
                1 => Just(Some(usize::MAX / 2 + 1)),
                1 => Just(Some(usize::MAX)),
            ],
            fill(),
            fill(),
            (p(), a(), a(), a()),
        )
            .prop_map(|(rows, n, stride, x, y, (fit, xp, yp, bad))| Op::ObserveRows {
                rows,
                n,
                stride,
                x,
                y,
                fit,
                xp,
                yp,
                bad
            }),
        2 => (0..FIT_SLOTS, p(), p()).prop_map(|(src, fit, srcp)| Op::Merge { src, fit, srcp }),
        5 => (prop_oneof![Just(0u64), 1..40u64], p(), a())
            .prop_map(|(n, fit, loss)| Op::Step { n, fit, loss }),
        3 => (
            prop_oneof![Just(0u64), 1..300u64],
            prop_oneof![Just(0u64), Just(1), Just(7), Just(50)],
            any::<bool>(),
            1..6u64,
            any::<bool>(),
            p(),
            a(),
        )
            .prop_map(|(max, every, cb, stop_at, reenter, fit, rep)| Op::Run {
                max,
                every,
                cb,
                stop_at,
                reenter,
                fit,
                rep
            }),
        2 => (p(), a()).prop_map(|(fit, rep)| Op::Solve { fit, rep }),
        1 => (p(), a()).prop_map(|(fit, out)| Op::Elbo { fit, out }),
        2 => (any::<bool>(), len(), p(), a())
            .prop_map(|(scale, len, fit, out)| Op::PostVec { scale, len, fit, out }),
        1 => (prop_oneof![0..CAP + 4, Just(usize::MAX)], p(), a())
            .prop_map(|(index, fit, out)| Op::Summary { index, fit, out }),
        2 => (prop_oneof![0..CAP + 4, Just(usize::MAX)], prop_oneof![
                2 => val(), 3 => (0.0..1.0f64).prop_map(Val::Ord)], p(), a())
            .prop_map(|(index, q, fit, out)| Op::Quantile { index, q, fit, out }),
        2 => (prop_oneof![0..6usize, Just(usize::MAX / 2), Just(usize::MAX)], len(), p(), a())
            .prop_map(|(n, len, fit, out)| Op::Draw { n, len, fit, out }),
        2 => (dim(), fill(), p(), a(), a(), a())
            .prop_map(|(n, x, fit, xp, mp, sp)| Op::Predict { n, x, fit, xp, mp, sp }),
        2 => (len(), p(), a(), a())
            .prop_map(|(len, fit, buf, written)| Op::Save { len, fit, buf, written }),
        4 => (ck(), p(), a()).prop_map(|(src, fit, buf)| Op::Load { src, fit, buf }),
        1 => (dim(), any::<u64>(), p()).prop_map(|(p, seed, s)| Op::SynthInit { p, seed, s }),
        1 => (dim(), p(), a(), a()).prop_map(|(n, s, xp, yp)| Op::SynthNext { n, s, xp, yp }),
        1 => (len(), p(), a()).prop_map(|(len, s, out)| Op::SynthTruth { len, s, out }),
        1 => p().prop_map(|fit| Op::Reset { fit }),
        2 => (
            prop_oneof![4 => 0..2u32, 1 => Just(2u32), 1 => any::<u32>()],
            prop_oneof![
                1 => Just(0u32),
                6 => 1..100u32,
                1 => Just(vireg::MAX_PARTICLES),
                1 => Just(vireg::MAX_PARTICLES + 1),
                1 => any::<u32>(),
            ],
            p(),
        )
            .prop_map(|(estimator, particles, fit)| Op::SetEstimator {
                estimator,
                particles,
                fit
            }),
        2 => (prop_oneof![2 => val(), 3 => (0.0..1.0f64).prop_map(Val::Ord)], p(), a(), a())
            .prop_map(|(mass, fit, lo, hi)| Op::SigmaHdi { mass, fit, lo, hi }),
        3 => (
            prop_oneof![Just(0usize), 1..30usize],
            dim(),
            prop_oneof![
                6 => Just(None),
                2 => (0..CAP + 4).prop_map(Some),
                1 => Just(Some(usize::MAX / 2 + 1)),
                1 => Just(Some(usize::MAX)),
            ],
            fill(),
            prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
            (p(), a(), a(), a(), a()),
        )
            .prop_map(|(rows, n, stride, x, alias, (fit, xp, mp, sp, bad))| {
                Op::PredictRows {
                    rows,
                    n,
                    stride,
                    x,
                    alias,
                    ptrs: [fit, xp, mp, sp, bad],
                }
            }),
        4 => (dim(), fill(), val(), weight(), p(), a())
            .prop_map(|(n, x, y, w, fit, xp)| Op::ObserveWeighted { n, x, y, w, fit, xp }),
        4 => (
            prop_oneof![Just(0usize), 1..30usize],
            prop_oneof![6 => Just(None), 2 => (0..CAP + 4).prop_map(Some)],
            fill(),
            fill(),
            prop::collection::vec(weight(), 1..8),
            (p(), a(), a(), a(), a()),
        )
            .prop_map(|(rows, stride, x, y, w, (fit, xp, yp, wp, bad))| {
                Op::ObserveRowsWeighted {
                    rows,
                    stride,
                    x,
                    y,
                    w,
                    ptrs: [fit, xp, yp, wp, bad],
                }
            }),
        3 => (forget(), p()).prop_map(|(g, fit)| Op::SetForget { g, fit }),
        1 => (p(), a()).prop_map(|(fit, out)| Op::EffectiveRows { fit, out }),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    (any::<bool>(), 0..FIT_SLOTS, op()).prop_map(|(f64, slot, op)| Call { f64, slot, op })
}

// ---------------------------------------------------------------------------------------------
// The world: caller-owned states of both precisions, their shadows, saved checkpoints
// ---------------------------------------------------------------------------------------------

/// Extra u64 words after each state: must never be written.
const GUARD_WORDS: usize = 4;
const GUARD: u64 = 0xDEAD_BEEF_F00D_CAFE;

fn state_buf(bytes: usize) -> Buf {
    let mut b = Buf::new(bytes + 8 * GUARD_WORDS);
    let n = b.words.len();
    b.words[n - GUARD_WORDS..].fill(GUARD);
    b
}

#[derive(Clone)]
struct Fam<T: Prec> {
    fits: Vec<Buf>,
    shadows: Vec<Option<RFit<T>>>,
    synths: Vec<Buf>,
    synth_p: Vec<Option<usize>>,
    pool: Vec<Vec<u8>>,
}

impl<T: Prec> Fam<T> {
    fn new() -> Self {
        let mut f = Fam {
            fits: (0..FIT_SLOTS).map(|_| state_buf(T::fit_size())).collect(),
            shadows: vec![None; FIT_SLOTS],
            synths: (0..SYNTH_SLOTS)
                .map(|_| state_buf(T::synth_size()))
                .collect(),
            synth_p: vec![None; SYNTH_SLOTS],
            pool: Vec::new(),
        };
        // slot 0: 3 features, 40 rows, 20 steps; slot 1: the capacity, 30 rows; slot 2: none.
        for (slot, p, rows, steps) in [(0usize, 3usize, 40usize, 20u64), (1, CAP, 30, 0)] {
            let fill = Fill {
                seed: slot as u64 + 1,
                scale: 1.0,
                specials: vec![],
            };
            let xs: Vec<T> = fill.make(rows * p);
            let ys: Vec<T> = fill.make(rows);
            let fit = f.fits[slot].ptr::<T::Fit>();
            let mut shadow: RFit<T> = Fit::new(p, vireg::Config::default()).unwrap();
            shadow.observe_rows(&xs, p, &ys).unwrap();
            let mut bad = 0;
            // SAFETY: valid buffers of the lengths given.
            unsafe {
                assert_eq!(T::init(fit, p, ptr::null()), VIREG_OK);
                let s = T::observe_rows(fit, xs.as_ptr(), rows, p, p, ys.as_ptr(), &mut bad);
                assert_eq!(s, VIREG_OK);
                if steps > 0 {
                    assert_eq!(T::step(fit, steps, ptr::null_mut()), VIREG_OK);
                    shadow.steps(steps).unwrap();
                }
            }
            f.pool.push(save(&shadow));
            f.shadows[slot] = Some(shadow);
        }
        // synth 0: 3 features
        // SAFETY: a valid buffer.
        assert_eq!(unsafe { T::synth_init(f.synths[0].ptr(), 3, 9) }, VIREG_OK);
        f.synth_p[0] = Some(3);
        f
    }

    fn snapshot(&self) -> Vec<Vec<u8>> {
        self.fits
            .iter()
            .chain(&self.synths)
            .map(|b| b.bytes())
            .collect()
    }

    fn check_guards(&self) {
        for b in self.fits.iter().chain(&self.synths) {
            let n = b.words.len();
            assert!(
                b.words[n - GUARD_WORDS..].iter().all(|w| *w == GUARD),
                "a call wrote past a state"
            );
        }
    }
}

#[derive(Clone)]
struct World {
    a: Fam<f32>,
    b: Fam<f64>,
}

/// Which state a call may change.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    None,
    Fit(usize),
    Synth(usize),
}

const DEFINED: [i32; 22] = [
    VIREG_OK,
    VIREG_ERR_NON_FINITE,
    VIREG_ERR_DIMENSION,
    VIREG_ERR_FEATURES,
    VIREG_ERR_CONFIG,
    VIREG_ERR_DIVERGED,
    VIREG_ERR_OVERFLOW,
    VIREG_ERR_NOT_CONVERGED,
    VIREG_ERR_MISMATCH,
    VIREG_ERR_BUFFER_TOO_SMALL,
    VIREG_ERR_BAD_CHECKPOINT,
    VIREG_ERR_CHECKSUM,
    VIREG_ERR_INCOMPATIBLE,
    VIREG_ERR_ILL_CONDITIONED,
    VIREG_ERR_NOT_FITTED,
    VIREG_ERR_TRUNCATED,
    VIREG_ERR_STATE_SIZE,
    VIREG_ERR_NULL,
    VIREG_ERR_UNINITIALISED,
    VIREG_ERR_BUSY,
    VIREG_ERR_MISALIGNED,
    VIREG_ERR_INVALID_ARGUMENT,
];

/// A guarded array of `len` usable elements (at least `min` allocated), the rest sentinels.
struct Arr<U: Copy> {
    v: Vec<U>,
}

impl<U: Copy> Arr<U> {
    fn new(usable: Vec<U>, fill: U) -> Self {
        let mut v = usable;
        v.extend(std::iter::repeat_n(fill, 8));
        Arr { v }
    }
    fn ptr(&mut self, mode: Ptr) -> *mut U {
        adjust(self.v.as_mut_ptr(), mode)
    }
}

/// The pointer a mode stands for (`Other` is resolved by the caller for state arguments).
fn adjust<U>(p: *mut U, mode: Ptr) -> *mut U {
    match mode {
        Ptr::Valid | Ptr::Other => p,
        Ptr::Null => ptr::null_mut(),
        Ptr::Misaligned => {
            if core::mem::align_of::<U>() == 1 {
                p
            } else {
                p.cast::<u8>().wrapping_add(1).cast()
            }
        }
    }
}

fn real_ck<T: Prec>(fam: &Fam<T>, other: &[Vec<u8>], src: &Ck) -> Vec<u8> {
    let own = |i: usize| fam.pool[i % fam.pool.len()].clone();
    let l = Layout::new(T::BYTES, CAP);
    match src {
        Ck::Pool { i, other: o } => {
            if *o {
                other[i % other.len()].clone()
            } else {
                own(*i)
            }
        }
        Ck::Random { seed, len, magic } => {
            let mut s = *seed | 1;
            let mut v: Vec<u8> = (0..*len)
                .map(|_| {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (s >> 56) as u8
                })
                .collect();
            if *magic && v.len() >= 16 {
                v[..4].copy_from_slice(b"VIRG");
                v[4..6].copy_from_slice(&1u16.to_le_bytes());
                v[6] = T::BYTES as u8;
                v[7] = 0;
                v[8..12].copy_from_slice(&(CAP as u32).to_le_bytes());
                let n = v.len() as u32;
                v[12..16].copy_from_slice(&n.to_le_bytes());
            }
            v
        }
        Ck::Truncate { i, cut } => {
            let v = own(*i);
            v[..cut % (v.len() + 1)].to_vec()
        }
        Ck::Mutate { i, edits, reseal } => {
            let mut v = own(*i);
            for (pos, b) in edits {
                let n = v.len();
                v[pos % n] = *b;
            }
            if *reseal {
                l.reseal(&mut v);
            }
            v
        }
        Ck::Field {
            i,
            field,
            v: val,
            u,
        } => {
            let mut v = own(*i);
            let fields = l.fields();
            let f = fields[field % fields.len()];
            match f.kind {
                Kind::Real => put_real(&mut v, f.off, T::BYTES, val.get()),
                Kind::U32 => put_u32(&mut v, f.off, *u as u32),
                Kind::U64 => put_u64(&mut v, f.off, *u),
            }
            l.reseal(&mut v);
            v
        }
    }
}

/// A byte pointer: always aligned.
fn opt_u8(m: Ptr) -> Ptr {
    if m == Ptr::Misaligned {
        Ptr::Valid
    } else {
        m
    }
}

/// An optional pointer: NULL is as good as a valid one.
fn opt(m: Ptr) -> Ptr {
    if m == Ptr::Null {
        Ptr::Valid
    } else {
        m
    }
}

fn bits<T: Normal>(v: T) -> u64 {
    v.to_f64().to_bits()
}

fn status_of<V>(r: &Result<V, vireg::Error>) -> i32 {
    match r {
        Ok(_) => VIREG_OK,
        Err(e) => *e as i32,
    }
}

/// Runs one call on family `T` and checks what can be checked there. Returns the status and the
/// state the call may have changed.
fn exec<T: Prec>(
    fam: &mut Fam<T>,
    other_fit: *mut u8,
    other_pool: &[Vec<u8>],
    c: &Call,
) -> (i32, Target, bool) {
    let slot = c.slot;
    // A configuration (from a forged checkpoint) may ask for millions of Monte Carlo particles:
    // valid, but each step then takes minutes. Such fits are not stepped here.
    if matches!(c.op, Op::Step { .. } | Op::Run { .. }) {
        if let Some(f) = &fam.shadows[slot] {
            if let vireg::Estimator::MonteCarlo { particles } = f.config().estimator {
                if particles > 64 {
                    return (VIREG_OK, Target::None, true);
                }
            }
        }
    }
    let own_p = fam.shadows[slot].as_ref().map(|f| f.features());
    let p = own_p.unwrap_or(3);
    let inited = own_p.is_some();
    // state pointers
    let other_synth = fam.fits[slot % FIT_SLOTS].ptr::<u8>();
    let fit_ptr = |fam: &mut Fam<T>, mode: Ptr| -> *mut T::Fit {
        match mode {
            Ptr::Other => other_fit.cast(),
            m => adjust(fam.fits[slot].ptr::<T::Fit>(), m),
        }
    };
    let synth_slot = slot % SYNTH_SLOTS;
    let synth_ptr = |fam: &mut Fam<T>, mode: Ptr| -> *mut T::Synth {
        match mode {
            Ptr::Other => other_synth.cast(),
            m => adjust(fam.synths[synth_slot].ptr::<T::Synth>(), m),
        }
    };
    // Expected status from the state argument alone, when it decides:
    let state_status = |mode: Ptr, inited: bool| -> Option<i32> {
        match mode {
            Ptr::Null => Some(VIREG_ERR_NULL),
            Ptr::Misaligned => Some(VIREG_ERR_MISALIGNED),
            Ptr::Other => Some(VIREG_ERR_UNINITIALISED),
            Ptr::Valid if !inited => Some(VIREG_ERR_UNINITIALISED),
            Ptr::Valid => None,
        }
    };
    let any = |ms: &[Ptr], m: Ptr| ms.contains(&m);
    // For calls whose arguments are all pointers: NULL wins when there is no misaligned one;
    // otherwise the call fails.
    let ptr_check = |s: i32, ms: &[Ptr]| {
        if any(ms, Ptr::Null) && !any(ms, Ptr::Misaligned) {
            assert_eq!(s, VIREG_ERR_NULL, "{c:?}");
        } else if any(ms, Ptr::Misaligned) {
            // refused; which check speaks first (a size, the state, the alignment) varies
            assert_ne!(s, VIREG_OK, "{c:?}");
        }
    };
    let all_valid = |ms: &[Ptr]| ms.iter().all(|m| *m == Ptr::Valid);

    // SAFETY (every call below): each pointer is NULL, misaligned (refused before any access),
    // a state buffer of the right size for what the function may write, or a guarded array at
    // least as long as the length passed; lengths that no buffer could satisfy are refused by
    // the library before any access (checked sizes).
    unsafe {
        match &c.op {
            Op::ConfigDefault { out } => {
                let mut a = Arr::new(vec![T::cfg_default()], T::cfg_default());
                let before = fields(&a.v, T::cfg_bits);
                let s = T::config_default(a.ptr(*out));
                ptr_check(s, &[*out]);
                // the defaults are stable, and nothing else is written
                assert_eq!(fields(&a.v, T::cfg_bits), before);
                assert_eq!(
                    T::cfg_to_rust(&a.v[0]),
                    Ok(vireg::Config::default()),
                    "the C defaults are the kernel's"
                );
                (s, Target::None, true)
            }
            Op::Init {
                p: pd,
                cfg,
                fit,
                cfgp,
            } => {
                let n = pd.get(p);
                let mut ccfg = T::cfg_default();
                if let Some(edits) = cfg {
                    for (i, v, u) in edits {
                        let u = match i {
                            12 => u % 5,
                            _ => *u,
                        };
                        T::cfg_set(&mut ccfg, *i, v.get(), u);
                    }
                }
                let mut ca = Arr::new(vec![ccfg], ccfg);
                let cptr: *const T::Cfg = if cfg.is_none() {
                    ptr::null()
                } else {
                    ca.ptr(*cfgp)
                };
                let fmode = if *fit == Ptr::Other { Ptr::Valid } else { *fit };
                let fp = fit_ptr(fam, fmode);
                // A state of another size (a header of another capacity) is refused first,
                // untouched, whatever the other arguments.
                let untouched = fam.fits[slot].bytes();
                for size in [0, T::fit_size() - 8, T::fit_size() + 8] {
                    let s = T::init_sized(fp, size, n, cptr);
                    let want = match fmode {
                        Ptr::Null => VIREG_ERR_NULL,
                        Ptr::Misaligned => VIREG_ERR_MISALIGNED,
                        _ => VIREG_ERR_STATE_SIZE,
                    };
                    assert_eq!(s, want, "{c:?}: init_sized({size})");
                    assert!(fam.fits[slot].bytes() == untouched);
                }
                let s = T::init(fp, n, cptr);
                let cfg_mode = if cfg.is_none() { Ptr::Valid } else { *cfgp };
                if fmode == Ptr::Null {
                    assert_eq!(s, VIREG_ERR_NULL);
                } else if fmode == Ptr::Misaligned || cfg_mode == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                } else {
                    // the kernel decides, as the Rust API does (NULL: the defaults)
                    let want = match (cfg, cfg_mode) {
                        (None, _) | (_, Ptr::Null) => Ok(vireg::Config::default()),
                        _ => T::cfg_to_rust(&ccfg),
                    }
                    .and_then(|k| RFit::<T>::new(n, k).map_err(|e| e as i32));
                    match want {
                        Ok(f) => {
                            assert_eq!(s, VIREG_OK, "{c:?}");
                            assert!(
                                c_save_slot(fam, slot) == save(&f),
                                "{c:?}: C state != shadow"
                            );
                            // the configuration reads back
                            let mut out = T::cfg_default();
                            assert_eq!(T::get_config(fp, &mut out), VIREG_OK);
                            assert_eq!(T::cfg_to_rust(&out), Ok(f.config()));
                            fam.shadows[slot] = Some(f);
                        }
                        Err(e) => assert_eq!(s, e, "{c:?}"),
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::GetConfig { fit, out } => {
                let mut a = Arr::new(vec![T::cfg_default()], T::cfg_default());
                let before = fields(&a.v, T::cfg_bits);
                let s = T::get_config(fit_ptr(fam, *fit), a.ptr(*out));
                ptr_check(s, &[*fit, *out]);
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            assert_eq!(T::cfg_to_rust(&a.v[0]), Ok(f.config()));
                            assert_eq!(fields(&a.v[1..], T::cfg_bits), before[18..]);
                        }
                    }
                }
                if s != VIREG_OK {
                    assert_eq!(fields(&a.v, T::cfg_bits), before);
                }
                (s, Target::None, true)
            }
            Op::SetLr { lr, fit } => {
                let lr = T::c(lr.get());
                let s = T::set_lr(fit_ptr(fam, *fit), lr);
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                } else {
                    let f = fam.shadows[slot].as_mut().unwrap();
                    let a = AdamConfig {
                        lr,
                        ..f.config().adam
                    };
                    assert_eq!(s, status_of(&f.set_adam(a)), "{c:?}");
                }
                (s, Target::Fit(slot), false)
            }
            Op::Features { fit, out } | Op::Rows { fit, out } => {
                let mut a = Arr::new(vec![7u64], 7u64);
                let is_rows = matches!(c.op, Op::Rows { .. });
                let s = if is_rows {
                    T::rows(fit_ptr(fam, *fit), a.ptr(*out))
                } else {
                    T::features(fit_ptr(fam, *fit), a.ptr(*out).cast::<usize>())
                };
                ptr_check(s, &[*fit, *out]);
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            let want = if is_rows {
                                f.stats().rows()
                            } else {
                                f.features() as u64
                            };
                            assert_eq!(a.v[0], want);
                        }
                    }
                }
                if s != VIREG_OK {
                    assert_eq!(a.v[0], 7);
                }
                assert!(a.v[1..].iter().all(|v| *v == 7));
                (s, Target::None, true)
            }
            Op::Observe { n, x, y, fit, xp } => {
                let n = n.get(p);
                let len = n.min(64);
                let mut xa = Arr::new(x.make::<T>(len), T::c(7.0));
                let before = xa.v.clone();
                let y = T::c(y.get());
                let s = T::observe(fit_ptr(fam, *fit), xa.ptr(*xp), n, y);
                ptr_check(s, &[*fit, *xp]);
                assert_eq!(bits_vec(&xa.v), bits_vec(&before), "input written");
                if all_valid(&[*fit, *xp]) {
                    match fam.shadows[slot].as_mut() {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) if n != f.features() => assert_eq!(s, VIREG_ERR_DIMENSION),
                        // a row count at its largest (a forged checkpoint): refused first
                        Some(f) if f.stats().rows() == u64::MAX => {
                            assert_eq!(s, VIREG_ERR_OVERFLOW)
                        }
                        Some(f) => assert_eq!(s, status_of(&f.observe(&xa.v[..n], y)), "{c:?}"),
                    }
                } else if *fit == Ptr::Valid && inited && *xp == Ptr::Null {
                    assert_eq!(s, VIREG_ERR_NULL);
                }
                (s, Target::Fit(slot), false)
            }
            Op::ObserveRows {
                rows,
                n,
                stride,
                x,
                y,
                fit,
                xp,
                yp,
                bad,
            } => {
                let n = n.get(p);
                let stride = stride.unwrap_or(n);
                // The values the library may read: (rows - 1) * stride + n, when that is an
                // address range at all; otherwise it must refuse before reading.
                let need = rows
                    .checked_sub(1)
                    .map(|l| l.checked_mul(stride).and_then(|v| v.checked_add(n)))
                    .unwrap_or(Some(0));
                let xlen = match need {
                    Some(v) if v <= 4096 => v,
                    _ => 64,
                };
                let readable = matches!(need, Some(v) if v <= 4096);
                let mut xa = Arr::new(x.make::<T>(xlen), T::c(7.0));
                let mut ya = Arr::new(y.make::<T>(*rows), T::c(7.0));
                let (xb, yb) = (bits_vec(&xa.v), bits_vec(&ya.v));
                let mut ba = Arr::new(vec![usize::MAX - 1], usize::MAX - 1);
                let s = T::observe_rows(
                    fit_ptr(fam, *fit),
                    xa.ptr(*xp),
                    *rows,
                    n,
                    stride,
                    ya.ptr(*yp),
                    ba.ptr(*bad),
                );
                assert_eq!(bits_vec(&xa.v), xb);
                assert_eq!(bits_vec(&ya.v), yb);
                assert!(ba.v[1..].iter().all(|v| *v == usize::MAX - 1));
                if *bad == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                }
                if *bad != Ptr::Valid {
                    assert_eq!(ba.v[0], usize::MAX - 1);
                }
                if all_valid(&[*fit, *xp, *yp, opt(*bad)]) {
                    let shadow = fam.shadows[slot].as_mut();
                    // what bad_row_out received (0 when NULL, as the checks below expect it)
                    let got = if *bad == Ptr::Valid { ba.v[0] } else { 0 };
                    match shadow {
                        None => {
                            assert_eq!(s, VIREG_ERR_UNINITIALISED);
                            assert_eq!(got, 0);
                        }
                        Some(f) if n != f.features() || stride < n || !readable => {
                            // (the generator never asks for a readable range it did not
                            // allocate: too long to address, or allocated)
                            let huge = isize::MAX as usize / core::mem::size_of::<T>();
                            assert!(
                                n != f.features()
                                    || stride < n
                                    || need.is_none_or(|v| v <= 4096 || v > huge),
                                "{c:?}: would read {need:?} values"
                            );
                            assert_eq!(s, VIREG_ERR_DIMENSION, "{c:?}");
                            assert_eq!(got, 0);
                        }
                        Some(f) if f.stats().rows().checked_add(*rows as u64).is_none() => {
                            assert_eq!(s, VIREG_ERR_OVERFLOW);
                            if *bad == Ptr::Valid {
                                assert_eq!(got, *rows);
                            }
                        }
                        Some(f) => {
                            let r = f.observe_rows(&xa.v[..xlen], stride, &ya.v[..*rows]);
                            match r {
                                Ok(()) => {
                                    assert_eq!(s, VIREG_OK);
                                    if *bad == Ptr::Valid {
                                        assert_eq!(got, *rows);
                                    }
                                }
                                Err((i, e)) => {
                                    assert_eq!(s, e as i32, "{c:?}");
                                    if *bad == Ptr::Valid {
                                        assert_eq!(got, i);
                                    }
                                }
                            }
                        }
                    }
                } else {
                    ptr_check(s, &[*fit, *xp, *yp, opt(*bad)]);
                    if *bad == Ptr::Valid && s != VIREG_OK {
                        assert!(
                            ba.v[0] == 0 || s == VIREG_ERR_NON_FINITE || s == VIREG_ERR_OVERFLOW
                        );
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::Merge { src, fit, srcp } => {
                let src_fp: *const T::Fit = match srcp {
                    Ptr::Other => other_fit.cast(),
                    m => adjust(fam.fits[*src].ptr::<T::Fit>(), *m),
                };
                let s = T::merge(fit_ptr(fam, *fit), src_fp);
                ptr_check(s, &[*fit, *srcp]);
                if all_valid(&[*fit, *srcp]) {
                    let src_stats = fam.shadows[*src].as_ref().map(|f| *f.stats());
                    match (fam.shadows[slot].as_mut(), src_stats) {
                        (Some(d), Some(st))
                            if d.stats().rows().checked_add(st.rows()).is_none() =>
                        {
                            assert_eq!(s, VIREG_ERR_OVERFLOW)
                        }
                        (Some(d), Some(st)) => {
                            assert_eq!(s, status_of(&d.merge(&st)), "{c:?}")
                        }
                        _ => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                    }
                } else if (*fit == Ptr::Other || *srcp == Ptr::Other)
                    && !any(&[*fit, *srcp], Ptr::Null)
                    && !any(&[*fit, *srcp], Ptr::Misaligned)
                {
                    assert_eq!(s, VIREG_ERR_UNINITIALISED);
                }
                (s, Target::Fit(slot), false)
            }
            Op::Step { n, fit, loss } => {
                let sentinel = T::c(-7.25);
                let mut la = Arr::new(vec![sentinel], sentinel);
                let before = if inited {
                    Some(c_save_slot(fam, slot))
                } else {
                    None
                };
                let s = T::step(fit_ptr(fam, *fit), *n, la.ptr(*loss));
                assert!(la.v[1..].iter().all(|v| bits(*v) == bits(sentinel)));
                if s != VIREG_OK {
                    assert_eq!(bits(la.v[0]), bits(sentinel), "loss written on error");
                }
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                } else if *loss == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                } else if *n == 0 {
                    assert_eq!(s, VIREG_ERR_INVALID_ARGUMENT);
                } else {
                    let f = fam.shadows[slot].as_mut().unwrap();
                    let r = f.steps(*n);
                    assert_eq!(s, status_of(&r), "{c:?}");
                    if let (Ok(v), Ptr::Valid) = (r, *loss) {
                        assert_eq!(bits(la.v[0]), bits(v));
                    }
                    if s == VIREG_ERR_DIVERGED {
                        // data and configuration unchanged (byte 7, the fitted flag, is set
                        // when a step before the divergence succeeded)
                        let l = Layout::new(T::BYTES, CAP);
                        let after = c_save_slot(fam, slot);
                        let before = before.unwrap();
                        assert!(after[..7] == before[..7], "{c:?}");
                        assert!(after[8..l.guide] == before[8..l.guide], "{c:?}");
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::Run {
                max,
                every,
                cb,
                stop_at,
                reenter,
                fit,
                rep,
            } => {
                let mut ra = Arr::new(
                    vec![core::mem::zeroed::<T::RunReport>()],
                    core::mem::zeroed::<T::RunReport>(),
                );
                let rb = fields(&ra.v, T::report_bits);
                let fp = fit_ptr(fam, *fit);
                let mut prog = Progress {
                    stop_at: *stop_at,
                    calls: 0,
                    fit: if *reenter { fp.cast() } else { ptr::null_mut() },
                    reentrant_statuses: Vec::new(),
                    last_step: None,
                };
                let user: *mut c_void = (&mut prog as *mut Progress).cast();
                let cbf = if *cb { T::progress() } else { T::no_progress() };
                let before = if inited {
                    Some(c_save_slot(fam, slot))
                } else {
                    None
                };
                let s = T::run(fp, *max, *every, cbf, user, ra.ptr(*rep));
                assert_eq!(fields(&ra.v[1..], T::report_bits), rb[6..]);
                if s != VIREG_OK {
                    assert_eq!(fields(&ra.v, T::report_bits), rb, "report written on error");
                }
                if *reenter {
                    assert!(
                        prog.reentrant_statuses.iter().all(|s| *s == VIREG_ERR_BUSY),
                        "{:?}",
                        prog.reentrant_statuses
                    );
                }
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                    assert_eq!(prog.calls, 0);
                } else if *rep == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                } else if *max == 0 {
                    assert_eq!(s, VIREG_ERR_INVALID_ARGUMENT);
                } else {
                    let f = fam.shadows[slot].as_mut().unwrap();
                    let mut calls = 0u64;
                    let r = f.run(*max, *every, |_, _| {
                        if *cb {
                            calls += 1;
                            calls < *stop_at
                        } else {
                            true
                        }
                    });
                    assert_eq!(s, status_of(&r), "{c:?}");
                    if *cb {
                        assert_eq!(prog.calls, calls);
                    }
                    if let (Ok(r), Ptr::Valid) = (r, *rep) {
                        let want = [
                            r.steps,
                            r.averaged,
                            bits(r.loss),
                            bits(r.elbo),
                            r.converged as u64,
                            r.stopped as u64,
                        ];
                        let got = T::report_bits(&ra.v[0]);
                        assert_eq!(got[..2], want[..2]);
                        assert_eq!(got[4..], want[4..]);
                        assert_eq!(bits_t::<T>(got[2]), want[2]);
                        assert_eq!(bits_t::<T>(got[3]), want[3]);
                    }
                    if s == VIREG_ERR_DIVERGED {
                        let l = Layout::new(T::BYTES, CAP);
                        let after = c_save_slot(fam, slot);
                        // (byte 7 is the fitted flag, set when a step before it succeeded)
                        let before = before.unwrap();
                        assert!(after[..7] == before[..7], "{c:?}");
                        assert!(after[8..l.guide] == before[8..l.guide], "{c:?}");
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::Solve { fit, rep } => {
                let z = core::mem::zeroed::<T::ExactReport>();
                let mut ra = Arr::new(vec![z], z);
                let rb = fields(&ra.v, T::exact_bits);
                let s = T::solve_exact(fit_ptr(fam, *fit), ra.ptr(*rep));
                assert_eq!(fields(&ra.v[1..], T::exact_bits), rb[2..]);
                if s != VIREG_OK {
                    assert_eq!(fields(&ra.v, T::exact_bits), rb);
                }
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                } else if *rep == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                } else {
                    let f = fam.shadows[slot].as_mut().unwrap();
                    let r = f.solve_exact();
                    assert_eq!(s, status_of(&r), "{c:?}");
                    if let (Ok(r), Ptr::Valid) = (r, *rep) {
                        let got = T::exact_bits(&ra.v[0]);
                        assert_eq!(bits_t::<T>(got[0]), bits(r.elbo));
                        assert_eq!(got[1], r.iterations as u64);
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::Elbo { fit, out } => {
                let sentinel = T::c(-7.25);
                let mut a = Arr::new(vec![sentinel], sentinel);
                let s = T::elbo(fit_ptr(fam, *fit), a.ptr(*out));
                ptr_check(s, &[*fit, *out]);
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            assert_eq!(bits(a.v[0]), bits(f.elbo_of(&f.reported_guide())));
                        }
                    }
                }
                if s != VIREG_OK {
                    assert_eq!(bits(a.v[0]), bits(sentinel));
                }
                assert!(a.v[1..].iter().all(|v| bits(*v) == bits(sentinel)));
                (s, Target::None, true)
            }
            Op::PostVec {
                scale,
                len,
                fit,
                out,
            } => {
                let need = p + 2;
                let l = len.get(need);
                let sentinel = T::c(-7.25);
                let mut a = Arr::new(vec![sentinel; l.max(need)], sentinel);
                let fp = fit_ptr(fam, *fit);
                let s = if *scale {
                    T::post_scale(fp, a.ptr(*out), l)
                } else {
                    T::post_loc(fp, a.ptr(*out), l)
                };
                ptr_check(s, &[*fit, *out]);
                let written = if s == VIREG_OK { need } else { 0 };
                assert!(
                    a.v[written..].iter().all(|v| bits(*v) == bits(sentinel)),
                    "{c:?}: written past p + 2 or on error"
                );
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(_) if l < need => assert_eq!(s, VIREG_ERR_DIMENSION),
                        Some(f) if !f.is_fitted() => assert_eq!(s, VIREG_ERR_NOT_FITTED),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            let mut want = vec![T::c(0.0); need];
                            if *scale {
                                f.posterior().unwrap().scale(&mut want);
                            } else {
                                f.posterior().unwrap().loc(&mut want);
                            }
                            assert_eq!(bits_vec(&a.v[..need]), bits_vec(&want));
                        }
                    }
                }
                (s, Target::None, true)
            }
            Op::Summary { index, fit, out } => {
                let z = core::mem::zeroed::<T::Summary>();
                let mut a = Arr::new(vec![z], z);
                let before = fields(&a.v, T::summary_bits);
                let s = T::summary(fit_ptr(fam, *fit), *index, a.ptr(*out));
                ptr_check(s, &[*fit, *out]);
                if s != VIREG_OK {
                    assert_eq!(fields(&a.v, T::summary_bits), before);
                }
                assert_eq!(fields(&a.v[1..], T::summary_bits), before[3..]);
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) if *index > f.features() + 1 => {
                            assert_eq!(s, VIREG_ERR_DIMENSION)
                        }
                        Some(f) if !f.is_fitted() => assert_eq!(s, VIREG_ERR_NOT_FITTED),
                        Some(f) => match f.posterior().unwrap().summary(*index) {
                            None => assert_eq!(s, VIREG_ERR_DIMENSION),
                            Some(w) => {
                                assert_eq!(s, VIREG_OK);
                                let got = T::summary_bits(&a.v[0]);
                                let got: Vec<u64> = got.iter().map(|b| bits_t::<T>(*b)).collect();
                                assert_eq!(got, vec![bits(w.mean), bits(w.sd), bits(w.median)]);
                            }
                        },
                    }
                }
                (s, Target::None, true)
            }
            Op::Quantile { index, q, fit, out } => {
                let sentinel = T::c(-7.25);
                let mut a = Arr::new(vec![sentinel], sentinel);
                let q = T::c(q.get());
                let s = T::quantile(fit_ptr(fam, *fit), *index, q, a.ptr(*out));
                ptr_check(s, &[*fit, *out]);
                if s != VIREG_OK {
                    assert_eq!(bits(a.v[0]), bits(sentinel));
                }
                assert!(a.v[1..].iter().all(|v| bits(*v) == bits(sentinel)));
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) if *index > f.features() + 1 => {
                            assert_eq!(s, VIREG_ERR_DIMENSION)
                        }
                        Some(_) if !q.is_finite() => assert_eq!(s, VIREG_ERR_NON_FINITE),
                        Some(_) if !(q > T::c(0.0) && q < T::c(1.0)) => {
                            assert_eq!(s, VIREG_ERR_INVALID_ARGUMENT)
                        }
                        Some(f) if !f.is_fitted() => assert_eq!(s, VIREG_ERR_NOT_FITTED),
                        Some(f) => {
                            let r = f.posterior().unwrap().quantile(*index, q);
                            assert_eq!(s, status_of(&r));
                            if let Ok(v) = r {
                                assert_eq!(bits(a.v[0]), bits(v));
                            }
                        }
                    }
                }
                (s, Target::None, true)
            }
            Op::Draw { n, len, fit, out } => {
                let d = p + 2;
                let need = n.checked_mul(d);
                let l = match need {
                    Some(v) if v <= 4096 => len.get(v),
                    _ => 64,
                };
                let alloc = match need {
                    Some(v) if v <= 4096 => l.max(v),
                    _ => l,
                };
                let sentinel = T::c(-7.25);
                let mut a = Arr::new(vec![sentinel; alloc], sentinel);
                let s = T::draw(fit_ptr(fam, *fit), a.ptr(*out), *n, l);
                ptr_check(s, &[*fit, *out]);
                let written = if s == VIREG_OK { need.unwrap() } else { 0 };
                assert!(a.v[written..].iter().all(|v| bits(*v) == bits(sentinel)));
                if all_valid(&[*fit, *out]) {
                    match fam.shadows[slot].as_mut() {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(_) if need.is_none_or(|v| l < v) => {
                            assert_eq!(s, VIREG_ERR_DIMENSION)
                        }
                        Some(f) if !f.is_fitted() => assert_eq!(s, VIREG_ERR_NOT_FITTED),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            let mut want = vec![T::c(0.0); need.unwrap()];
                            for row in want.chunks_exact_mut(d) {
                                f.draw(row).unwrap();
                            }
                            assert_eq!(bits_vec(&a.v[..want.len()]), bits_vec(&want));
                        }
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::Reset { fit } => {
                let s = T::reset(fit_ptr(fam, *fit));
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                } else {
                    assert_eq!(s, VIREG_OK);
                    let f = fam.shadows[slot].as_mut().unwrap();
                    f.reset_data();
                    // a fresh fit of the same configuration, as the C init gives it
                    let fresh: RFit<T> = Fit::new(f.features(), f.config()).unwrap();
                    assert!(*f == fresh);
                }
                (s, Target::Fit(slot), false)
            }
            Op::SetEstimator {
                estimator,
                particles,
                fit,
            } => {
                let s = T::set_estimator(fit_ptr(fam, *fit), *estimator, *particles);
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                } else {
                    let f = fam.shadows[slot].as_mut().unwrap();
                    let want = match *estimator {
                        0 => status_of(&f.set_estimator(vireg::Estimator::MonteCarlo {
                            particles: *particles,
                        })),
                        1 => status_of(&f.set_estimator(vireg::Estimator::Analytic)),
                        _ => VIREG_ERR_CONFIG,
                    };
                    assert_eq!(s, want, "{c:?}");
                }
                (s, Target::Fit(slot), false)
            }
            Op::SigmaHdi { mass, fit, lo, hi } => {
                let sentinel = T::c(-7.25);
                let mut la = Arr::new(vec![sentinel], sentinel);
                let mut ha = Arr::new(vec![sentinel], sentinel);
                let mass = T::c(mass.get());
                let s = T::sigma_hdi(fit_ptr(fam, *fit), mass, la.ptr(*lo), ha.ptr(*hi));
                ptr_check(s, &[*fit, *lo, *hi]);
                if s != VIREG_OK {
                    assert_eq!(bits(la.v[0]), bits(sentinel));
                    assert_eq!(bits(ha.v[0]), bits(sentinel));
                }
                assert!(la.v[1..]
                    .iter()
                    .chain(&ha.v[1..])
                    .all(|v| bits(*v) == bits(sentinel)));
                if all_valid(&[*fit, *lo, *hi]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(_) if !mass.is_finite() => assert_eq!(s, VIREG_ERR_NON_FINITE),
                        Some(_) if !(mass > T::c(0.0) && mass < T::c(1.0)) => {
                            assert_eq!(s, VIREG_ERR_INVALID_ARGUMENT)
                        }
                        Some(f) if !f.is_fitted() => assert_eq!(s, VIREG_ERR_NOT_FITTED),
                        Some(f) => {
                            let r = f.posterior().unwrap().sigma_hdi(mass);
                            assert_eq!(s, status_of(&r));
                            let (l, h) = r.unwrap();
                            assert_eq!((bits(la.v[0]), bits(ha.v[0])), (bits(l), bits(h)));
                        }
                    }
                }
                (s, Target::None, true)
            }
            Op::PredictRows {
                rows,
                n,
                stride,
                x,
                alias,
                ptrs,
            } => {
                let [fit, xp, mp, sp, bad] = *ptrs;
                let n = n.get(p);
                let stride = stride.unwrap_or(n);
                // The values the library may read, as in ObserveRows.
                let need = rows
                    .checked_sub(1)
                    .map(|l| l.checked_mul(stride).and_then(|v| v.checked_add(n)))
                    .unwrap_or(Some(0));
                let readable = matches!(need, Some(v) if v <= 4096);
                let xlen = if readable { need.unwrap() } else { 64 };
                let mut xa = Arr::new(x.make::<T>(xlen), T::c(7.0));
                let sentinel = T::c(-7.25);
                let mut ma = Arr::new(vec![sentinel; *rows], sentinel);
                let mut sa = Arr::new(vec![sentinel; *rows], sentinel);
                let mut ba = Arr::new(vec![usize::MAX - 1], usize::MAX - 1);
                let xptr = xa.ptr(xp);
                let mptr = ma.ptr(mp);
                // aliased outputs: a call the library must refuse before writing
                let (mptr, sptr) = match alias {
                    1 => (mptr, mptr),
                    2 => (xptr, sa.ptr(sp)),
                    _ => (mptr, sa.ptr(sp)),
                };
                let aliased = *alias != 0 && *rows > 0;
                let xb = bits_vec(&xa.v);
                let s = T::predict_rows(
                    fit_ptr(fam, fit),
                    xptr,
                    *rows,
                    n,
                    stride,
                    mptr,
                    sptr,
                    ba.ptr(bad),
                );
                if *alias != 2 || s != VIREG_OK {
                    assert_eq!(bits_vec(&xa.v), xb, "{c:?}: rows written");
                }
                let written = if s == VIREG_OK { *rows } else { 0 };
                if *alias == 0 {
                    assert!(ma.v[written..].iter().all(|v| bits(*v) == bits(sentinel)));
                }
                assert!(sa.v[written..].iter().all(|v| bits(*v) == bits(sentinel)));
                if bad == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                }
                if bad != Ptr::Valid {
                    assert_eq!(ba.v[0], usize::MAX - 1);
                }
                assert!(ba.v[1..].iter().all(|v| *v == usize::MAX - 1));
                let got = if bad == Ptr::Valid { ba.v[0] } else { 0 };
                let mode_m = if *alias == 2 { xp } else { mp };
                let mode_s = if *alias == 1 { mp } else { sp };
                if all_valid(&[fit, xp, mode_m, mode_s, opt(bad)]) {
                    match &fam.shadows[slot] {
                        None => {
                            assert_eq!(s, VIREG_ERR_UNINITIALISED);
                            assert_eq!(got, 0);
                        }
                        Some(f) if n != f.features() || stride < n || !readable => {
                            assert_eq!(s, VIREG_ERR_DIMENSION, "{c:?}");
                            assert_eq!(got, 0);
                        }
                        Some(_) if aliased => {
                            assert_eq!(s, VIREG_ERR_INVALID_ARGUMENT, "{c:?}");
                            assert_eq!(got, 0);
                        }
                        Some(f) if !f.is_fitted() => {
                            assert_eq!(s, VIREG_ERR_NOT_FITTED);
                            assert_eq!(got, 0);
                        }
                        Some(f) => {
                            // row by row through the Rust API; the first refused row decides
                            let post = f.posterior().unwrap();
                            let mut want = Ok(());
                            let mut preds = Vec::new();
                            for i in 0..*rows {
                                match post.predict(&xa.v[i * stride..i * stride + n]) {
                                    Ok(v) => preds.push(v),
                                    Err(e) => {
                                        want = Err((i, e));
                                        break;
                                    }
                                }
                            }
                            match want {
                                Ok(()) => {
                                    assert_eq!(s, VIREG_OK, "{c:?}");
                                    if bad == Ptr::Valid {
                                        assert_eq!(got, *rows);
                                    }
                                    for (i, (m, sd)) in preds.iter().enumerate() {
                                        assert_eq!(bits(ma.v[i]), bits(*m));
                                        assert_eq!(bits(sa.v[i]), bits(*sd));
                                    }
                                }
                                Err((i, e)) => {
                                    assert_eq!(s, e as i32, "{c:?}");
                                    if bad == Ptr::Valid {
                                        assert_eq!(got, i);
                                    }
                                }
                            }
                        }
                    }
                } else {
                    ptr_check(s, &[fit, xp, mode_m, mode_s, opt(bad)]);
                    assert_ne!(s, VIREG_OK);
                }
                (s, Target::None, true)
            }
            Op::Predict {
                n,
                x,
                fit,
                xp,
                mp,
                sp,
            } => {
                let n = n.get(p);
                let mut xa = Arr::new(x.make::<T>(n.min(64)), T::c(7.0));
                let xb = bits_vec(&xa.v);
                let sentinel = T::c(-7.25);
                let mut m = Arr::new(vec![sentinel], sentinel);
                let mut sd = Arr::new(vec![sentinel], sentinel);
                let s = T::predict(fit_ptr(fam, *fit), xa.ptr(*xp), n, m.ptr(*mp), sd.ptr(*sp));
                ptr_check(s, &[*fit, *xp, *mp, *sp]);
                assert_eq!(bits_vec(&xa.v), xb);
                if s != VIREG_OK {
                    assert_eq!(bits(m.v[0]), bits(sentinel));
                    assert_eq!(bits(sd.v[0]), bits(sentinel));
                }
                if all_valid(&[*fit, *xp, *mp, *sp]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) if n != f.features() => assert_eq!(s, VIREG_ERR_DIMENSION),
                        Some(f) if !f.is_fitted() => assert_eq!(s, VIREG_ERR_NOT_FITTED),
                        Some(f) => {
                            let r = f.posterior().unwrap().predict(&xa.v[..n]);
                            assert_eq!(s, status_of(&r));
                            if let Ok((mm, ss)) = r {
                                assert_eq!((bits(m.v[0]), bits(sd.v[0])), (bits(mm), bits(ss)));
                            }
                        }
                    }
                }
                (s, Target::None, true)
            }
            Op::Save {
                len,
                fit,
                buf,
                written,
            } => {
                // a byte pointer cannot be misaligned
                let buf = &opt_u8(*buf);
                let need = T::checkpoint_size();
                let l = len.get(need);
                let mut ba = Arr::new(vec![0xA5u8; l.max(need)], 0xA5u8);
                let mut wa = Arr::new(vec![usize::MAX - 3], usize::MAX - 3);
                let s = T::save(fit_ptr(fam, *fit), ba.ptr(*buf), l, wa.ptr(*written));
                ptr_check(s, &[*fit, *buf, opt(*written)]);
                let w = if s == VIREG_OK { need } else { 0 };
                assert!(ba.v[w..].iter().all(|b| *b == 0xA5), "{c:?}");
                if s != VIREG_OK {
                    assert_eq!(wa.v[0], usize::MAX - 3);
                }
                if *written != Ptr::Valid {
                    assert_eq!(wa.v[0], usize::MAX - 3);
                }
                if all_valid(&[*fit, *buf, opt(*written)]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(_) if l < need => assert_eq!(s, VIREG_ERR_BUFFER_TOO_SMALL),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            if *written == Ptr::Valid {
                                assert_eq!(wa.v[0], need);
                            }
                            let ck = save(f);
                            assert!(ba.v[..need] == ck[..], "{c:?}");
                            if fam.pool.len() < 8 {
                                fam.pool.push(ck);
                            } else {
                                let k = (ba.v[need - 1] as usize) % 8;
                                fam.pool[k] = ck;
                            }
                        }
                    }
                }
                (s, Target::None, true)
            }
            Op::Load { src, fit, buf } => {
                let buf = &opt_u8(*buf);
                let bytes = real_ck(fam, other_pool, src);
                let mut ba = Arr::new(bytes.clone(), 0x5Au8);
                let fmode = if *fit == Ptr::Other { Ptr::Valid } else { *fit };
                let fp = fit_ptr(fam, fmode);
                if fmode == Ptr::Valid {
                    let untouched = fam.fits[slot].bytes();
                    let s = T::load_sized(fp, T::fit_size() / 2, ba.ptr(*buf), bytes.len());
                    assert_eq!(s, VIREG_ERR_STATE_SIZE, "{c:?}");
                    assert!(fam.fits[slot].bytes() == untouched);
                }
                let s = T::load(fp, ba.ptr(*buf), bytes.len());
                assert!(
                    ba.v[..bytes.len()] == bytes[..],
                    "the checkpoint was written"
                );
                if fmode != Ptr::Valid || *buf != Ptr::Valid {
                    if fmode == Ptr::Misaligned {
                        assert_eq!(s, VIREG_ERR_MISALIGNED);
                    } else {
                        assert_eq!(s, VIREG_ERR_NULL);
                    }
                } else {
                    let r = RFit::<T>::from_checkpoint(&bytes);
                    assert_eq!(s, status_of(&r), "{c:?}");
                    if s == VIREG_OK {
                        // Every byte of a loaded state is determined by the checkpoint: the
                        // same load into memory holding anything else gives the same bytes.
                        let n = T::fit_size();
                        let mut other = state_buf(n);
                        other.words[..n / 8].fill(0xA5A5_A5A5_A5A5_A5A5);
                        let s2 = T::load(other.ptr(), bytes.as_ptr(), bytes.len());
                        assert_eq!(s2, VIREG_OK);
                        assert!(other.bytes()[..n] == fam.fits[slot].bytes()[..n], "{c:?}");
                    }
                    // A checkpoint cut short is truncated, whatever the cut (the kernel's
                    // answer above is checked against the C ABI's; this against the format).
                    if let Ck::Truncate { .. } = src {
                        if bytes.len() < T::checkpoint_size() {
                            assert_eq!(s, VIREG_ERR_TRUNCATED, "{c:?}");
                        }
                    }
                    if let Ok(f) = r {
                        assert!(
                            c_save_slot(fam, slot) == save(&f),
                            "{c:?}: C state != shadow"
                        );
                        fam.shadows[slot] = Some(f);
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::ObserveWeighted {
                n,
                x,
                y,
                w,
                fit,
                xp,
            } => {
                let n = n.get(p);
                let len = n.min(64);
                let mut xa = Arr::new(x.make::<T>(len), T::c(7.0));
                let before = xa.v.clone();
                let (y, w) = (T::c(y.get()), T::c(w.get()));
                let s = T::observe_weighted(fit_ptr(fam, *fit), xa.ptr(*xp), n, y, w);
                ptr_check(s, &[*fit, *xp]);
                assert_eq!(bits_vec(&xa.v), bits_vec(&before), "input written");
                if all_valid(&[*fit, *xp]) {
                    match fam.shadows[slot].as_mut() {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) if n != f.features() => assert_eq!(s, VIREG_ERR_DIMENSION),
                        Some(f) => {
                            assert_eq!(s, status_of(&f.observe_weighted(&xa.v[..n], y, w)), "{c:?}")
                        }
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::ObserveRowsWeighted {
                rows,
                stride,
                x,
                y,
                w,
                ptrs,
            } => {
                let [fit, xp, yp, wp, bad] = *ptrs;
                let stride = stride.unwrap_or(p);
                let xlen = rows.checked_sub(1).map_or(0, |l| l * stride + p);
                let mut xa = Arr::new(x.make::<T>(xlen), T::c(7.0));
                let mut ya = Arr::new(y.make::<T>(*rows), T::c(7.0));
                let ws: Vec<T> = (0..*rows).map(|i| T::c(w[i % w.len()].get())).collect();
                let mut wa = Arr::new(ws, T::c(7.0));
                let (xb, yb, wb) = (bits_vec(&xa.v), bits_vec(&ya.v), bits_vec(&wa.v));
                let mut ba = Arr::new(vec![usize::MAX - 1], usize::MAX - 1);
                let s = T::observe_rows_weighted(
                    fit_ptr(fam, fit),
                    xa.ptr(xp),
                    *rows,
                    p,
                    stride,
                    ya.ptr(yp),
                    wa.ptr(wp),
                    ba.ptr(bad),
                );
                assert_eq!(bits_vec(&xa.v), xb);
                assert_eq!(bits_vec(&ya.v), yb);
                assert_eq!(bits_vec(&wa.v), wb);
                assert!(ba.v[1..].iter().all(|v| *v == usize::MAX - 1));
                if bad == Ptr::Misaligned {
                    assert_eq!(s, VIREG_ERR_MISALIGNED);
                }
                if bad != Ptr::Valid {
                    assert_eq!(ba.v[0], usize::MAX - 1);
                }
                let got = if bad == Ptr::Valid { ba.v[0] } else { 0 };
                if all_valid(&[fit, xp, yp, wp, opt(bad)]) {
                    match fam.shadows[slot].as_mut() {
                        None => {
                            assert_eq!(s, VIREG_ERR_UNINITIALISED);
                            assert_eq!(got, 0);
                        }
                        Some(_) if stride < p => {
                            assert_eq!(s, VIREG_ERR_DIMENSION, "{c:?}");
                            assert_eq!(got, 0);
                        }
                        Some(f) => {
                            let r = f.observe_rows_weighted(
                                &xa.v[..xlen],
                                stride,
                                &ya.v[..*rows],
                                &wa.v[..*rows],
                            );
                            match r {
                                Ok(()) => {
                                    assert_eq!(s, VIREG_OK, "{c:?}");
                                    if bad == Ptr::Valid {
                                        assert_eq!(got, *rows);
                                    }
                                }
                                Err((i, e)) => {
                                    assert_eq!(s, e as i32, "{c:?}");
                                    if bad == Ptr::Valid {
                                        assert_eq!(got, i, "{c:?}: bad row");
                                    }
                                }
                            }
                        }
                    }
                } else {
                    ptr_check(s, &[fit, xp, yp, wp, opt(bad)]);
                    if wp == Ptr::Null && bad != Ptr::Misaligned {
                        // a NULL weights array is refused before anything else is read
                        assert_eq!(s, VIREG_ERR_NULL, "{c:?}");
                        assert_eq!(got, 0);
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::SetForget { g, fit } => {
                let g = T::c(g.get());
                let fp = fit_ptr(fam, *fit);
                let s = T::set_forget(fp, g);
                if let Some(w) = state_status(*fit, inited) {
                    assert_eq!(s, w);
                } else {
                    let f = fam.shadows[slot].as_mut().unwrap();
                    assert_eq!(s, status_of(&f.set_forget(g)), "{c:?}");
                    if s == VIREG_OK {
                        let mut out = T::cfg_default();
                        assert_eq!(T::get_config(fp, &mut out), VIREG_OK);
                        assert_eq!(T::cfg_to_rust(&out), Ok(f.config()), "{c:?}");
                    }
                }
                (s, Target::Fit(slot), false)
            }
            Op::EffectiveRows { fit, out } => {
                let sentinel = T::c(-7.25);
                let mut a = Arr::new(vec![sentinel], sentinel);
                let s = T::effective_rows(fit_ptr(fam, *fit), a.ptr(*out));
                ptr_check(s, &[*fit, *out]);
                if all_valid(&[*fit, *out]) {
                    match &fam.shadows[slot] {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(f) => {
                            assert_eq!(s, VIREG_OK);
                            assert_eq!(bits(a.v[0]), bits(f.stats().effective_rows()));
                        }
                    }
                }
                if s != VIREG_OK {
                    assert_eq!(bits(a.v[0]), bits(sentinel));
                }
                assert!(a.v[1..].iter().all(|v| bits(*v) == bits(sentinel)));
                (s, Target::None, true)
            }
            Op::SynthInit { p: pd, seed, s: sp } => {
                let n = pd.get(3);
                let mode = if *sp == Ptr::Other { Ptr::Valid } else { *sp };
                if mode == Ptr::Valid {
                    let untouched = fam.synths[synth_slot].bytes();
                    let s = T::synth_init_sized(synth_ptr(fam, mode), 8, n, *seed);
                    assert_eq!(s, VIREG_ERR_STATE_SIZE, "{c:?}");
                    assert!(fam.synths[synth_slot].bytes() == untouched);
                }
                let s = T::synth_init(synth_ptr(fam, mode), n, *seed);
                match mode {
                    Ptr::Null => assert_eq!(s, VIREG_ERR_NULL),
                    Ptr::Misaligned => assert_eq!(s, VIREG_ERR_MISALIGNED),
                    _ => {
                        let want = vireg::Synth::<T, CAP>::new(n, *seed);
                        assert_eq!(s, status_of(&want));
                        if s == VIREG_OK {
                            fam.synth_p[synth_slot] = Some(n);
                        }
                    }
                }
                (s, Target::Synth(synth_slot), false)
            }
            Op::SynthNext { n, s: sp, xp, yp } => {
                let sp_own = fam.synth_p[synth_slot];
                let n = n.get(sp_own.unwrap_or(3));
                let sentinel = T::c(-7.25);
                let mut xa = Arr::new(vec![sentinel; n.min(64)], sentinel);
                let mut ya = Arr::new(vec![sentinel], sentinel);
                let s = T::synth_next(synth_ptr(fam, *sp), xa.ptr(*xp), n, ya.ptr(*yp));
                ptr_check(s, &[*sp, *xp, *yp]);
                let w = if s == VIREG_OK { n } else { 0 };
                assert!(xa.v[w..].iter().all(|v| bits(*v) == bits(sentinel)));
                if s != VIREG_OK {
                    assert_eq!(bits(ya.v[0]), bits(sentinel));
                }
                if all_valid(&[*sp, *xp, *yp]) {
                    match sp_own {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(q) if q != n => assert_eq!(s, VIREG_ERR_DIMENSION),
                        Some(_) => assert_eq!(s, VIREG_OK),
                    }
                } else if *sp == Ptr::Other && *xp != Ptr::Null && *yp != Ptr::Null {
                    assert_eq!(s, VIREG_ERR_UNINITIALISED);
                }
                (s, Target::Synth(synth_slot), false)
            }
            Op::SynthTruth { len, s: sp, out } => {
                let sp_own = fam.synth_p[synth_slot];
                let need = sp_own.unwrap_or(3) + 2;
                let l = len.get(need);
                let sentinel = T::c(-7.25);
                let mut a = Arr::new(vec![sentinel; l.max(need)], sentinel);
                let s = T::synth_truth(synth_ptr(fam, *sp), a.ptr(*out), l);
                ptr_check(s, &[*sp, *out]);
                let w = if s == VIREG_OK { need } else { 0 };
                assert!(a.v[w..].iter().all(|v| bits(*v) == bits(sentinel)));
                if all_valid(&[*sp, *out]) {
                    match sp_own {
                        None => assert_eq!(s, VIREG_ERR_UNINITIALISED),
                        Some(_) if l < need => assert_eq!(s, VIREG_ERR_DIMENSION),
                        Some(_) => assert_eq!(s, VIREG_OK),
                    }
                }
                (s, Target::None, true)
            }
        }
    }
}

/// Every field of every element, as bits.
fn fields<U, const N: usize>(v: &[U], f: fn(&U) -> [u64; N]) -> Vec<u64> {
    v.iter().flat_map(f).collect()
}

/// The bits of a scalar of precision `T` given its raw bits (as `Prec::bits` returns them), as
/// `bits` gives them for a value (f64 bits of the value).
fn bits_t<T: Prec>(raw: u64) -> u64 {
    if T::BYTES == 4 {
        (f32::from_bits(raw as u32) as f64).to_bits()
    } else {
        raw
    }
}

fn bits_vec<T: Normal>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| bits(*x)).collect()
}

fn c_save_slot<T: Prec>(fam: &Fam<T>, slot: usize) -> Vec<u8> {
    let b = &fam.fits[slot];
    let mut ck = vec![0u8; T::checkpoint_size()];
    // SAFETY: an initialised state and a buffer of the length given.
    let s = unsafe { T::save(b.cptr(), ck.as_mut_ptr(), ck.len(), ptr::null_mut()) };
    assert_eq!(s, VIREG_OK);
    ck
}

thread_local! {
    /// How many calls returned each status (index: the status; 106: all calls), per test.
    static STATUSES: core::cell::RefCell<[u64; 107]> = const { core::cell::RefCell::new([0; 107]) };
}

fn report(name: &str, cases: u32) {
    STATUSES.with(|h| {
        let h = h.borrow();
        let named: Vec<String> = (0..106)
            .filter(|s| h[*s] > 0)
            .map(|s| format!("{s}: {}", h[s]))
            .collect();
        println!(
            "{name}: {cases} cases, {} calls; by status {{{}}}",
            h[106],
            named.join(", ")
        );
    });
}

/// Successful weighted observations and forgetting-factor changes (mean-field, full-rank): the
/// success path of the weights functions must be exercised, not only their refusals.
static WEIGHTS_OK: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

/// One call on the world, with the checks that span the whole world.
fn apply(w: &mut World, c: &Call) {
    let before = (w.a.snapshot(), w.b.snapshot());
    let (s, target, read_only) = if c.f64 {
        let other = w.a.fits[c.slot].ptr::<u8>();
        let pool = w.a.pool.clone();
        exec::<f64>(&mut w.b, other, &pool, c)
    } else {
        let other = w.b.fits[c.slot].ptr::<u8>();
        let pool = w.b.pool.clone();
        exec::<f32>(&mut w.a, other, &pool, c)
    };
    STATUSES.with(|h| {
        let mut h = h.borrow_mut();
        h[s.clamp(0, 105) as usize] += 1;
        h[106] += 1;
    });
    assert_ne!(s, VIREG_ERR_PANIC, "{c:?}");
    assert!(DEFINED.contains(&s), "{c:?}: undefined status {s}");
    let weights_op = matches!(
        c.op,
        Op::ObserveWeighted { .. } | Op::ObserveRowsWeighted { .. } | Op::SetForget { .. }
    );
    if weights_op && s == VIREG_OK {
        WEIGHTS_OK[0].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    w.a.check_guards();
    w.b.check_guards();
    let after = (w.a.snapshot(), w.b.snapshot());
    let may_change = !read_only && (s == VIREG_OK || s == VIREG_ERR_DIVERGED);
    for (fam64, (bs, as_)) in [
        (false, (&before.0, &after.0)),
        (true, (&before.1, &after.1)),
    ] {
        for (i, (x, y)) in bs.iter().zip(as_.iter()).enumerate() {
            let this = if i < FIT_SLOTS {
                Target::Fit(i)
            } else {
                Target::Synth(i - FIT_SLOTS)
            };
            let allowed = may_change && fam64 == c.f64 && this == target;
            if !allowed {
                assert!(
                    x == y,
                    "{c:?} (status {s}) changed state {this:?} of f64={fam64}"
                );
            }
        }
    }
    // The states and their shadows agree.
    if let Target::Fit(i) = target {
        if c.f64 {
            if let Some(f) = &w.b.shadows[i] {
                assert!(c_save_slot(&w.b, i) == save(f), "{c:?}: C state != shadow");
            }
        } else if let Some(f) = &w.a.shadows[i] {
            assert!(c_save_slot(&w.a, i) == save(f), "{c:?}: C state != shadow");
        }
    }
}

fn template() -> &'static World {
    static W: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    W.get_or_init(|| World {
        a: Fam::new(),
        b: Fam::new(),
    })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(PtConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..PtConfig::default()
    })
}

#[test]
fn random_call_sequences() {
    let n = cases(0);
    let mut r = runner(n);
    r.run(&prop::collection::vec(call(), 1..24), |calls| {
        let mut w = template().clone();
        for c in &calls {
            apply(&mut w, c);
        }
        Ok(())
    })
    .unwrap();
    report("random_call_sequences", n);
    let ok = WEIGHTS_OK[0].load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        ok as u32 > n / 4,
        "only {ok} successful weighted observations and factor changes in {n} sequences"
    );
}

#[test]
fn single_hostile_calls() {
    let n = cases(1);
    let mut r = runner(n);
    r.run(&call(), |c| {
        let mut w = template().clone();
        apply(&mut w, &c);
        Ok(())
    })
    .unwrap();
    report("single_hostile_calls", n);
}

#[test]
fn checkpoint_loads_then_use() {
    // A load of random, truncated or mutated bytes (often with a valid CRC), then calls on
    // the result, whatever was accepted.
    let n = cases(2);
    let mut r = runner(n);
    let strat = (
        any::<bool>(),
        0..FIT_SLOTS,
        ck(),
        prop::collection::vec(call(), 0..6),
    );
    r.run(&strat, |(f64, slot, src, rest)| {
        let mut w = template().clone();
        let load = Call {
            f64,
            slot,
            op: Op::Load {
                src,
                fit: Ptr::Valid,
                buf: Ptr::Valid,
            },
        };
        apply(&mut w, &load);
        for mut c in rest {
            c.f64 = f64;
            c.slot = slot;
            apply(&mut w, &c);
        }
        Ok(())
    })
    .unwrap();
    report("checkpoint_loads_then_use", n);
}

/// Regression: merging a fit into itself doubles its row count; the 64th merge would wrap it
/// (silently in release, a panic in debug builds). It is refused with VIREG_ERR_OVERFLOW and
/// the fit unchanged.
fn row_count_overflow<T: Prec>() {
    let mut b = state_buf(T::fit_size());
    let x = [T::c(1.0), T::c(2.0)];
    // SAFETY: valid buffers of the lengths given.
    unsafe {
        assert_eq!(T::init(b.ptr(), 2, ptr::null()), VIREG_OK);
        assert_eq!(T::observe(b.ptr(), x.as_ptr(), 2, T::c(3.0)), VIREG_OK);
        let mut rows = 1u64;
        let mut merges = 0;
        loop {
            let before = b.bytes();
            let s = T::merge(b.ptr(), b.cptr());
            let mut now = 0u64;
            assert_eq!(T::rows(b.cptr(), &mut now), VIREG_OK);
            if s != VIREG_OK {
                assert_eq!(s, VIREG_ERR_OVERFLOW);
                assert!(b.bytes() == before);
                assert_eq!(now, rows);
                break;
            }
            assert_eq!(Some(now), rows.checked_mul(2), "the row count wrapped");
            rows = now;
            merges += 1;
        }
        assert_eq!(merges, 63);
        // one more row, or rows, would wrap too once the count is at its largest
        let mut one = state_buf(T::fit_size());
        let cap = T::checkpoint_size();
        let mut ck = vec![0u8; cap];
        assert_eq!(
            T::save(b.cptr(), ck.as_mut_ptr(), cap, ptr::null_mut()),
            VIREG_OK
        );
        let l = Layout::new(T::BYTES, CAP);
        put_u64(&mut ck, l.field("stats.n").off, u64::MAX);
        l.reseal(&mut ck);
        assert_eq!(T::load(one.ptr(), ck.as_ptr(), cap), VIREG_OK);
        let before = one.bytes();
        assert_eq!(
            T::observe(one.ptr(), x.as_ptr(), 2, T::c(3.0)),
            VIREG_ERR_OVERFLOW
        );
        let mut bad = 7usize;
        let s = T::observe_rows(one.ptr(), x.as_ptr(), 1, 2, 2, x.as_ptr(), &mut bad);
        assert_eq!((s, bad), (VIREG_ERR_OVERFLOW, 1));
        assert!(one.bytes() == before);
    }
}

#[test]
fn row_count_cannot_wrap() {
    row_count_overflow::<f32>();
    row_count_overflow::<f64>();
}

// ---------------------------------------------------------------------------------------------
// The full-rank fit (vireg_full_*) and the covariance functions
// ---------------------------------------------------------------------------------------------

type RFull<T> = vireg::FullFit<T, CAP>;

/// The full-rank C functions of one precision.
trait FullC: Normal + core::fmt::Debug {
    type State;
    type Report: Copy;
    type Run: Copy;
    type Summary: Copy;
    const WORDS: usize;
    fn report_bits(r: &Self::Report) -> [u64; 3];
    fn run_bits(r: &Self::Run) -> [u64; 6];
    fn summary_bits(s: &Self::Summary) -> [u64; 3];
    unsafe fn init(f: *mut Self::State, size: usize, p: usize) -> i32;
    unsafe fn observe(f: *mut Self::State, x: *const Self, n: usize, y: Self) -> i32;
    unsafe fn observe_rows(
        f: *mut Self::State,
        x: *const Self,
        rows: usize,
        p: usize,
        y: *const Self,
        bad: *mut usize,
    ) -> i32;
    unsafe fn step(f: *mut Self::State, n: u64, loss: *mut Self) -> i32;
    unsafe fn run(f: *mut Self::State, max: u64, every: u64, rep: *mut Self::Run) -> i32;
    unsafe fn solve(f: *mut Self::State, rep: *mut Self::Report) -> i32;
    unsafe fn elbo(f: *const Self::State, out: *mut Self) -> i32;
    /// 0 loc, 1 sd, 2 covariance, 3 Cholesky factor.
    unsafe fn vector(f: *const Self::State, which: usize, out: *mut Self, len: usize) -> i32;
    unsafe fn summary(f: *const Self::State, i: usize, out: *mut Self::Summary) -> i32;
    unsafe fn quantile(f: *const Self::State, i: usize, q: Self, out: *mut Self) -> i32;
    unsafe fn draw(f: *mut Self::State, out: *mut Self, n: usize, len: usize) -> i32;
    unsafe fn predict(
        f: *const Self::State,
        x: *const Self,
        n: usize,
        m: *mut Self,
        s: *mut Self,
    ) -> i32;
    unsafe fn merge(d: *mut Self::State, s: *const Self::State) -> i32;
    fn checkpoint_size() -> usize;
    unsafe fn save(f: *const Self::State, buf: *mut u8, len: usize, written: *mut usize) -> i32;
    unsafe fn load(f: *mut Self::State, size: usize, buf: *const u8, len: usize) -> i32;
    /// A checkpoint of a fitted mean-field fit of this precision (the other guide family).
    fn mean_field_checkpoint() -> Vec<u8>;
    unsafe fn reset(f: *mut Self::State) -> i32;
    unsafe fn set_estimator(f: *mut Self::State, estimator: u32, particles: u32) -> i32;
    unsafe fn sigma_hdi(f: *const Self::State, mass: Self, lo: *mut Self, hi: *mut Self) -> i32;
    unsafe fn predict_rows(
        f: *const Self::State,
        x: *const Self,
        rows: usize,
        p: usize,
        m: *mut Self,
        s: *mut Self,
        bad: *mut usize,
    ) -> i32;
    unsafe fn observe_weighted(
        f: *mut Self::State,
        x: *const Self,
        n: usize,
        y: Self,
        w: Self,
    ) -> i32;
    #[allow(clippy::too_many_arguments)]
    unsafe fn observe_rows_weighted(
        f: *mut Self::State,
        x: *const Self,
        rows: usize,
        p: usize,
        y: *const Self,
        w: *const Self,
        bad: *mut usize,
    ) -> i32;
    unsafe fn set_forget(f: *mut Self::State, forget: Self) -> i32;
    unsafe fn effective_rows(f: *const Self::State, out: *mut Self) -> i32;
}

macro_rules! full_c {
    ($t:ty, $state:ty, $words:expr, $rep:ty, $run:ty, $sum:ty, $($f:ident),+) => {
        impl FullC for $t {
            type State = $state;
            type Report = $rep;
            type Run = $run;
            type Summary = $sum;
            const WORDS: usize = $words;
            fn report_bits(r: &$rep) -> [u64; 3] {
                [bits(r.elbo), bits(r.mean_field_elbo), r.iterations.into()]
            }
            fn run_bits(r: &$run) -> [u64; 6] {
                [r.steps, r.averaged, bits(r.loss), bits(r.elbo), r.converged.into(),
                 r.stopped.into()]
            }
            fn summary_bits(s: &$sum) -> [u64; 3] {
                [bits(s.mean), bits(s.sd), bits(s.median)]
            }
            full_c!(@fns $t, $state, $rep, $run, $sum, $($f),+);
        }
    };
    (@fns $t:ty, $state:ty, $rep:ty, $run:ty, $sum:ty, $init:ident, $obs:ident, $rows:ident,
     $step:ident, $runf:ident, $solve:ident, $elbo:ident, $loc:ident, $sd:ident, $cov:ident,
     $chol:ident, $summ:ident, $quant:ident, $draw:ident, $pred:ident, $merge:ident,
     $cksize:ident, $save:ident, $load:ident, $reset:ident, $set_est:ident, $hdi:ident,
     $pred_rows:ident, $obs_w:ident, $rows_w:ident, $set_forget:ident, $eff:ident) => {
        unsafe fn observe_weighted(f: *mut $state, x: *const $t, n: usize, y: $t, w: $t)
            -> i32 {
            unsafe { $obs_w(f, x, n, y, w) }
        }
        unsafe fn observe_rows_weighted(f: *mut $state, x: *const $t, rows: usize, p: usize,
                                        y: *const $t, w: *const $t, bad: *mut usize) -> i32 {
            unsafe { $rows_w(f, x, rows, p, p, y, w, bad) }
        }
        unsafe fn set_forget(f: *mut $state, forget: $t) -> i32 {
            unsafe { $set_forget(f, forget) }
        }
        unsafe fn effective_rows(f: *const $state, out: *mut $t) -> i32 {
            unsafe { $eff(f, out) }
        }
        unsafe fn reset(f: *mut $state) -> i32 {
            unsafe { $reset(f) }
        }
        unsafe fn set_estimator(f: *mut $state, estimator: u32, particles: u32) -> i32 {
            unsafe { $set_est(f, estimator, particles) }
        }
        unsafe fn sigma_hdi(f: *const $state, mass: $t, lo: *mut $t, hi: *mut $t) -> i32 {
            unsafe { $hdi(f, mass, lo, hi) }
        }
        unsafe fn predict_rows(f: *const $state, x: *const $t, rows: usize, p: usize,
                               m: *mut $t, s: *mut $t, bad: *mut usize) -> i32 {
            unsafe { $pred_rows(f, x, rows, p, p, m, s, bad) }
        }
        unsafe fn init(f: *mut $state, size: usize, p: usize) -> i32 {
            unsafe { $init(f, size, p, ptr::null()) }
        }
        unsafe fn observe(f: *mut $state, x: *const $t, n: usize, y: $t) -> i32 {
            unsafe { $obs(f, x, n, y) }
        }
        unsafe fn observe_rows(f: *mut $state, x: *const $t, rows: usize, p: usize,
                               y: *const $t, bad: *mut usize) -> i32 {
            unsafe { $rows(f, x, rows, p, p, y, bad) }
        }
        unsafe fn step(f: *mut $state, n: u64, loss: *mut $t) -> i32 {
            unsafe { $step(f, n, loss) }
        }
        unsafe fn run(f: *mut $state, max: u64, every: u64, rep: *mut $run) -> i32 {
            unsafe { $runf(f, max, every, None, ptr::null_mut(), rep) }
        }
        unsafe fn solve(f: *mut $state, rep: *mut $rep) -> i32 {
            unsafe { $solve(f, rep) }
        }
        unsafe fn elbo(f: *const $state, out: *mut $t) -> i32 {
            unsafe { $elbo(f, out) }
        }
        unsafe fn vector(f: *const $state, which: usize, out: *mut $t, len: usize) -> i32 {
            match which {
                0 => unsafe { $loc(f, out, len) },
                1 => unsafe { $sd(f, out, len) },
                2 => unsafe { $cov(f, out, len) },
                _ => unsafe { $chol(f, out, len) },
            }
        }
        unsafe fn summary(f: *const $state, i: usize, out: *mut $sum) -> i32 {
            unsafe { $summ(f, i, out) }
        }
        unsafe fn quantile(f: *const $state, i: usize, q: $t, out: *mut $t) -> i32 {
            unsafe { $quant(f, i, q, out) }
        }
        unsafe fn draw(f: *mut $state, out: *mut $t, n: usize, len: usize) -> i32 {
            unsafe { $draw(f, out, n, len) }
        }
        unsafe fn predict(f: *const $state, x: *const $t, n: usize, m: *mut $t, s: *mut $t)
            -> i32 {
            unsafe { $pred(f, x, n, m, s) }
        }
        unsafe fn merge(d: *mut $state, s: *const $state) -> i32 {
            unsafe { $merge(d, s) }
        }
        fn checkpoint_size() -> usize {
            $cksize()
        }
        unsafe fn save(f: *const $state, buf: *mut u8, len: usize, written: *mut usize) -> i32 {
            unsafe { $save(f, buf, len, written) }
        }
        unsafe fn load(f: *mut $state, size: usize, buf: *const u8, len: usize) -> i32 {
            unsafe { $load(f, size, buf, len) }
        }
        fn mean_field_checkpoint() -> Vec<u8> {
            let mut f = RFit::<$t>::new(3, vireg::Config::default()).unwrap();
            f.observe(&[1.0, 2.0, 3.0], 1.0).unwrap();
            f.solve_exact().unwrap();
            let mut buf = vec![0; RFit::<$t>::CHECKPOINT_BYTES];
            f.save(&mut buf).unwrap();
            buf
        }
    };
}

full_c!(
    f32,
    vireg_full_f32,
    VIREG_FULL_F32_WORDS,
    vireg_full_report_f32,
    vireg_run_report_f32,
    vireg_summary_f32,
    vireg_full_init_sized_f32,
    vireg_full_observe_f32,
    vireg_full_observe_rows_f32,
    vireg_full_step_f32,
    vireg_full_run_f32,
    vireg_full_solve_exact_f32,
    vireg_full_elbo_f32,
    vireg_full_posterior_loc_f32,
    vireg_full_posterior_sd_f32,
    vireg_full_posterior_cov_f32,
    vireg_full_posterior_chol_f32,
    vireg_full_posterior_summary_f32,
    vireg_full_posterior_quantile_f32,
    vireg_full_draw_f32,
    vireg_full_predict_f32,
    vireg_full_merge_f32,
    vireg_full_checkpoint_size_f32,
    vireg_full_save_f32,
    vireg_full_load_sized_f32,
    vireg_full_reset_f32,
    vireg_full_set_estimator_f32,
    vireg_full_sigma_hdi_f32,
    vireg_full_predict_rows_f32,
    vireg_full_observe_weighted_f32,
    vireg_full_observe_rows_weighted_f32,
    vireg_full_set_forget_f32,
    vireg_full_effective_rows_f32
);
full_c!(
    f64,
    vireg_full_f64,
    VIREG_FULL_F64_WORDS,
    vireg_full_report_f64,
    vireg_run_report_f64,
    vireg_summary_f64,
    vireg_full_init_sized_f64,
    vireg_full_observe_f64,
    vireg_full_observe_rows_f64,
    vireg_full_step_f64,
    vireg_full_run_f64,
    vireg_full_solve_exact_f64,
    vireg_full_elbo_f64,
    vireg_full_posterior_loc_f64,
    vireg_full_posterior_sd_f64,
    vireg_full_posterior_cov_f64,
    vireg_full_posterior_chol_f64,
    vireg_full_posterior_summary_f64,
    vireg_full_posterior_quantile_f64,
    vireg_full_draw_f64,
    vireg_full_predict_f64,
    vireg_full_merge_f64,
    vireg_full_checkpoint_size_f64,
    vireg_full_save_f64,
    vireg_full_load_sized_f64,
    vireg_full_reset_f64,
    vireg_full_set_estimator_f64,
    vireg_full_sigma_hdi_f64,
    vireg_full_predict_rows_f64,
    vireg_full_observe_weighted_f64,
    vireg_full_observe_rows_weighted_f64,
    vireg_full_set_forget_f64,
    vireg_full_effective_rows_f64
);

#[derive(Clone, Debug)]
enum FOp {
    Init {
        p: Dim,
    },
    Observe {
        n: Dim,
        x: Fill,
        y: Val,
    },
    ObserveRows {
        rows: usize,
        x: Fill,
        y: Fill,
    },
    Step {
        n: u64,
    },
    Run {
        max: u64,
        every: u64,
    },
    Solve,
    Vector {
        which: usize,
        len: Len,
    },
    Summary {
        index: usize,
    },
    Quantile {
        index: usize,
        q: Val,
    },
    Draw {
        n: usize,
        len: Len,
    },
    Predict {
        n: Dim,
        x: Fill,
    },
    Merge,
    Reset,
    SetEstimator {
        estimator: u32,
        particles: u32,
    },
    SigmaHdi {
        mass: Val,
    },
    /// `rows` rows of p features (stride p); `alias`: the sds written over the means.
    PredictRows {
        rows: usize,
        x: Fill,
        alias: bool,
    },
    /// vireg_full_save into a buffer of `len` (against the shadow's checkpoint bytes).
    Save {
        len: Len,
    },
    /// vireg_full_load of the shadow's own checkpoint (a fresh fit's if there is none),
    /// changed as `src` says, into the state, with its size or `size_off` bytes less.
    Load {
        src: FullCk,
        size_off: bool,
    },
    ObserveWeighted {
        x: Fill,
        y: Val,
        w: Val,
    },
    /// `rows` rows of p features with the weights `w` (cycled to `rows`; NULL when empty).
    ObserveRowsWeighted {
        rows: usize,
        x: Fill,
        y: Fill,
        w: Vec<Val>,
    },
    SetForget {
        g: Val,
    },
    EffectiveRows,
}

/// The bytes given to vireg_full_load.
#[derive(Clone, Debug)]
enum FullCk {
    /// The checkpoint as saved.
    Own,
    /// A mean-field fit's checkpoint: the other guide family.
    MeanField,
    /// Cut to `cut` bytes (modulo its length).
    Truncate { cut: usize },
    /// One byte changed (position modulo the length).
    Flip { pos: usize, xor: u8 },
}

fn fop() -> impl Strategy<Value = FOp> {
    let index = || prop_oneof![0..CAP + 4, Just(usize::MAX)];
    prop_oneof![
        2 => dim().prop_map(|p| FOp::Init { p }),
        4 => (dim(), fill(), val()).prop_map(|(n, x, y)| FOp::Observe { n, x, y }),
        4 => (0..40usize, fill(), fill()).prop_map(|(rows, x, y)| FOp::ObserveRows { rows, x, y }),
        3 => prop_oneof![Just(0u64), 1..30u64].prop_map(|n| FOp::Step { n }),
        2 => (prop_oneof![Just(0u64), 1..200u64], prop_oneof![Just(0u64), Just(7)])
            .prop_map(|(max, every)| FOp::Run { max, every }),
        3 => Just(FOp::Solve),
        4 => (0..4usize, len()).prop_map(|(which, len)| FOp::Vector { which, len }),
        1 => index().prop_map(|index| FOp::Summary { index }),
        2 => (index(), prop_oneof![2 => val(), 3 => (0.0..1.0f64).prop_map(Val::Ord)])
            .prop_map(|(index, q)| FOp::Quantile { index, q }),
        2 => (prop_oneof![0..4usize, Just(usize::MAX / 2), Just(usize::MAX)], len())
            .prop_map(|(n, len)| FOp::Draw { n, len }),
        2 => (dim(), fill()).prop_map(|(n, x)| FOp::Predict { n, x }),
        1 => Just(FOp::Merge),
        1 => Just(FOp::Reset),
        2 => (
            prop_oneof![4 => 0..2u32, 1 => any::<u32>()],
            // valid counts stay small: a full-rank step costs `particles` one-particle steps
            prop_oneof![1 => Just(0u32), 6 => 1..64u32, 1 => Just(vireg::MAX_PARTICLES + 1)],
        )
            .prop_map(|(estimator, particles)| FOp::SetEstimator { estimator, particles }),
        2 => prop_oneof![2 => val(), 3 => (0.0..1.0f64).prop_map(Val::Ord)]
            .prop_map(|mass| FOp::SigmaHdi { mass }),
        2 => (0..30usize, fill(), prop::bool::weighted(0.1))
            .prop_map(|(rows, x, alias)| FOp::PredictRows { rows, x, alias }),
        2 => len().prop_map(|len| FOp::Save { len }),
        3 => (
            prop_oneof![
                3 => Just(FullCk::Own),
                1 => Just(FullCk::MeanField),
                1 => any::<usize>().prop_map(|cut| FullCk::Truncate { cut }),
                2 => (any::<usize>(), 1..=255u8).prop_map(|(pos, xor)| FullCk::Flip { pos, xor }),
            ],
            prop::bool::weighted(0.1),
        )
            .prop_map(|(src, size_off)| FOp::Load { src, size_off }),
        2 => (fill(), val(), weight()).prop_map(|(x, y, w)| FOp::ObserveWeighted { x, y, w }),
        2 => (0..30usize, fill(), fill(), prop::collection::vec(weight(), 0..6))
            .prop_map(|(rows, x, y, w)| FOp::ObserveRowsWeighted { rows, x, y, w }),
        1 => forget().prop_map(|g| FOp::SetForget { g }),
        1 => Just(FOp::EffectiveRows),
    ]
}

/// The checkpoint of a full-rank fit through the Rust API.
fn full_ck<T: Normal>(f: &RFull<T>) -> Vec<u8> {
    let mut buf = vec![0; RFull::<T>::CHECKPOINT_BYTES];
    f.save(&mut buf).unwrap();
    buf
}

/// Output elements after each buffer that no call may write.
const FULL_GUARD: usize = 3;

/// Successful posterior reads (vector, covariance, factor, draws, summaries) of the full-rank
/// runs: the success path must be exercised, not only the refusals.
static FULL_POSTERIOR_OK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Successful checkpoint saves and loads of the full-rank runs (the round trip, not only the
/// refusals, must be exercised).
static FULL_CHECKPOINT_OK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A buffer of `len` elements plus the guard, all a sentinel.
fn sentinel_buf<T: Normal>(len: usize) -> Vec<T> {
    vec![T::c(-12345.0); len + FULL_GUARD]
}

/// Runs `op` on the C state and on the shadow; checks the status, the outputs (bits, guards,
/// untouched on error) and that a refused call left the state byte for byte as it was.
fn full_exec<T: FullC>(c: &mut [u64], shadow: &mut Option<RFull<T>>, op: &FOp) {
    let st = c.as_mut_ptr().cast::<T::State>();
    let before = c.to_vec();
    let sent = bits(T::c(-12345.0));
    let untouched = |v: &[T]| v.iter().all(|x| bits(*x) == sent);
    let p = shadow.as_ref().map_or(3, |f| f.features());
    let d = p + 2;
    let mut next = shadow.clone();
    // SAFETY (every C call below): the state holds WORDS words; every buffer is valid for
    // the length passed.
    let (got, want): (i32, i32) = unsafe {
        match op {
            FOp::Init { p } => {
                let n = p.get(3);
                let r = RFull::<T>::new(n, vireg::Config::default());
                let want = status_of(&r);
                if let Ok(f) = r {
                    next = Some(f);
                }
                (T::init(st, T::WORDS * 8, n), want)
            }
            FOp::Observe { n, x, y } => {
                let n = n.get(p);
                let xs = x.make::<T>(n.min(CAP + 4));
                let y = T::c(y.get());
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(_) if n != p => VIREG_ERR_DIMENSION,
                    Some(f) => status_of(&f.observe(&xs, y)),
                };
                let got = if n > xs.len() {
                    // Only the dimension check can be exercised with a length past the buffer.
                    if want == VIREG_ERR_UNINITIALISED || want == VIREG_ERR_DIMENSION {
                        T::observe(st, xs.as_ptr(), n, y)
                    } else {
                        want
                    }
                } else {
                    T::observe(st, xs.as_ptr(), n, y)
                };
                (got, want)
            }
            FOp::ObserveRows { rows, x, y } => {
                let xs = x.make::<T>(rows * p);
                let ys = y.make::<T>(*rows);
                let mut bad = usize::MAX;
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(f) => match f.observe_rows(&xs, p, &ys) {
                        Ok(()) => VIREG_OK,
                        Err((_, e)) => e as i32,
                    },
                };
                (
                    T::observe_rows(st, xs.as_ptr(), *rows, p, ys.as_ptr(), &mut bad),
                    want,
                )
            }
            FOp::Step { n } => {
                let mut loss = sentinel_buf::<T>(0);
                let r = next.as_mut().map(|f| {
                    if *n == 0 {
                        Err(vireg::Error::Dimension)
                    } else {
                        f.steps(*n)
                    }
                });
                let want = match (&r, n) {
                    (None, _) => VIREG_ERR_UNINITIALISED,
                    (Some(_), 0) => VIREG_ERR_INVALID_ARGUMENT,
                    (Some(r), _) => status_of(r),
                };
                let got = T::step(st, *n, loss.as_mut_ptr());
                if got == VIREG_OK && want == VIREG_OK {
                    let l = r.and_then(|r| r.ok()).unwrap();
                    assert_eq!(bits(loss[0]), bits(l), "step loss");
                } else {
                    assert!(untouched(&loss), "a failed step wrote its loss");
                }
                (got, want)
            }
            FOp::Run { max, every } => {
                let mut rep = core::mem::MaybeUninit::<T::Run>::zeroed();
                let r = next
                    .as_mut()
                    .filter(|_| *max > 0)
                    .map(|f| f.run(*max, *every, |_, _| true));
                let want = match (&next, &r) {
                    (None, _) => VIREG_ERR_UNINITIALISED,
                    (Some(_), None) => VIREG_ERR_INVALID_ARGUMENT,
                    (Some(_), Some(r)) => status_of(r),
                };
                let got = T::run(st, *max, *every, rep.as_mut_ptr());
                if let (VIREG_OK, Some(Ok(r))) = (got, r) {
                    let c = T::run_bits(&rep.assume_init());
                    let w = [
                        r.steps,
                        r.averaged,
                        bits(r.loss),
                        bits(r.elbo),
                        r.converged.into(),
                        r.stopped.into(),
                    ];
                    assert_eq!(c, w, "run report");
                }
                (got, want)
            }
            FOp::Solve => {
                let mut rep = core::mem::MaybeUninit::<T::Report>::zeroed();
                let r = next.as_mut().map(|f| f.solve_exact());
                let want = r.as_ref().map_or(VIREG_ERR_UNINITIALISED, status_of);
                let got = T::solve(st, rep.as_mut_ptr());
                if let (VIREG_OK, Some(Ok(r))) = (got, r) {
                    let w = [bits(r.elbo), bits(r.mean_field_elbo), r.iterations.into()];
                    assert_eq!(T::report_bits(&rep.assume_init()), w, "solve report");
                }
                (got, want)
            }
            FOp::Vector { which, len } => {
                let need = if *which < 2 { d } else { d * d };
                let n = len.get(need);
                let mut out = sentinel_buf::<T>(n);
                let mut expect = vec![T::ZERO; need];
                let want = match next.as_ref() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(_) if n < need => VIREG_ERR_DIMENSION,
                    Some(f) => match f.posterior() {
                        Err(e) => e as i32,
                        Ok(post) => {
                            match which {
                                0 => _ = post.loc(&mut expect),
                                1 => _ = post.sd(&mut expect),
                                2 => _ = post.covariance_to(&mut expect).unwrap(),
                                _ => {
                                    for (k, e) in expect.iter_mut().enumerate() {
                                        let (i, j) = (k / d, k % d);
                                        if j <= i {
                                            *e = vireg::full::entry(post.cholesky(), i, j, p);
                                        }
                                    }
                                }
                            }
                            VIREG_OK
                        }
                    },
                };
                let got = T::vector(st, *which, out.as_mut_ptr(), n);
                if got == VIREG_OK {
                    assert_eq!(
                        bits_vec(&out[..need]),
                        bits_vec(&expect),
                        "posterior {which}"
                    );
                    assert!(untouched(&out[need..]), "written past the matrix");
                } else {
                    assert!(untouched(&out), "a failed call wrote its output");
                }
                (got, want)
            }
            FOp::Summary { index } => {
                let mut out = core::mem::MaybeUninit::<T::Summary>::zeroed();
                let r = next.as_ref().map(|f| {
                    if *index > p + 1 {
                        return Err(VIREG_ERR_DIMENSION);
                    }
                    f.posterior()
                        .map_err(|e| e as i32)
                        .map(|post| post.summary(*index).unwrap())
                });
                let want = match &r {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(Err(e)) => *e,
                    Some(Ok(_)) => VIREG_OK,
                };
                let got = T::summary(st, *index, out.as_mut_ptr());
                if let (VIREG_OK, Some(Ok(s))) = (got, r) {
                    assert_eq!(
                        T::summary_bits(&out.assume_init()),
                        [bits(s.mean), bits(s.sd), bits(s.median)],
                        "summary"
                    );
                }
                (got, want)
            }
            FOp::Quantile { index, q } => {
                let q = T::c(q.get());
                let mut out = sentinel_buf::<T>(0);
                let r = next.as_ref().map(|f| {
                    if *index > p + 1 {
                        return Err(VIREG_ERR_DIMENSION);
                    }
                    if !q.is_finite() {
                        return Err(VIREG_ERR_NON_FINITE);
                    }
                    if !(q > T::ZERO && q < T::ONE) {
                        return Err(VIREG_ERR_INVALID_ARGUMENT);
                    }
                    let post = f.posterior().map_err(|e| e as i32)?;
                    post.quantile(*index, q).map_err(|e| e as i32)
                });
                let want = match &r {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(Err(e)) => *e,
                    Some(Ok(_)) => VIREG_OK,
                };
                let got = T::quantile(st, *index, q, out.as_mut_ptr());
                if let (VIREG_OK, Some(Ok(v))) = (got, r) {
                    assert_eq!(bits(out[0]), bits(v), "quantile");
                } else {
                    assert!(untouched(&out), "a failed quantile wrote");
                }
                (got, want)
            }
            FOp::Draw { n, len } => {
                let need = n.checked_mul(d);
                let l = need.map_or(8, |k| len.get(k).min(4096));
                let mut out = sentinel_buf::<T>(l);
                let mut expect = vec![T::ZERO; need.unwrap_or(0).min(4096)];
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(_) if need.is_none_or(|k| l < k) => VIREG_ERR_DIMENSION,
                    Some(f) => status_of(&f.draws(&mut expect)),
                };
                let got = T::draw(st, out.as_mut_ptr(), *n, l);
                if got == VIREG_OK {
                    let k = expect.len();
                    assert_eq!(bits_vec(&out[..k]), bits_vec(&expect), "draws");
                    assert!(untouched(&out[k..]), "written past the draws");
                } else {
                    assert!(untouched(&out), "a failed draw wrote");
                }
                (got, want)
            }
            FOp::Predict { n, x } => {
                let n = n.get(p);
                let xs = x.make::<T>(n.min(CAP + 4));
                let mut ms = sentinel_buf::<T>(1);
                let r = next.as_ref().map(|f| {
                    if n != p {
                        return Err(VIREG_ERR_DIMENSION);
                    }
                    let post = f.posterior().map_err(|e| e as i32)?;
                    post.predict(&xs).map_err(|e| e as i32)
                });
                let want = match &r {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(Err(e)) => *e,
                    Some(Ok(_)) => VIREG_OK,
                };
                let got = if n > xs.len()
                    && want != VIREG_ERR_DIMENSION
                    && want != VIREG_ERR_UNINITIALISED
                {
                    want
                } else {
                    let (m, s) = ms.split_at_mut(1);
                    T::predict(st, xs.as_ptr(), n, m.as_mut_ptr(), s.as_mut_ptr())
                };
                if let (VIREG_OK, Some(Ok((m, s)))) = (got, r) {
                    assert_eq!([bits(ms[0]), bits(ms[1])], [bits(m), bits(s)], "predict");
                } else {
                    assert!(untouched(&ms), "a failed predict wrote");
                }
                (got, want)
            }
            FOp::Reset => {
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(f) => {
                        f.reset_data();
                        VIREG_OK
                    }
                };
                let got = T::reset(st);
                if let (VIREG_OK, Some(f)) = (got, &next) {
                    let mut ck = vec![0u8; T::checkpoint_size()];
                    assert_eq!(T::save(st, ck.as_mut_ptr(), ck.len(), ptr::null_mut()), 0);
                    assert!(ck == full_ck(f), "a reset state is not the shadow's");
                }
                (got, want)
            }
            FOp::SetEstimator {
                estimator,
                particles,
            } => {
                let want = match (next.as_mut(), *estimator) {
                    (None, _) => VIREG_ERR_UNINITIALISED,
                    (Some(f), 0) => status_of(&f.set_estimator(vireg::Estimator::MonteCarlo {
                        particles: *particles,
                    })),
                    (Some(f), 1) => status_of(&f.set_estimator(vireg::Estimator::Analytic)),
                    (Some(_), _) => VIREG_ERR_CONFIG,
                };
                let got = T::set_estimator(st, *estimator, *particles);
                if let (VIREG_OK, Some(f)) = (got, &next) {
                    let mut ck = vec![0u8; T::checkpoint_size()];
                    assert_eq!(T::save(st, ck.as_mut_ptr(), ck.len(), ptr::null_mut()), 0);
                    assert!(ck == full_ck(f), "the switched state is not the shadow's");
                }
                (got, want)
            }
            FOp::SigmaHdi { mass } => {
                let mass = T::c(mass.get());
                let mut out = sentinel_buf::<T>(2);
                let r = next.as_ref().map(|f| {
                    if !mass.is_finite() {
                        return Err(VIREG_ERR_NON_FINITE);
                    }
                    if !(mass > T::ZERO && mass < T::ONE) {
                        return Err(VIREG_ERR_INVALID_ARGUMENT);
                    }
                    let post = f.posterior().map_err(|e| e as i32)?;
                    post.marginals().sigma_hdi(mass).map_err(|e| e as i32)
                });
                let want = match &r {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(Err(e)) => *e,
                    Some(Ok(_)) => VIREG_OK,
                };
                let (lo, hi) = out.split_at_mut(1);
                let got = T::sigma_hdi(st, mass, lo.as_mut_ptr(), hi.as_mut_ptr());
                if let (VIREG_OK, Some(Ok((l, h)))) = (got, r) {
                    assert_eq!(
                        [bits(out[0]), bits(out[1])],
                        [bits(l), bits(h)],
                        "sigma_hdi"
                    );
                    assert!(untouched(&out[2..]));
                } else {
                    assert!(untouched(&out), "a failed sigma_hdi wrote");
                }
                (got, want)
            }
            FOp::ObserveWeighted { x, y, w } => {
                let xs = x.make::<T>(p);
                let (y, w) = (T::c(y.get()), T::c(w.get()));
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(f) => status_of(&f.observe_weighted(&xs, y, w)),
                };
                (T::observe_weighted(st, xs.as_ptr(), p, y, w), want)
            }
            FOp::ObserveRowsWeighted { rows, x, y, w } => {
                let xs = x.make::<T>(rows * p);
                let ys = y.make::<T>(*rows);
                let ws: Vec<T> = (0..*rows)
                    .map(|i| T::c(w.get(i % w.len().max(1)).map_or(1.0, |v| v.get())))
                    .collect();
                let wp = if w.is_empty() {
                    ptr::null()
                } else {
                    ws.as_ptr()
                };
                let mut bad = usize::MAX;
                let mut want_bad = 0;
                let want = match next.as_mut() {
                    _ if wp.is_null() => VIREG_ERR_NULL,
                    None => VIREG_ERR_UNINITIALISED,
                    Some(f) => match f.observe_rows_weighted(&xs, p, &ys, &ws) {
                        Ok(()) => {
                            want_bad = *rows;
                            VIREG_OK
                        }
                        Err((i, e)) => {
                            want_bad = i;
                            e as i32
                        }
                    },
                };
                let got =
                    T::observe_rows_weighted(st, xs.as_ptr(), *rows, p, ys.as_ptr(), wp, &mut bad);
                assert_eq!(bad, want_bad, "{op:?}: bad row");
                (got, want)
            }
            FOp::SetForget { g } => {
                let g = T::c(g.get());
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(f) => status_of(&f.set_forget(g)),
                };
                (T::set_forget(st, g), want)
            }
            FOp::EffectiveRows => {
                let mut out = sentinel_buf::<T>(1);
                let got = T::effective_rows(st, out.as_mut_ptr());
                match shadow.as_ref() {
                    None => assert!(untouched(&out), "a refused call wrote its output"),
                    Some(f) => {
                        assert_eq!(bits(out[0]), bits(f.stats().effective_rows()));
                        assert!(untouched(&out[1..]), "written past the output");
                    }
                }
                let want = if shadow.is_some() {
                    VIREG_OK
                } else {
                    VIREG_ERR_UNINITIALISED
                };
                (got, want)
            }
            FOp::PredictRows { rows, x, alias } => {
                let xs = x.make::<T>(rows * p);
                let mut ms = sentinel_buf::<T>(*rows);
                let mut ss = sentinel_buf::<T>(*rows);
                let mut bad = usize::MAX;
                let r = next.as_ref().map(|f| {
                    if *alias && *rows > 0 {
                        return Err((0, VIREG_ERR_INVALID_ARGUMENT));
                    }
                    let post = f.posterior().map_err(|e| (0, e as i32))?;
                    let mut out = Vec::new();
                    for (i, row) in xs.chunks_exact(p).enumerate() {
                        out.push(post.predict(row).map_err(|e| (i, e as i32))?);
                    }
                    Ok(out)
                });
                let want = match &r {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(Err((_, e))) => *e,
                    Some(Ok(_)) => VIREG_OK,
                };
                let xb = bits_vec(&xs);
                let mp = ms.as_mut_ptr();
                let sp = if *alias { mp } else { ss.as_mut_ptr() };
                let got = T::predict_rows(st, xs.as_ptr(), *rows, p, mp, sp, &mut bad);
                assert_eq!(bits_vec(&xs), xb, "predict_rows wrote its rows");
                match (got, r) {
                    (VIREG_OK, Some(Ok(out))) => {
                        assert_eq!(bad, *rows);
                        for (i, (m, s)) in out.iter().enumerate() {
                            assert_eq!([bits(ms[i]), bits(ss[i])], [bits(*m), bits(*s)]);
                        }
                        assert!(untouched(&ms[*rows..]) && untouched(&ss[*rows..]));
                    }
                    (_, r) => {
                        assert!(
                            untouched(&ms) && untouched(&ss),
                            "a failed predict_rows wrote"
                        );
                        if let Some(Err((i, e))) = r {
                            if e == VIREG_ERR_NON_FINITE || e == VIREG_ERR_OVERFLOW {
                                assert_eq!(bad, i);
                            } else {
                                assert_eq!(bad, 0);
                            }
                        }
                    }
                }
                (got, want)
            }
            FOp::Merge => {
                let want = match next.as_mut() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(f) => {
                        let s = *f.stats();
                        status_of(&f.merge(&s))
                    }
                };
                (T::merge(st, st), want)
            }
            FOp::Save { len } => {
                let size = T::checkpoint_size();
                assert_eq!(size, RFull::<T>::CHECKPOINT_BYTES);
                let n = len.get(size).min(size + 64);
                let mut buf = vec![0xEEu8; n + 8];
                let mut written = usize::MAX;
                let want = match next.as_ref() {
                    None => VIREG_ERR_UNINITIALISED,
                    Some(_) if n < size => VIREG_ERR_BUFFER_TOO_SMALL,
                    Some(_) => VIREG_OK,
                };
                let got = T::save(st, buf.as_mut_ptr(), n, &mut written);
                match next.as_ref() {
                    Some(f) if got == VIREG_OK => {
                        assert_eq!(written, size, "bytes written");
                        assert!(buf[..size] == full_ck(f)[..], "checkpoint bytes");
                        assert!(buf[size..].iter().all(|b| *b == 0xEE), "written past");
                    }
                    _ => {
                        assert_eq!(written, usize::MAX, "a failed save wrote its count");
                        assert!(buf.iter().all(|b| *b == 0xEE), "a failed save wrote");
                    }
                }
                (got, want)
            }
            FOp::Load { src, size_off } => {
                let own = match next.as_ref() {
                    Some(f) => full_ck(f),
                    None => full_ck(&RFull::<T>::new(3, vireg::Config::default()).unwrap()),
                };
                let bytes = match src {
                    FullCk::Own => own,
                    FullCk::MeanField => T::mean_field_checkpoint(),
                    FullCk::Truncate { cut } => own[..cut % own.len()].to_vec(),
                    FullCk::Flip { pos, xor } => {
                        let mut b = own;
                        let n = b.len();
                        b[pos % n] ^= xor;
                        b
                    }
                };
                let size = T::WORDS * 8 - if *size_off { 8 } else { 0 };
                let want = if *size_off {
                    VIREG_ERR_STATE_SIZE
                } else {
                    match RFull::<T>::from_checkpoint(&bytes) {
                        Ok(f) => {
                            next = Some(f);
                            VIREG_OK
                        }
                        Err(e) => e as i32,
                    }
                };
                if matches!(src, FullCk::MeanField) && !*size_off {
                    assert_eq!(want, VIREG_ERR_INCOMPATIBLE, "a mean-field checkpoint");
                }
                if matches!(src, FullCk::Truncate { .. }) && !*size_off {
                    assert_eq!(want, VIREG_ERR_TRUNCATED, "a checkpoint cut short");
                }
                let got = T::load(st, size, bytes.as_ptr(), bytes.len());
                if got == VIREG_OK {
                    // Every byte of a loaded state is determined by the checkpoint: the same
                    // load into memory holding anything else gives the same bytes.
                    let mut other = vec![0xA5A5_A5A5_A5A5_A5A5u64; T::WORDS];
                    let o = other.as_mut_ptr().cast::<T::State>();
                    assert_eq!(T::load(o, size, bytes.as_ptr(), bytes.len()), VIREG_OK);
                    assert!(other[..] == c[..], "a loaded state depends on the memory");
                }
                (got, want)
            }
        }
    };
    assert_eq!(got, want, "{} {op:?}: status", core::any::type_name::<T>());
    assert_ne!(got, VIREG_ERR_PANIC);
    let read = matches!(
        op,
        FOp::Vector { .. } | FOp::Draw { .. } | FOp::Summary { .. } | FOp::Quantile { .. }
    );
    if read && got == VIREG_OK {
        FULL_POSTERIOR_OK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if matches!(op, FOp::Save { .. } | FOp::Load { .. }) && got == VIREG_OK {
        FULL_CHECKPOINT_OK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if got == VIREG_OK || got == VIREG_ERR_DIVERGED {
        *shadow = next;
        let weights_op = matches!(
            op,
            FOp::ObserveWeighted { .. } | FOp::ObserveRowsWeighted { .. } | FOp::SetForget { .. }
        );
        if weights_op && got == VIREG_OK {
            WEIGHTS_OK[1].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if let (true, Some(f)) = (weights_op, shadow.as_ref()) {
            let mut buf = vec![0u8; T::checkpoint_size()];
            // SAFETY: an initialised state, a buffer of the length given.
            let s = unsafe { T::save(st, buf.as_mut_ptr(), buf.len(), ptr::null_mut()) };
            assert_eq!(s, VIREG_OK);
            assert!(buf == full_ck(f), "{op:?}: C state != shadow");
        }
    } else {
        assert!(*c == *before, "{op:?}: refused, but the state changed");
    }
    // The reported ELBO agrees after every call.
    if let Some(f) = shadow.as_ref() {
        let mut e = T::ZERO;
        // SAFETY: as above.
        assert_eq!(unsafe { T::elbo(st, &mut e) }, VIREG_OK);
        assert_eq!(
            bits(e),
            bits(f.elbo_of(&f.reported_guide())),
            "elbo after {op:?}"
        );
    }
}

#[test]
fn full_rank_call_sequences() {
    let n = cases(0) / 10;
    let mut r = runner(n);
    // Half the sequences start from a fit of 3 features with data, solved, so that the
    // posterior's functions succeed often enough to be tested (the other half reach them, if
    // at all, only after their own init, rows and fit).
    let prepared = [
        FOp::Init { p: Dim::Match },
        FOp::ObserveRows {
            rows: 30,
            x: Fill {
                seed: 7,
                scale: 1.0,
                specials: vec![],
            },
            y: Fill {
                seed: 9,
                scale: 1.0,
                specials: vec![],
            },
        },
        FOp::Solve,
    ];
    fn go<T: FullC>(ops: &[FOp]) {
        let mut c = vec![0u64; T::WORDS];
        let mut shadow = None;
        for op in ops {
            full_exec::<T>(&mut c, &mut shadow, op);
        }
    }
    r.run(
        &(
            any::<bool>(),
            any::<bool>(),
            // long enough that the posterior's functions are reached among the weights' calls
            prop::collection::vec(fop(), 1..20),
        ),
        |(f64, prepare, ops)| {
            let ops: Vec<FOp> = if prepare {
                prepared.iter().cloned().chain(ops).collect()
            } else {
                ops
            };
            if f64 {
                go::<f64>(&ops);
            } else {
                go::<f32>(&ops);
            }
            Ok(())
        },
    )
    .unwrap();
    let ok = FULL_POSTERIOR_OK.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        ok as u32 > n / 8,
        "only {ok} successful posterior reads in {n} sequences"
    );
    let ck = FULL_CHECKPOINT_OK.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        ck as u32 > n / 8,
        "only {ck} successful checkpoint saves and loads in {n} sequences"
    );
    let wok = WEIGHTS_OK[1].load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        wok as u32 > n / 8,
        "only {wok} successful weighted observations and factor changes in {n} sequences"
    );
    eprintln!(
        "full_rank_call_sequences: {n} cases, {ok} successful posterior reads, {ck} successful \
         checkpoint saves and loads, {wok} successful weighted observations and factor changes"
    );
}
