"""vireg — Bayesian linear regression by variational inference, from Python.

A pure-Python ctypes binding of vireg's C API (no compiled extension, no NumPy). It loads the
shared library ``target/release/libvireg.so`` of the repository (build it with
``cargo build --release``), or the file named by the environment variable ``VIREG_LIB``.

    >>> from vireg import Fit, Synth
    >>> data = Synth(features=2, seed=1)
    >>> fit = Fit(features=2)
    >>> for _ in range(500):
    ...     x, y = data.next()
    ...     fit.observe(x, y)
    >>> report = fit.solve_exact()
    >>> fit.summary(1)["mean"]            # beta_1; 0 = alpha, p + 1 = sigma
    >>> fit.predict([0.5, -1.0])          # predictive (mean, sd) of y
    >>> fit.cov()                         # latent covariance, (p + 2) x (p + 2)

Everything the C API offers is here, in both precisions (``precision="f64"``, the default, or
``"f32"``, bit for bit what a microcontroller computes) and both guides (``guide="diagonal"``,
the default mean-field one, or ``"full"``, the full-rank one with the whole covariance). Errors
raise :class:`Error`, whose ``status`` is the C status code; on error nothing changed.
"""

import ctypes
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    byref,
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

__all__ = [
    "Error",
    "Fit",
    "Synth",
    "load_library",
    "max_features",
    "status_str",
    "version",
    "ESTIMATOR_MONTE_CARLO",
    "ESTIMATOR_ANALYTIC",
    "GUIDES",
]

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

_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_LIB = os.path.join(_HERE, os.pardir, "target", "release", "libvireg.so")


class Error(Exception):
    """A vireg call failed. ``status`` is the C status code, ``call`` the C function."""

    def __init__(self, status, call, bad_row=None):
        self.status = status
        self.call = call
        self.bad_row = bad_row
        super().__init__("%s: %s (status %d)" % (call, status_str(status), status))


def _config_struct(real):
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
        ]

    return Config


def _structs(real):
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
    """The C functions of one precision, with their signatures."""

    def __init__(self, lib, suffix, real):
        self.suffix = suffix
        self.real = real
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
        sigs = {
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
            "observe_rows", "merge", "step", "run", "elbo", "condition", "posterior_loc",
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

    def call(self, name, *args):
        """Calls vireg_<name>_<suffix>; raises Error unless it returns OK."""
        s = getattr(self, name)(*args)
        if s != OK:
            raise Error(s, "vireg_%s_%s" % (name, self.suffix))

    def array(self, values):
        values = list(values)
        return (self.real * len(values))(*values)

    def state(self, size):
        """A zero-filled, 8-byte-aligned buffer of `size` bytes."""
        return (c_uint64 * (size // 8))()


_lib = None
_families = {}


def load_library(path=None):
    """Loads the shared library (``path``, else ``$VIREG_LIB``, else the repository's
    ``target/release/libvireg.so``). Called on first use; call it first to choose the file."""
    global _lib, _families
    path = path or os.environ.get("VIREG_LIB") or os.path.normpath(_DEFAULT_LIB)
    if not os.path.exists(path):
        raise OSError("vireg: %s not found (run `cargo build --release`, or set VIREG_LIB)" % path)
    lib = ctypes.CDLL(path)
    lib.vireg_status_str.restype = c_char_p
    lib.vireg_status_str.argtypes = [c_int32]
    lib.vireg_version.restype = c_char_p
    lib.vireg_version.argtypes = []
    lib.vireg_max_features.restype = c_size_t
    lib.vireg_max_features.argtypes = []
    _lib = lib
    _families = {"f32": _Family(lib, "f32", c_float), "f64": _Family(lib, "f64", c_double)}
    return lib


def _library():
    if _lib is None:
        load_library()
    return _lib


def _family(precision):
    _library()
    try:
        return _families[precision]
    except KeyError:
        raise ValueError("precision must be 'f32' or 'f64', not %r" % (precision,)) from None


def status_str(status):
    """The library's description of a status code."""
    return _library().vireg_status_str(status).decode("utf-8")


def version():
    """The library's version string."""
    return _library().vireg_version().decode("utf-8")


def max_features():
    """The feature capacity the library was built with (VIREG_MAX_FEATURES)."""
    return _library().vireg_max_features()


def _summary(s):
    return {"mean": s.mean, "sd": s.sd, "median": s.median}


def _guide_prefix(guide):
    """The C functions' prefix for a guide: "" (vireg_<name>) or "full_" (vireg_full_<name>)."""
    if guide == "diagonal":
        return ""
    if guide == "full":
        return "full_"
    raise ValueError("guide must be one of %r, not %r" % (GUIDES, guide))


class Fit:
    """A Bayesian linear regression fit (α ~ N(0, 100), βⱼ ~ N(0, 10), σ ~ HalfNormal(10),
    y ~ N(α + x·β, σ)) with a Gaussian posterior over the latent vector (α, β₁..β_p, ln σ).

    ``Fit(features, precision="f64", guide="diagonal", **config)``: ``guide`` is "diagonal"
    (mean-field, Pyro's AutoDiagonalNormal) or "full" (full-rank, AutoMultivariateNormal: the
    whole covariance); config keywords are the fields of the C vireg_config (seed,
    prior_intercept, prior_coef, prior_noise, init_scale, lr, beta1, beta2, eps, clip, lrd,
    estimator, particles, tol_rel_obj, eval_every, average_fraction, final_lr_scale);
    unspecified ones take the defaults. Parameters are indexed in the latent order: 0 = α,
    1..p = β, p + 1 = σ (ln σ in :meth:`loc`, :meth:`sd` and :meth:`cov`).
    """

    def __init__(self, features, precision="f64", guide="diagonal", **config):
        self._f = _family(precision)
        self.precision = precision
        self.guide = guide
        self._g = _guide_prefix(guide)
        self._state = self._f.state(self._size())
        cfg = self._f.Config()
        self._f.call("config_default", byref(cfg))
        for k, v in config.items():
            if k not in dict(self._f.Config._fields_):
                raise TypeError("unknown configuration field %r" % (k,))
            setattr(cfg, k, v)
        self._call("init_sized", self._state, ctypes.sizeof(self._state), features, byref(cfg))

    def _size(self):
        return self._f.full_size() if self._g else self._f.fit_size()

    def _fn(self, name):
        return getattr(self._f, self._g + name)

    def _call(self, name, *args):
        """Calls this guide's vireg_[full_]<name>_<suffix>; raises Error unless it returns OK."""
        self._f.call(self._g + name, *args)

    def _mean_field_only(self, what):
        if self._g:
            raise TypeError("%s: the C API offers it for the mean-field guide only" % what)

    @classmethod
    def load(cls, checkpoint, precision="f64", guide="diagonal"):
        """A fit restored from the bytes of :meth:`save`, of the given precision and guide: a
        checkpoint of the other precision or guide raises Error (ERR_INCOMPATIBLE)."""
        self = cls.__new__(cls)
        self._f = _family(precision)
        self.precision = precision
        self.guide, self._g = guide, _guide_prefix(guide)
        self._state = self._f.state(self._size())
        buf = (c_uint8 * len(checkpoint)).from_buffer_copy(checkpoint)
        self._call("load_sized", self._state, ctypes.sizeof(self._state), buf, len(checkpoint))
        return self

    def save(self):
        """A checkpoint of the whole fit (versioned, checksummed, little-endian) as bytes; it
        records the guide, and loads only as a fit of the same guide and precision."""
        n = self._fn("checkpoint_size")()
        buf = (c_uint8 * n)()
        written = c_size_t()
        self._call("save", self._state, buf, n, byref(written))
        return bytes(buf[: written.value])

    def copy(self):
        """An independent copy (the state is plain bytes)."""
        other = Fit.__new__(Fit)
        other._f, other.precision = self._f, self.precision
        other.guide, other._g = self.guide, self._g
        other._state = self._f.state(ctypes.sizeof(self._state))
        ctypes.memmove(other._state, self._state, ctypes.sizeof(self._state))
        return other

    def state_bytes(self):
        """The raw bytes of the C state (for tests: an error must leave them unchanged)."""
        return bytes(self._state)

    @property
    def features(self):
        n = c_size_t()
        self._call("features", self._state, byref(n))
        return n.value

    @property
    def rows(self):
        n = c_uint64()
        self._call("rows", self._state, byref(n))
        return n.value

    def config(self):
        """The configuration, as a dict."""
        cfg = self._f.Config()
        self._call("get_config", self._state, byref(cfg))
        return {name: getattr(cfg, name) for name, _ in cfg._fields_}

    def set_learning_rate(self, lr):
        self._call("set_learning_rate", self._state, lr)

    def observe(self, x, y):
        """Folds one row (x: p numbers, y: the response) in."""
        xa = self._f.array(x)
        self._call("observe", self._state, xa, len(xa), y)

    def observe_rows(self, xs, ys):
        """Folds many rows in, all or nothing (xs: rows of p numbers; ys: responses). On a bad
        row, raises Error with ``bad_row`` set to its index."""
        xs = [list(r) for r in xs]
        ys = list(ys)
        p = len(xs[0]) if xs else self.features
        if any(len(r) != p for r in xs) or len(xs) != len(ys):
            raise Error(ERR_DIMENSION, "vireg_%sobserve_rows_%s" % (self._g, self._f.suffix))
        flat = self._f.array(v for r in xs for v in r)
        ya = self._f.array(ys)
        bad = c_size_t()
        s = self._fn("observe_rows")(self._state, flat, len(ys), p, p, ya, byref(bad))
        if s != OK:
            raise Error(s, "vireg_%sobserve_rows_%s" % (self._g, self._f.suffix), bad.value)

    def merge(self, other):
        """Adds the data of another fit (same precision and number of features)."""
        if other._f is not self._f or other._g != self._g:
            raise ValueError("cannot merge fits of different precisions or guides")
        self._call("merge", self._state, other._state)

    def step(self, n=1):
        """n SVI steps; returns the loss (-ELBO) of the last."""
        loss = self._f.real()
        self._call("step", self._state, n, byref(loss))
        return loss.value

    def run(self, max_steps, report_every=0, callback=None):
        """Runs SVI; ``callback(step, loss)`` is called every ``report_every`` steps and may
        return False to stop. An exception raised by it stops the run and is re-raised."""
        errors = []

        def trampoline(_user, step, loss):
            try:
                return 0 if callback(step, loss) is False else 1
            except BaseException as e:  # noqa: B902 - re-raised after the C call returns
                errors.append(e)
                return 0

        cb = self._f.Progress(trampoline) if callback is not None else self._f.Progress()
        rep = self._f.RunReport()
        s = self._fn("run")(self._state, max_steps, report_every, cb, None, byref(rep))
        if errors:
            raise errors[0]
        if s != OK:
            raise Error(s, "vireg_%srun_%s" % (self._g, self._f.suffix))
        return {name: getattr(rep, name) for name, _ in rep._fields_}

    def solve_exact(self):
        """Sets the posterior to the guide's exact optimum; returns {elbo, iterations} and, for
        the full-rank guide, mean_field_elbo (the mean-field optimum's, where it started)."""
        rep = self._f.FullReport() if self._g else self._f.ExactReport()
        self._call("solve_exact", self._state, byref(rep))
        return {name: getattr(rep, name) for name, _ in rep._fields_}

    def elbo(self):
        e = self._f.real()
        self._call("elbo", self._state, byref(e))
        return e.value

    def condition(self):
        """The condition estimate S = n·ε·κ of the data (README, "Numerical limits"):
        solve_exact refuses above 1/4; check it before trusting an SVI result."""
        c = self._f.real()
        self._call("condition", self._state, byref(c))
        return c.value

    def _vector(self, name):
        d = self.features + 2
        out = (self._f.real * d)()
        self._call(name, self._state, out, d)
        return list(out)

    def _matrix(self, name):
        d = self.features + 2
        out = (self._f.real * (d * d))()
        self._call(name, self._state, out, d * d)
        return [list(out[i * d : (i + 1) * d]) for i in range(d)]

    def loc(self):
        """The guide's locations (Pyro's loc) in the latent order (α, β₁..β_p, ln σ)."""
        return self._vector("posterior_loc")

    def scale(self):
        """Pyro's auto_scale: the mean-field guide's scales (for both guides, :meth:`sd`)."""
        self._mean_field_only("scale")
        return self._vector("posterior_scale")

    def sd(self):
        """The latents' marginal sds (α, β₁..β_p, ln σ): the mean-field guide's scales, the
        square roots of the full-rank covariance's diagonal."""
        return self._vector("posterior_sd" if self._g else "posterior_scale")

    def cov(self):
        """The latent covariance, (p + 2) x (p + 2) nested lists (rows), in the order
        α, β₁..β_p, ln σ: diagonal for the mean-field guide."""
        return self._matrix("posterior_cov")

    def cholesky(self):
        """The full-rank guide's lower Cholesky factor L of :meth:`cov` (Pyro's scale_tril),
        nested lists, zeros above the diagonal."""
        if not self._g:
            raise TypeError("cholesky: the C API offers it for the full-rank guide only")
        return self._matrix("posterior_chol")

    def summary(self, i):
        """{mean, sd, median} of parameter i (0 = α, 1..p = β, p + 1 = σ)."""
        s = self._f.Summary()
        self._call("posterior_summary", self._state, i, byref(s))
        return _summary(s)

    def quantile(self, i, q):
        out = self._f.real()
        self._call("posterior_quantile", self._state, i, q, byref(out))
        return out.value

    def draw(self, n=1):
        """n posterior draws, each [α, β₁..β_p, σ]."""
        d = self.features + 2
        out = (self._f.real * (n * d))()
        self._call("draw", self._state, out, n, n * d)
        return [list(out[i * d : (i + 1) * d]) for i in range(n)]

    def predict(self, x):
        """Predictive (mean, sd) of y at a new row x."""
        xa = self._f.array(x)
        m, s = self._f.real(), self._f.real()
        self._call("predict", self._state, xa, len(xa), byref(m), byref(s))
        return m.value, s.value


class Synth:
    """The seed's synthetic data, row by row (the same stream as Rust's vireg::Synth)."""

    def __init__(self, features, seed, precision="f64"):
        self._f = _family(precision)
        self._p = features
        self._state = self._f.state(self._f.synth_size())
        self._f.call(
            "synth_init_sized", self._state, ctypes.sizeof(self._state), features, seed
        )

    def next(self):
        """The next row: (x, y)."""
        x = (self._f.real * self._p)()
        y = self._f.real()
        self._f.call("synth_next", self._state, x, self._p, byref(y))
        return list(x), y.value

    def truth(self):
        """The true [α, β₁..β_p, σ]."""
        out = (self._f.real * (self._p + 2))()
        self._f.call("synth_truth", self._state, out, self._p + 2)
        return list(out)
