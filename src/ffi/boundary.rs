//! What every call goes through on its way in and out: the panic boundary, the checks of
//! pointers, lengths and state markers, and the writes of whole states.

use super::state::{busy, zero_bytes, Opaque, Padded, State};
use super::status::*;
use core::mem::{align_of, size_of};
use core::ptr;

/// Runs `f`, turning a panic into [`VIREG_ERR_PANIC`] on hosted targets (on bare metal there is
/// no unwinding: a panic goes to the panic handler).
#[inline]
pub(super) fn boundary<F: FnOnce() -> Result<(), vireg_status>>(f: F) -> vireg_status {
    #[cfg(not(target_os = "none"))]
    let r = match std::panic::catch_unwind(core::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(VIREG_ERR_PANIC),
    };
    #[cfg(target_os = "none")]
    let r = f();
    match r {
        Ok(()) => VIREG_OK,
        Err(s) => s,
    }
}

/// Checks a pointer to a C value of type `U`: non-NULL and aligned.
#[inline]
pub(super) fn check_ptr<U>(p: *const U) -> Result<(), vireg_status> {
    if p.is_null() {
        Err(VIREG_ERR_NULL)
    } else if !p.is_aligned() {
        Err(VIREG_ERR_MISALIGNED)
    } else {
        Ok(())
    }
}

/// Checks an optional output pointer: NULL, or aligned.
#[inline]
pub(super) fn check_opt<U>(p: *const U) -> Result<(), vireg_status> {
    if p.is_null() || p.is_aligned() {
        Ok(())
    } else {
        Err(VIREG_ERR_MISALIGNED)
    }
}

/// Writes `v` to the optional output `p` (already checked with [`check_opt`]).
///
/// # Safety
/// `p` is NULL or valid for a write of `U` and aligned.
#[inline]
pub(super) unsafe fn write_opt<U>(p: *mut U, v: U) {
    if !p.is_null() {
        // SAFETY: non-NULL, so valid and aligned (caller).
        unsafe { p.write(v) }
    }
}

/// `len` elements of `U` starting at `p`, checked: non-NULL, aligned, addressable.
///
/// # Safety
/// `p` is NULL or valid for reads of `len` elements.
#[inline]
pub(super) unsafe fn slice<'a, U>(p: *const U, len: usize) -> Result<&'a [U], vireg_status> {
    check_ptr(p)?;
    if len > isize::MAX as usize / size_of::<U>().max(1) {
        return Err(VIREG_ERR_DIMENSION);
    }
    // SAFETY: non-NULL and aligned (checked), valid for `len` reads (caller), and
    // len·size ≤ isize::MAX.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// `len` writable elements of `U` starting at `p`, checked as in [`slice`].
///
/// # Safety
/// `p` is NULL or valid for reads and writes of `len` elements, and overlaps no state.
#[inline]
pub(super) unsafe fn slice_mut<'a, U>(p: *mut U, len: usize) -> Result<&'a mut [U], vireg_status> {
    check_ptr(p)?;
    if len > isize::MAX as usize / size_of::<U>().max(1) {
        return Err(VIREG_ERR_DIMENSION);
    }
    // SAFETY: as in `slice`, and the caller guarantees exclusive access for the call.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// Checks a state pointer (non-NULL, aligned, marked initialised, not busy) and returns it as a
/// pointer to its layout. Reads only the marker.
///
/// # Safety
/// `p` is NULL or points to an `S` valid for reads whose first 8 bytes are initialised (a
/// zero-filled state, or one set up by an init/load function).
#[inline]
pub(super) unsafe fn checked<S: Opaque>(p: *const S) -> Result<*mut State<S::Inner>, vireg_status> {
    // Every opaque type is an array of u64: aligned as a u64, and the marker is its first.
    const { assert!(align_of::<S>() == align_of::<u64>() && size_of::<S>() >= size_of::<u64>()) };
    // SAFETY: forwarded from the caller: the same memory, seen as its first u64.
    unsafe { check_marker(p.cast::<u64>(), S::MARKER) }?;
    // `S` is at least as aligned and as large as `State` (compile-time checks): the marker
    // read is `State::marker`, at offset 0 (repr(C)).
    Ok(p.cast::<State<S::Inner>>().cast_mut())
}

/// The work of [`checked`], for every state type (one copy of the code): `p` non-NULL and
/// aligned, and the u64 there `marker` (else busy or uninitialised).
///
/// # Safety
/// `p` is NULL or valid for a read of an initialised u64.
#[inline(never)]
unsafe fn check_marker(p: *const u64, marker: u64) -> Result<(), vireg_status> {
    check_ptr(p)?;
    // SAFETY: non-NULL and aligned (checked), valid for the read and initialised (caller). No
    // reference to the state is formed.
    let m = unsafe { p.read() };
    if m == marker {
        Ok(())
    } else if m == busy(marker) {
        Err(VIREG_ERR_BUSY)
    } else {
        Err(VIREG_ERR_UNINITIALISED)
    }
}

/// Runs `f` on the value of the initialised state `p`, read-only.
///
/// # Safety
/// As [`checked`]; no other call may be changing the state (one thread at a time).
pub(super) unsafe fn with_ref<S: Opaque>(
    p: *const S,
    f: impl FnOnce(&S::Inner) -> Result<(), vireg_status>,
) -> vireg_status {
    boundary(|| {
        // SAFETY: forwarded from the caller.
        let st = unsafe { checked(p) }?;
        // SAFETY: the marker says an init/load function wrote a valid `S::Inner` here, and no
        // `&mut` to it exists: the only long-lived one is a run's, whose marker reads busy.
        f(unsafe { &(*st).value })
    })
}

/// Writes what `f` computes from the value of the initialised state `p` to the required output
/// `out`: [`VIREG_ERR_NULL`] for a NULL `out` before the state is looked at, then the checks of
/// [`with_ref`], then `out`'s alignment, then `f`'s own.
///
/// # Safety
/// As [`with_ref`]; `out` is NULL or valid for a write of a `U`.
pub(super) unsafe fn read_out<S: Opaque, U>(
    p: *const S,
    out: *mut U,
    f: impl FnOnce(&S::Inner) -> Result<U, vireg_status>,
) -> vireg_status {
    if out.is_null() {
        return VIREG_ERR_NULL;
    }
    let op = |v: &S::Inner| {
        check_ptr(out)?;
        let value = f(v)?;
        // SAFETY: checked non-NULL and aligned; valid for a write (caller).
        unsafe { out.write(value) };
        Ok(())
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_ref(p, op) }
}

/// Runs `f` on the value of the initialised state `p`, mutably. If `f` panics (a bug), the
/// state is marked not initialised.
///
/// # Safety
/// As [`checked`], with `p` valid for writes; no other call may be using the state.
pub(super) unsafe fn with_mut<S: Opaque>(
    p: *mut S,
    f: impl FnOnce(&mut S::Inner) -> Result<(), vireg_status>,
) -> vireg_status {
    // SAFETY: forwarded from the caller.
    let st = match unsafe { checked(p) } {
        Ok(st) => st,
        Err(e) => return e,
    };
    // SAFETY: a valid `S::Inner` (marker), exclusively ours for the call (caller's contract;
    // calls made by a run's callback see the busy marker and never get here).
    let s = boundary(|| f(unsafe { &mut (*st).value }));
    // SAFETY: valid for writes (caller); the reference given to `f` is gone.
    unsafe { tidy(st) };
    if s == VIREG_ERR_PANIC {
        // SAFETY: `st` is valid for writes (caller); the reference given to `f` is gone.
        unsafe { ptr::addr_of_mut!((*st).marker).write(0) };
    }
    s
}

/// Zeroes the padding of the value in the state at `st` (see [`Padded`]).
///
/// # Safety
/// `st` is valid for writes of a `State` holding a valid value; no reference to it is live.
#[inline]
pub(super) unsafe fn tidy<V: Padded>(st: *mut State<V>) {
    // SAFETY: forwarded from the caller; no reference is formed.
    unsafe { V::zero_padding(ptr::addr_of_mut!((*st).value)) };
}

/// Zeroes the bytes of the C state `p` past its `State` (room to grow: no value is there, but
/// the caller's memory, copied or checksummed whole, must be defined).
///
/// # Safety
/// `p` is valid for writes of an `S` and aligned; no reference to it is live.
#[inline]
pub(super) unsafe fn zero_reserve<S: Opaque>(p: *mut S) {
    // SAFETY: inside the `S` (compile-time check: the `State` fits), outside any value.
    unsafe { zero_bytes(p.cast::<u8>(), size_of::<State<S::Inner>>(), size_of::<S>()) };
}

/// Checks that the caller's state type is this library's: `size` is the `sizeof` the caller's
/// header gives (VIREG_ERR_STATE_SIZE when it differs: a header of another capacity).
#[inline]
pub(super) fn check_size<S>(size: usize) -> Result<(), vireg_status> {
    if size == size_of::<S>() {
        Ok(())
    } else {
        Err(VIREG_ERR_STATE_SIZE)
    }
}

/// Writes an initialised state: marker and value, replacing whatever the memory held; every
/// byte of the state is defined afterwards.
///
/// # Safety
/// `p` is valid for writes of an `S` and aligned (checked by the caller); no reference to it
/// is live.
pub(super) unsafe fn put<S: Opaque>(p: *mut S, value: S::Inner) {
    let st = p.cast::<State<S::Inner>>();
    // SAFETY: valid, aligned, large enough (compile-time checks), not borrowed (caller). The old
    // contents, if any, hold no resources, so overwriting without dropping leaks nothing.
    unsafe {
        st.write(State {
            marker: S::MARKER,
            value,
        });
        tidy(st);
        zero_reserve(p);
    };
}
