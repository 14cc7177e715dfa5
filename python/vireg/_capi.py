"""The C API through ctypes: finding and loading the shared library, the structs, the signatures
of the ``vireg_*`` functions of each precision, and the status codes.

Nothing here knows NumPy; :mod:`vireg._fit` builds the Python API on top.
"""

from __future__ import annotations

import ctypes
import glob
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Type

# Status codes (vireg_status): the values are stable.
OK = 0
ERR_NON_FINITE = 1
ERR_DIMENSION = 2
ERR_FEATURES = 3
ERR_CONFIG = 4
ERR_DIVERGED = 5
ERR_OVERFLOW = 6
ERR_NOT_CONVERGED = 7
ERR_MISMATCH = 8
ERR_BUFFER_TOO_SMALL = 9
ERR_BAD_CHECKPOINT = 10
ERR_CHECKSUM = 11
ERR_INCOMPATIBLE = 12
ERR_ILL_CONDITIONED = 13
ERR_NOT_FITTED = 14
ERR_TRUNCATED = 15
ERR_NULL = 100
ERR_UNINITIALISED = 101
ERR_BUSY = 102
ERR_MISALIGNED = 103
ERR_INVALID_ARGUMENT = 104
ERR_PANIC = 105
ERR_STATE_SIZE = 106

ESTIMATOR_MONTE_CARLO = 0
ESTIMATOR_ANALYTIC = 1

# The guide families: mean-field (Pyro's AutoDiagonalNormal, the vireg_* fit functions) and
# full-rank (AutoMultivariateNormal, the vireg_full_* functions).
GUIDES = ("diagonal", "full")
PRECISIONS = ("f64", "f32")

_HERE = os.path.dirname(os.path.abspath(__file__))
# The repository's release build, for the package used from a source checkout
# (python/vireg/ -> ../../target/release).
_REPO_LIB = os.path.normpath(
    os.path.join(_HERE, os.pardir, os.pardir, "target", "release", "libvireg.so")
)


class Error(Exception):
    """A vireg call failed. ``status`` is the C status code, ``call`` the C function and, for
    ``observe_rows``, ``bad_row`` the index of the row that was refused. On error the fit is
    unchanged."""

    def __init__(self, status: int, call: str, bad_row: Optional[int] = None) -> None:
        self.status = status
        self.call = call
        self.bad_row = bad_row
        super().__init__("%s: %s (status %d)" % (call, status_str(status), status))


def _config_struct(real: Any) -> Type[Structure]:
    class Config(Structure):
        _fields_ = [
            ("seed", c_uint64),
            ("prior_intercept", real),
            ("prior_coef", real),
            ("prior_noise", real),
            ("init_scale", real),
            ("lr", real),
            ("beta1", real),
            ("beta2", real),
            ("eps", real),
            ("clip", real),
            ("lrd", real),
            ("estimator", c_uint32),
            ("particles", c_uint32),
            ("tol_rel_obj", real),
            ("eval_every", c_uint32),
            ("average_fraction", real),
            ("final_lr_scale", real),
            ("forget", real),
        ]

    return Config


def _structs(real: Any) -> Tuple[Type[Structure], ...]:
    class RunReport(Structure):
        _fields_ = [
            ("steps", c_uint64),
            ("averaged", c_uint64),
            ("loss", real),
            ("elbo", real),
            ("converged", c_bool),
            ("stopped", c_bool),
        ]

    class ExactReport(Structure):
        _fields_ = [("elbo", real), ("iterations", c_uint32)]

    class FullReport(Structure):
        _fields_ = [("elbo", real), ("mean_field_elbo", real), ("iterations", c_uint32)]

    class Summary(Structure):
        _fields_ = [("mean", real), ("sd", real), ("median", real)]

    return _config_struct(real), RunReport, ExactReport, FullReport, Summary


class _Family:
    """The C functions of one precision (``vireg_<name>_<suffix>``), with their signatures, as
    attributes ``<name>`` and, for the full-rank guide, ``full_<name>``."""

    def __init__(self, lib: ctypes.CDLL, suffix: str, real: Any, dtype: str) -> None:
        self.suffix = suffix
        self.real = real
        # The NumPy dtype of this precision's numbers (a name, so this module needs no NumPy).
        self.dtype = dtype
        (
            self.Config,
            self.RunReport,
            self.ExactReport,
            self.FullReport,
            self.Summary,
        ) = _structs(real)
        self.Progress = CFUNCTYPE(c_int, c_void_p, c_uint64, real)
        P, R, S = POINTER, real, c_size_t
        st = c_void_p  # states are passed as pointers to their buffers
        sigs: Dict[str, Tuple[Any, List[Any]]] = {
            "fit_size": (c_size_t, []),
            "synth_size": (c_size_t, []),
            "checkpoint_size": (c_size_t, []),
            "config_default": (c_int32, [P(self.Config)]),
            # The sized entry points (the C header's macros pass sizeof; here the library's
            # own size, from fit_size/synth_size, so they always match).
            "init_sized": (c_int32, [st, S, S, P(self.Config)]),
            "get_config": (c_int32, [st, P(self.Config)]),
            "set_learning_rate": (c_int32, [st, R]),
            "features": (c_int32, [st, P(S)]),
            "rows": (c_int32, [st, P(c_uint64)]),
            "observe": (c_int32, [st, P(R), S, R]),
            "observe_rows": (c_int32, [st, P(R), S, S, S, P(R), P(S)]),
            "observe_weighted": (c_int32, [st, P(R), S, R, R]),
            "observe_rows_weighted": (c_int32, [st, P(R), S, S, S, P(R), P(R), P(S)]),
            "set_forget": (c_int32, [st, R]),
            "effective_rows": (c_int32, [st, P(R)]),
            "merge": (c_int32, [st, st]),
            "step": (c_int32, [st, c_uint64, P(R)]),
            "run": (c_int32, [st, c_uint64, c_uint64, self.Progress, c_void_p, P(self.RunReport)]),
            "solve_exact": (c_int32, [st, P(self.ExactReport)]),
            "elbo": (c_int32, [st, P(R)]),
            "condition": (c_int32, [st, P(R)]),
            "posterior_loc": (c_int32, [st, P(R), S]),
            "posterior_scale": (c_int32, [st, P(R), S]),
            "posterior_cov": (c_int32, [st, P(R), S]),
            "posterior_summary": (c_int32, [st, S, P(self.Summary)]),
            "posterior_quantile": (c_int32, [st, S, R, P(R)]),
            "draw": (c_int32, [st, P(R), S, S]),
            "predict": (c_int32, [st, P(R), S, P(R), P(R)]),
            "save": (c_int32, [st, P(c_uint8), S, P(S)]),
            "load_sized": (c_int32, [st, S, P(c_uint8), S]),
            "synth_init_sized": (c_int32, [st, S, S, c_uint64]),
            "synth_next": (c_int32, [st, P(R), S, P(R)]),
            "synth_truth": (c_int32, [st, P(R), S]),
        }
        # The full-rank fit's functions (vireg_full_<name>), as attributes full_<name>: those of
        # the mean-field fit with the same signature, and its own.
        same = [
            "init_sized", "get_config", "set_learning_rate", "features", "rows", "observe",
            "observe_rows", "observe_weighted", "observe_rows_weighted", "set_forget",
            "effective_rows", "merge", "step", "run", "elbo", "condition", "posterior_loc",
            "posterior_summary", "posterior_quantile", "draw", "predict", "checkpoint_size",
            "save", "load_sized",
        ]
        for name in same:
            sigs["full_" + name] = sigs[name]
        sigs.update({
            "full_size": (c_size_t, []),
            "full_solve_exact": (c_int32, [st, P(self.FullReport)]),
            "full_posterior_sd": (c_int32, [st, P(R), S]),
            "full_posterior_cov": (c_int32, [st, P(R), S]),
            "full_posterior_chol": (c_int32, [st, P(R), S]),
        })
        for name, (restype, argtypes) in sigs.items():
            f = getattr(lib, "vireg_%s_%s" % (name, suffix))
            f.restype = restype
            f.argtypes = argtypes
            setattr(self, name, f)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """The C functions, set as attributes in __init__."""

    def call(self, name: str, *args: Any) -> None:
        """Calls vireg_<name>_<suffix>; raises Error unless it returns OK."""
        s = getattr(self, name)(*args)
        if s != OK:
            raise Error(s, "vireg_%s_%s" % (name, self.suffix))

    def state(self, size: int) -> ctypes.Array:
        """A zero-filled, 8-byte-aligned buffer of `size` bytes."""
        return (c_uint64 * (size // 8))()


_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None
_families: Dict[str, _Family] = {}


def bundled_library() -> Optional[str]:
    """The shared library installed inside the package (``pip install``), or None in a source
    checkout. setuptools-rust names it like an extension module (``libvireg.<tag>.so``)."""
    for pattern in ("libvireg*.so", "libvireg*.dylib", "vireg*.dll", "libvireg*.pyd"):
        found = sorted(glob.glob(os.path.join(_HERE, pattern)))
        if found:
            return found[0]
    return None


def find_library() -> str:
    """The library :func:`load_library` loads by default: the package's own (installed by
    ``pip install``), else the file named by ``$VIREG_LIB``, else the repository's
    ``target/release/libvireg.so`` (``cargo build --release`` in a source checkout)."""
    return bundled_library() or os.environ.get("VIREG_LIB") or _REPO_LIB


def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Loads the shared library ``path``, else :func:`find_library`'s. Called on first use;
    call it first to choose the file (a later call switches every new object to that file)."""
    global _lib, _lib_path, _families
    path = path or find_library()
    if not os.path.exists(path):
        raise OSError(
            "vireg: %s not found (install the package with `pip install ./python`, or run "
            "`cargo build --release` in the repository, or set VIREG_LIB)" % path
        )
    lib = ctypes.CDLL(path)
    lib.vireg_status_str.restype = c_char_p
    lib.vireg_status_str.argtypes = [c_int32]
    lib.vireg_version.restype = c_char_p
    lib.vireg_version.argtypes = []
    lib.vireg_max_features.restype = c_size_t
    lib.vireg_max_features.argtypes = []
    _lib, _lib_path = lib, os.path.abspath(path)
    _families = {
        "f32": _Family(lib, "f32", c_float, "float32"),
        "f64": _Family(lib, "f64", c_double, "float64"),
    }
    return lib


def library() -> ctypes.CDLL:
    """The loaded library (loading it on first use)."""
    if _lib is None:
        load_library()
    assert _lib is not None
    return _lib


def library_path() -> str:
    """The path of the loaded library (loading it on first use)."""
    library()
    assert _lib_path is not None
    return _lib_path


def family(precision: str) -> _Family:
    """The C functions of a precision, "f64" or "f32"."""
    library()
    try:
        return _families[precision]
    except KeyError:
        raise ValueError("precision must be 'f32' or 'f64', not %r" % (precision,)) from None


def status_str(status: int) -> str:
    """The library's description of a status code."""
    return library().vireg_status_str(status).decode("utf-8")


def version() -> str:
    """The library's version string."""
    return library().vireg_version().decode("utf-8")


def max_features() -> int:
    """The feature capacity the library was built with (VIREG_MAX_FEATURES)."""
    return int(library().vireg_max_features())


def byte_buffer(data: bytes) -> ctypes.Array:
    """A ctypes copy of `data`, for the checkpoint loader."""
    return (c_uint8 * len(data)).from_buffer_copy(data)
