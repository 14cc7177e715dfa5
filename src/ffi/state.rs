//! The caller-owned state types: fixed-size opaque arrays (their sizes come from build.rs, for
//! the capacity `VIREG_MAX_FEATURES`), the layout behind them (a marker, then the kernel's
//! value), the zeroing of the value's padding, and the compile-time checks that tie the sizes
//! to the kernel's types.

use crate::{Family, Fit, FullFit, Normal, Synth};
use core::mem::{align_of, size_of};
use core::ptr;

include!(concat!(env!("OUT_DIR"), "/ffi_capacity.rs"));

/// A Bayesian linear regression fit in single precision: the data summary, the variational
/// posterior, the optimiser and the random stream, in VIREG_FIT_F32_SIZE bytes (fixed by
/// VIREG_MAX_FEATURES, 8-byte aligned). Opaque: use it only through the vireg_*_f32 functions.
///
/// Declare it anywhere (static, stack, inside your structs); zero-fill it or pass it to
/// vireg_init_f32() / vireg_load_f32() before anything else. It holds no pointers and owns no
/// resources: there is nothing to free, and copying it (memcpy, assignment) makes an independent
/// fit.
#[repr(C)]
pub struct vireg_fit_f32 {
    _opaque: [u64; VIREG_FIT_F32_WORDS],
}

/// A Bayesian linear regression fit in double precision, VIREG_FIT_F64_SIZE bytes; see
/// vireg_fit_f32.
#[repr(C)]
pub struct vireg_fit_f64 {
    _opaque: [u64; VIREG_FIT_F64_WORDS],
}

/// A Bayesian linear regression fit with the full-rank Gaussian guide (Pyro's
/// AutoMultivariateNormal: the whole covariance of the latent vector) in single precision, in
/// VIREG_FULL_F32_SIZE bytes (fixed by VIREG_MAX_FEATURES, 8-byte aligned). Opaque: use it only
/// through the vireg_full_*_f32 functions. Like vireg_fit_f32, it may be declared anywhere,
/// must be zero-filled or passed to vireg_full_init_f32() first, owns nothing and may be copied.
/// The vireg_full_* functions are in libraries built with the Cargo feature ffi-full (on by
/// default; a firmware that uses only the mean-field fit builds without it, to keep the
/// mean-field functions as small as they are alone).
#[repr(C)]
pub struct vireg_full_f32 {
    _opaque: [u64; VIREG_FULL_F32_WORDS],
}

/// A full-rank fit in double precision, VIREG_FULL_F64_SIZE bytes; see vireg_full_f32.
#[repr(C)]
pub struct vireg_full_f64 {
    _opaque: [u64; VIREG_FULL_F64_WORDS],
}

/// A generator of the seed's synthetic data in single precision (alpha ~ N(42, 10),
/// beta_j ~ N(0, 10), sigma ~ Exponential(1), x ~ N(0, I), y = alpha + x.beta + N(0, sigma)),
/// one row at a time, VIREG_SYNTH_F32_SIZE bytes. Opaque, no resources, copyable.
#[repr(C)]
pub struct vireg_synth_f32 {
    _opaque: [u64; VIREG_SYNTH_F32_WORDS],
}

/// A generator of the seed's synthetic data in double precision, VIREG_SYNTH_F64_SIZE bytes;
/// see vireg_synth_f32.
#[repr(C)]
pub struct vireg_synth_f64 {
    _opaque: [u64; VIREG_SYNTH_F64_WORDS],
}

/// The layout behind each opaque state type: a marker (0 = not initialised), then the value.
#[repr(C)]
pub(super) struct State<V> {
    /// The type's [`Opaque::MARKER`], [`busy`] of it during a run, or 0 (not initialised).
    pub(super) marker: u64,
    /// The kernel's value (valid when the marker says so).
    pub(super) value: V,
}

/// An opaque C state type and the kernel value it holds.
pub(super) trait Opaque {
    /// The kernel value.
    type Inner: Padded;
    /// Marker of an initialised state of this type (distinct per type, never 0).
    const MARKER: u64;
}

/// A kernel value whose padding bytes the C ABI zeroes, so that every byte of a state is
/// defined and two equal states are equal byte for byte (C programs compare and checksum them).
/// Rust leaves padding undefined after any typed write of the struct that holds it: the bytes
/// are zeroed after every call that writes a state, just before it returns to C.
pub(super) trait Padded {
    /// Zeroes the padding bytes of the value at `v`.
    ///
    /// # Safety
    /// `v` is valid for writes of `Self` and aligned; no reference to it is live.
    unsafe fn zero_padding(v: *mut Self);
}

/// Compiles only when the field that `_f` selects in an `S` is an `F`.
#[inline(always)]
fn field_is<S, F>(_f: fn(&S) -> &F) {}

/// Zeroes the bytes `start..end` after `base` (nothing when `end <= start`).
///
/// # Safety
/// The range is valid for writes and holds only padding bytes.
#[inline(always)]
pub(super) unsafe fn zero_bytes(base: *mut u8, start: usize, end: usize) {
    if end > start {
        // SAFETY: forwarded from the caller.
        unsafe { ptr::write_bytes(base.add(start), 0, end - start) };
    }
}

/// Zeroes every byte of the `repr(C)` struct `$ty` (named `$name`) at `$base` that none of its
/// fields covers: the gaps between the fields and after the last. The fields are listed with
/// their types in declaration order, all of them: the pattern without `..` makes a new field a
/// compile error here, the closures a changed field type, and a compile-time check that the
/// offsets increase by at least each field's size a wrong order.
macro_rules! zero_padding {
    ($base:expr, $name:ident, $ty:ty, $($f:ident: $fty:ty),+ $(,)?) => {{
        #[allow(clippy::redundant_locals, unused_variables)]
        let _all_fields = |v: $ty| {
            let $name { $($f: _),+ } = v;
        };
        $(
            field_is::<$ty, $fty>(|v| &v.$f);
        )+
        const {
            let offs = [$(core::mem::offset_of!($ty, $f)),+];
            let sizes = [$(size_of::<$fty>()),+];
            let mut i = 1;
            while i < offs.len() {
                assert!(offs[i] >= offs[i - 1] + sizes[i - 1], "fields out of order");
                i += 1;
            }
            assert!(offs[offs.len() - 1] + sizes[offs.len() - 1] <= size_of::<$ty>());
        }
        let base: *mut u8 = $base;
        let mut end = 0;
        $(
            let off = core::mem::offset_of!($ty, $f);
            // SAFETY: between the end of the previous field and this one's start: padding
            // (repr(C) places the fields in this order, checked above), inside the value.
            unsafe { zero_bytes(base, end, off) };
            end = off + size_of::<$fty>();
        )+
        // SAFETY: after the last field: trailing padding, inside the value.
        unsafe { zero_bytes(base, end, size_of::<$ty>()) };
    }};
}

impl<T: Normal, G: Family<T, MAX_FEATURES>> Padded for Fit<T, MAX_FEATURES, G> {
    // Not inlined: one copy for every call that writes a fit of a family (flash on
    // microcontrollers).
    #[inline(never)]
    unsafe fn zero_padding(v: *mut Self) {
        // The fit has no padding outside its data summary (checked by `Fit` at compile time).
        use crate::Stats;
        type S<T> = Stats<T, MAX_FEATURES>;
        type C<T> = crate::Coefs<T, MAX_FEATURES>;
        // SAFETY: a field of the value at `v` (valid, caller); no reference is formed.
        let base = unsafe { ptr::addr_of_mut!((*v).stats) }.cast::<u8>();
        zero_padding!(base, Stats, S<T>,
            p: usize,
            n: u64,
            d: C<T>,
            t: C<T>,
            rbar: [[T; MAX_FEATURES]; MAX_FEATURES],
            sserr: T,
            forget: T,
            nw: T,
            wmax: T,
        );
    }
}

impl<T: Normal> Padded for Synth<T, MAX_FEATURES> {
    #[inline(never)]
    unsafe fn zero_padding(v: *mut Self) {
        type C<T> = crate::Coefs<T, MAX_FEATURES>;
        zero_padding!(v.cast::<u8>(), Synth, Synth<T, MAX_FEATURES>,
            p: usize,
            truth: C<T>,
            sigma: T,
            rng: crate::SeededRng,
        );
    }
}

/// Marker of a fit whose `vireg_run_*` is in progress (calls from its callback are refused).
pub(super) const fn busy(marker: u64) -> u64 {
    !marker
}

/// Checks at compile time that `$inner` fits in the C type `$c`, tightly, and is aligned by it.
macro_rules! opaque {
    ($c:ty, $inner:ty, $marker:expr, $reserve:expr) => {
        impl Opaque for $c {
            type Inner = $inner;
            const MARKER: u64 = $marker;
        }
        const _: () = {
            let need = size_of::<State<$inner>>();
            let have = size_of::<$c>();
            assert!(
                need <= have,
                concat!(
                    "the kernel value outgrew ",
                    stringify!($c),
                    ": update the size formula in build.rs (ffi_sizes)"
                )
            );
            assert!(
                have - need <= $reserve + 64,
                concat!(
                    stringify!($c),
                    " is larger than needed: tighten the size formula in build.rs (ffi_sizes)"
                )
            );
            assert!(align_of::<State<$inner>>() <= align_of::<$c>());
            // No padding between the marker and the value, nor after it.
            assert!(size_of::<State<$inner>>() == size_of::<u64>() + size_of::<$inner>());
        };
    };
}

opaque!(
    vireg_fit_f32,
    Fit<f32, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.F4"),
    FIT_RESERVE
);
opaque!(
    vireg_fit_f64,
    Fit<f64, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.F8"),
    FIT_RESERVE
);
opaque!(
    vireg_full_f32,
    FullFit<f32, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.R4"),
    FIT_RESERVE
);
opaque!(
    vireg_full_f64,
    FullFit<f64, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.R8"),
    FIT_RESERVE
);
opaque!(
    vireg_synth_f32,
    Synth<f32, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.S4"),
    SYNTH_RESERVE
);
opaque!(
    vireg_synth_f64,
    Synth<f64, MAX_FEATURES>,
    u64::from_le_bytes(*b"vireg.S8"),
    SYNTH_RESERVE
);
