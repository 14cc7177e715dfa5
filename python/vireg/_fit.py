"""The Python API: :class:`Fit` and :class:`Synth` over the C functions of :mod:`vireg._capi`,
with NumPy arrays in and out."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, byref, c_size_t, c_uint64
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _capi
from ._capi import ERR_DIMENSION, OK, Error

__all__ = ["Fit", "Synth", "parameter_names"]

_ESTIMATORS = {"monte_carlo": _capi.ESTIMATOR_MONTE_CARLO, "analytic": _capi.ESTIMATOR_ANALYTIC}


def parameter_names(features: int) -> List[str]:
    """The parameters' names in the latent order, as :meth:`Fit.summary` and ArviZ label them:
    alpha, beta[0] .. beta[p-1], sigma."""
    return ["alpha"] + ["beta[%d]" % j for j in range(features)] + ["sigma"]


def _c_array(a: Any, dtype: Any) -> NDArray[Any]:
    """`a` as a C-contiguous, aligned array of `dtype`: itself when it already is one, else a
    copy (the C API refuses misaligned pointers; NumPy arrays over a buffer at an odd offset,
    such as those Dask deserialises, can be)."""
    return np.require(np.asarray(a, dtype=dtype), dtype, ["C_CONTIGUOUS", "ALIGNED"])


def _guide_prefix(guide: str) -> str:
    """The C functions' prefix for a guide: "" (vireg_<name>) or "full_" (vireg_full_<name>)."""
    if guide == "diagonal":
        return ""
    if guide == "full":
        return "full_"
    raise ValueError("guide must be one of %r, not %r" % (_capi.GUIDES, guide))


class Fit:
    """A Bayesian linear regression, y ~ N(α + x·β, σ) with α ~ N(0, prior_intercept),
    βⱼ ~ N(0, prior_coef), σ ~ HalfNormal(prior_noise), and a Gaussian posterior over the
    latent vector (α, β₁..β_p, ln σ).

    ``Fit(features, precision="f64", guide="diagonal", **config)``:

    * ``features``: p, the number of features (at most :func:`vireg.max_features`).
    * ``precision``: "f64", or "f32" (bit for bit what a microcontroller computes).
    * ``guide``: "diagonal" (mean-field, Pyro's AutoDiagonalNormal) or "full" (full-rank,
      AutoMultivariateNormal: the whole covariance).
    * ``config``: fields of the C ``vireg_config``: ``seed``, ``prior_intercept`` (default 100),
      ``prior_coef`` (10), ``prior_noise`` (10), ``lr`` (the learning rate; also accepted as
      ``learning_rate``), ``estimator`` ("monte_carlo" or "analytic", or the C value),
      ``particles``, ``init_scale``, ``beta1``, ``beta2``, ``eps``, ``clip``, ``lrd``,
      ``tol_rel_obj``, ``eval_every``, ``average_fraction``, ``final_lr_scale``, ``forget``
      (the forgetting factor γ ∈ (0, 1], default 1: before each new row, every row seen so far
      weighs γ times less, so of N rows row i weighs γ^(N−1−i); see :meth:`set_forget`).
      Unspecified ones take the library's defaults.

    Vectors and matrices come back as NumPy arrays of the fit's precision, in the latent order
    α, β₁..β_p, ln σ (σ itself in :meth:`summary`, :meth:`draw` and :meth:`quantile`). Every
    error raises :class:`vireg.Error`, leaving the fit unchanged.
    """

    precision: str
    guide: str

    def __init__(
        self,
        features: int,
        precision: str = "f64",
        guide: str = "diagonal",
        **config: Any,
    ) -> None:
        self._f = _capi.family(precision)
        self.precision = precision
        self.guide = guide
        self._g = _guide_prefix(guide)
        self._state = self._f.state(self._size())
        cfg = self._f.Config()
        self._f.call("config_default", byref(cfg))
        if "learning_rate" in config:
            if "lr" in config:
                raise TypeError("give lr or learning_rate, not both")
            config["lr"] = config.pop("learning_rate")
        fields = {f[0] for f in self._f.Config._fields_}
        for k, v in config.items():
            if k not in fields:
                raise TypeError("unknown configuration field %r" % (k,))
            if k == "estimator" and isinstance(v, str):
                try:
                    v = _ESTIMATORS[v]
                except KeyError:
                    raise ValueError(
                        "estimator must be one of %r, not %r" % (tuple(_ESTIMATORS), v)
                    ) from None
            setattr(cfg, k, v)
        self._call("init_sized", self._state, ctypes.sizeof(self._state), features, byref(cfg))

    # -- the state ---------------------------------------------------------------------------

    def _size(self) -> int:
        return int(self._f.full_size() if self._g else self._f.fit_size())

    def _fn(self, name: str) -> Any:
        return getattr(self._f, self._g + name)

    def _call(self, name: str, *args: Any) -> None:
        """Calls this guide's vireg_[full_]<name>_<suffix>; raises Error unless it returns OK."""
        self._f.call(self._g + name, *args)

    @classmethod
    def load(cls, checkpoint: bytes, precision: str = "f64", guide: str = "diagonal") -> "Fit":
        """A fit restored from the bytes of :meth:`save`, of the given precision and guide: a
        checkpoint of the other precision or guide raises Error (ERR_INCOMPATIBLE)."""
        self = cls.__new__(cls)
        self._f = _capi.family(precision)
        self.precision = precision
        self.guide, self._g = guide, _guide_prefix(guide)
        self._state = self._f.state(self._size())
        buf = _capi.byte_buffer(checkpoint)
        self._call("load_sized", self._state, ctypes.sizeof(self._state), buf, len(checkpoint))
        return self

    def save(self) -> bytes:
        """A checkpoint of the whole fit (configuration, data summary, posterior, optimiser,
        random stream; versioned, checksummed, little-endian) as bytes. It records the guide
        and precision, and loads only as a fit of the same guide and precision."""
        n = self._fn("checkpoint_size")()
        buf = (ctypes.c_uint8 * n)()
        written = c_size_t()
        self._call("save", self._state, buf, n, byref(written))
        return bytes(buf[: written.value])

    def __reduce__(self) -> Tuple[Any, ...]:
        # Pickling (Dask, multiprocessing) goes through the checkpoint.
        return (Fit.load, (self.save(), self.precision, self.guide))

    def copy(self) -> "Fit":
        """An independent copy (the state is plain bytes)."""
        other = Fit.__new__(Fit)
        other._f, other.precision = self._f, self.precision
        other.guide, other._g = self.guide, self._g
        other._state = self._f.state(ctypes.sizeof(self._state))
        ctypes.memmove(other._state, self._state, ctypes.sizeof(self._state))
        return other

    def state_bytes(self) -> bytes:
        """The raw bytes of the C state (for tests: an error must leave them unchanged)."""
        return bytes(self._state)

    @property
    def features(self) -> int:
        """p, the number of features."""
        n = c_size_t()
        self._call("features", self._state, byref(n))
        return n.value

    @property
    def rows(self) -> int:
        """The number of rows observed."""
        n = c_uint64()
        self._call("rows", self._state, byref(n))
        return n.value

    @property
    def effective_rows(self) -> float:
        """N_w, the effective number of rows: the sum of the rows' weights after forgetting,
        the model's N. Equal to :attr:`rows` while every row had weight 1 and nothing was
        forgotten; about 1/(1 − γ) after many unit rows with forgetting factor γ."""
        out = self._f.real()
        self._call("effective_rows", self._state, byref(out))
        return float(out.value)

    def config(self) -> Dict[str, Any]:
        """The configuration, as a dict of the C ``vireg_config`` fields."""
        cfg = self._f.Config()
        self._call("get_config", self._state, byref(cfg))
        return {f[0]: getattr(cfg, f[0]) for f in cfg._fields_}

    def set_learning_rate(self, lr: float) -> None:
        """Changes the learning rate for the following steps."""
        self._call("set_learning_rate", self._state, lr)

    def set_forget(self, forget: float) -> None:
        """Changes the forgetting factor γ ∈ (0, 1] (the configuration's ``forget``) from the
        next row on: before each new row, every row seen so far weighs γ times less, a memory
        of about 1/(1 − γ) rows; 1 forgets nothing. Outside (0, 1] raises Error (ERR_CONFIG, or
        ERR_NON_FINITE for NaN/infinity), leaving the fit unchanged."""
        self._call("set_forget", self._state, forget)

    # -- data --------------------------------------------------------------------------------

    def _ptr(self, a: NDArray[Any]) -> Any:
        return a.ctypes.data_as(POINTER(self._f.real))

    def observe(self, x: ArrayLike, y: float, weight: Optional[float] = None) -> None:
        """Folds one row in: x, p numbers; y, its response; ``weight``, its weight w ≥ 0 in
        the likelihood (an integer k counts as the row repeated k times, 0 changes nothing;
        None: an ordinary row). A NaN, infinite or negative weight raises Error
        (ERR_NON_FINITE, ERR_CONFIG), leaving the fit unchanged."""
        xa = self._vector_in(x)
        if weight is None:
            self._call("observe", self._state, self._ptr(xa), xa.shape[0], y)
        else:
            self._call("observe_weighted", self._state, self._ptr(xa), xa.shape[0], y, weight)

    def _vector_in(self, x: ArrayLike) -> NDArray[Any]:
        try:
            xa = _c_array(x, self._f.dtype)
        except (TypeError, ValueError):
            raise Error(ERR_DIMENSION, self._name("observe")) from None
        if xa.ndim != 1:
            raise Error(ERR_DIMENSION, self._name("observe"))
        return xa

    def _name(self, fn: str) -> str:
        return "vireg_%s%s_%s" % (self._g, fn, self._f.suffix)

    def _row_buffers(self, X: ArrayLike, y: ArrayLike) -> Tuple[NDArray[Any], int, NDArray[Any]]:
        """The arrays observe_rows hands to C and the row stride in elements: X itself when it
        is already of the fit's dtype, aligned, with unit column stride and a non-negative row
        stride of whole elements of at least p (C-contiguous, or a slice of the leading columns
        of a wider C-contiguous array), else a C-contiguous copy; likewise y."""
        dtype = np.dtype(self._f.dtype)
        call = self._name("observe_rows")
        try:
            xa = np.asarray(X)
            ya = np.asarray(y)
        except (TypeError, ValueError):
            raise Error(ERR_DIMENSION, call) from None
        if xa.ndim == 1 and xa.shape[0] == 0:
            xa = xa.reshape(0, self.features)
        if xa.ndim != 2 or ya.ndim != 1 or xa.shape[0] != ya.shape[0]:
            raise Error(ERR_DIMENSION, call)
        n, p = xa.shape
        itemsize = dtype.itemsize
        s0, s1 = xa.strides
        usable = (
            xa.dtype == dtype
            and xa.flags.aligned
            and (s1 == itemsize or p <= 1)
            and (n <= 1 or (s0 >= 0 and s0 % itemsize == 0 and s0 // itemsize >= p))
        )
        if usable:
            stride = s0 // itemsize if n > 1 else p
        else:
            try:
                xa = _c_array(xa, dtype)
            except (TypeError, ValueError):
                raise Error(ERR_DIMENSION, call) from None
            stride = p
        try:
            ya = _c_array(ya, dtype)
        except (TypeError, ValueError):
            raise Error(ERR_DIMENSION, call) from None
        return xa, stride, ya

    def _weight_buffer(self, weights: ArrayLike, n: int) -> NDArray[Any]:
        """The weights as observe_rows_weighted hands them to C: the array itself when it is
        already a C-contiguous, aligned array of the fit's dtype, else a converted copy."""
        call = self._name("observe_rows_weighted")
        try:
            wa = _c_array(weights, self._f.dtype)
        except (TypeError, ValueError):
            raise Error(ERR_DIMENSION, call) from None
        if wa.ndim != 1 or wa.shape[0] != n:
            raise Error(ERR_DIMENSION, call)
        return wa

    def observe_rows(
        self, X: ArrayLike, y: ArrayLike, weights: Optional[ArrayLike] = None
    ) -> None:
        """Folds many rows in, all or nothing. X: n rows of p numbers (an (n, p) array-like);
        y: the n responses; ``weights``: None, or the n rows' weights (each finite and ≥ 0, as
        in :meth:`observe`; rows of weight 0 are skipped and not counted). A NumPy array of the
        fit's dtype whose rows are contiguous (C order, or the leading columns of a wider
        C-order array) is read in place, without a copy, and so are y and the weights when
        C-contiguous of the fit's dtype; other input is converted once. On a bad row (a bad
        value or weight), raises Error with ``bad_row`` set to its index."""
        xa, stride, ya = self._row_buffers(X, y)
        n, p = xa.shape
        bad = c_size_t()
        if weights is None:
            name = "observe_rows"
            s = self._fn(name)(
                self._state, self._ptr(xa), n, p, stride, self._ptr(ya), byref(bad)
            )
        else:
            wa = self._weight_buffer(weights, n)
            name = "observe_rows_weighted"
            s = self._fn(name)(
                self._state, self._ptr(xa), n, p, stride, self._ptr(ya), self._ptr(wa),
                byref(bad),
            )
        if s != OK:
            raise Error(s, self._name(name), bad.value)

    def merge(self, other: "Fit") -> None:
        """Adds the data of another fit (same precision, guide and number of features), exactly
        as if this fit had observed its rows too. With forgetting (γ < 1) the other fit's rows
        count as the newest: this fit's rows are aged by the other's row count first, as if
        the other's rows had been observed after them; fits of different γ are not merged
        (Error, ERR_MISMATCH)."""
        if other._f is not self._f or other._g != self._g:
            raise ValueError("cannot merge fits of different precisions or guides")
        self._call("merge", self._state, other._state)

    # -- fitting -----------------------------------------------------------------------------

    def step(self, n: int = 1) -> float:
        """n SVI steps; returns the loss (-ELBO) of the last."""
        loss = self._f.real()
        self._call("step", self._state, n, byref(loss))
        return float(loss.value)

    def run(
        self,
        max_steps: int,
        report_every: int = 0,
        callback: Optional[Callable[[int, float], Optional[bool]]] = None,
    ) -> Dict[str, Any]:
        """Runs SVI for up to ``max_steps`` steps (stopping early on convergence when
        ``tol_rel_obj`` is set); returns the report {steps, averaged, loss, elbo, converged,
        stopped}. ``callback(step, loss)`` is called every ``report_every`` steps and may return
        False to stop. An exception raised by it stops the run and is re-raised."""
        errors: List[BaseException] = []

        def trampoline(_user: Any, step: int, loss: float) -> int:
            try:
                return 0 if callback(step, loss) is False else 1  # type: ignore[misc]
            except BaseException as e:  # noqa: B902 - re-raised after the C call returns
                errors.append(e)
                return 0

        cb = self._f.Progress(trampoline) if callback is not None else self._f.Progress()
        rep = self._f.RunReport()
        s = self._fn("run")(self._state, max_steps, report_every, cb, None, byref(rep))
        if errors:
            raise errors[0]
        if s != OK:
            raise Error(s, self._name("run"))
        return {f[0]: getattr(rep, f[0]) for f in rep._fields_}

    def solve_exact(self) -> Dict[str, Any]:
        """Sets the posterior to the guide's exact optimum; returns {elbo, iterations} and, for
        the full-rank guide, mean_field_elbo (the mean-field optimum's, where it started)."""
        rep = self._f.FullReport() if self._g else self._f.ExactReport()
        self._call("solve_exact", self._state, byref(rep))
        return {f[0]: getattr(rep, f[0]) for f in rep._fields_}

    def elbo(self) -> float:
        """The ELBO of the current posterior."""
        e = self._f.real()
        self._call("elbo", self._state, byref(e))
        return float(e.value)

    def condition(self) -> float:
        """The condition estimate S = n·ε·κ of the data (README, "Numerical limits"):
        solve_exact refuses above 1/4; check it before trusting an SVI result."""
        c = self._f.real()
        self._call("condition", self._state, byref(c))
        return float(c.value)

    # -- the posterior -----------------------------------------------------------------------

    def _out(self, name: str, shape: Tuple[int, ...]) -> NDArray[Any]:
        out = np.empty(shape, dtype=self._f.dtype)
        self._call(name, self._state, self._ptr(out), out.size)
        return out

    def loc(self) -> NDArray[Any]:
        """The guide's locations (Pyro's loc), shape (p + 2,): α, β₁..β_p, ln σ."""
        return self._out("posterior_loc", (self.features + 2,))

    def scale(self) -> NDArray[Any]:
        """The latents' marginal sds, shape (p + 2,): α, β₁..β_p, ln σ. For the mean-field
        guide these are its scales (Pyro's auto_scale), for the full-rank one the square roots
        of the covariance's diagonal (as :meth:`sd`)."""
        return self.sd()

    def sd(self) -> NDArray[Any]:
        """The latents' marginal sds (α, β₁..β_p, ln σ): the mean-field guide's scales, the
        square roots of the full-rank covariance's diagonal."""
        return self._out("posterior_sd" if self._g else "posterior_scale", (self.features + 2,))

    def cov(self) -> NDArray[Any]:
        """The latent covariance, shape (p + 2, p + 2), rows and columns α, β₁..β_p, ln σ:
        diagonal for the mean-field guide."""
        d = self.features + 2
        return self._out("posterior_cov", (d, d))

    def cholesky(self) -> NDArray[Any]:
        """The full-rank guide's lower Cholesky factor L of :meth:`cov` (Pyro's scale_tril),
        zeros above the diagonal."""
        if not self._g:
            raise TypeError("cholesky: the C API offers it for the full-rank guide only")
        d = self.features + 2
        return self._out("posterior_chol", (d, d))

    def _summary_row(self, i: int) -> Dict[str, float]:
        s = self._f.Summary()
        self._call("posterior_summary", self._state, i, byref(s))
        return {"mean": float(s.mean), "sd": float(s.sd), "median": float(s.median)}

    def summary(self, i: Optional[int] = None, *, interval: float = 0.94) -> Any:
        """The posterior of the parameters (σ itself, not ln σ).

        ``summary(i)``: {mean, sd, median} of parameter i (0 = α, 1..p = β, p + 1 = σ).

        ``summary()``: a table with a row per parameter (``alpha``, ``beta[0]`` ..
        ``beta[p-1]``, ``sigma``, ArviZ's labels) and the columns mean, sd, median and the
        equal-tailed ``interval`` bounds (``eti_3%``, ``eti_97%`` for 0.94): a
        ``pandas.DataFrame`` when pandas is importable, else a dict of rows
        ({name: {column: value}}), indexed the same way."""
        if i is not None:
            return self._summary_row(i)
        if not 0.0 < interval < 1.0:
            raise ValueError("interval must be in (0, 1), not %r" % (interval,))
        lo_q, hi_q = (1.0 - interval) / 2.0, (1.0 + interval) / 2.0
        lo_name, hi_name = "eti_%g%%" % (100 * lo_q), "eti_%g%%" % (100 * hi_q)
        table: Dict[str, Dict[str, float]] = {}
        for k, name in enumerate(parameter_names(self.features)):
            row = self._summary_row(k)
            row[lo_name] = self.quantile(k, lo_q)
            row[hi_name] = self.quantile(k, hi_q)
            table[name] = row
        try:
            import pandas as pd
        except ImportError:
            return table
        return pd.DataFrame.from_dict(table, orient="index")

    def quantile(self, i: int, q: float) -> float:
        """The q-quantile of parameter i's marginal (0 = α, 1..p = β, p + 1 = σ)."""
        out = self._f.real()
        self._call("posterior_quantile", self._state, i, q, byref(out))
        return float(out.value)

    def draw(self, n: int = 1) -> NDArray[Any]:
        """n posterior draws from the fit's random stream (which they advance), shape
        (n, p + 2): α, β₁..β_p, σ."""
        d = self.features + 2
        out = np.empty((n, d), dtype=self._f.dtype)
        self._call("draw", self._state, self._ptr(out), n, out.size)
        return out

    def predict(self, X: ArrayLike) -> Tuple[Any, Any]:
        """The predictive mean and sd of y. For one row x (p numbers): two floats. For rows X
        (an (n, p) array-like): two arrays of shape (n,)."""
        try:
            xa = np.asarray(X, dtype=self._f.dtype)
        except (TypeError, ValueError):
            raise Error(ERR_DIMENSION, self._name("predict")) from None
        single = xa.ndim == 1
        rows = _c_array(xa.reshape(1, -1) if single else xa, self._f.dtype)
        if rows.ndim != 2:
            raise Error(ERR_DIMENSION, self._name("predict"))
        n = rows.shape[0]
        means = np.empty(n, dtype=self._f.dtype)
        sds = np.empty(n, dtype=self._f.dtype)
        m, s = self._f.real(), self._f.real()
        for k in range(n):
            row = rows[k]
            self._call("predict", self._state, self._ptr(row), row.shape[0], byref(m), byref(s))
            means[k], sds[k] = m.value, s.value
        if single:
            return float(means[0]), float(sds[0])
        return means, sds

    def to_inference_data(self, draws: int = 1000) -> Any:
        """The posterior as an ``arviz.InferenceData``: one chain of ``draws`` draws in the
        posterior group, ``alpha`` (draw), ``beta`` (draw, feature: p) and ``sigma`` (draw),
        for ``az.summary``, ``az.plot_posterior`` and the rest of ArviZ. The draws come from a
        copy of the fit, so its own random stream is not advanced. Needs ArviZ (``pip install
        arviz``)."""
        try:
            import arviz as az
        except ImportError as e:
            raise ImportError(
                "vireg: Fit.to_inference_data needs ArviZ, which is not installed "
                "(pip install arviz, or pip install 'vireg[arviz]')"
            ) from e
        if draws < 1:
            raise ValueError("draws must be at least 1, not %r" % (draws,))
        d = self.copy().draw(draws).astype(np.float64)
        p = self.features
        posterior = {
            "alpha": d[None, :, 0],
            "beta": d[None, :, 1 : p + 1],
            "sigma": d[None, :, p + 1],
        }
        return az.from_dict(
            posterior=posterior,
            coords={"feature": np.arange(p)},
            dims={"beta": ["feature"]},
            attrs={
                "inference_library": "vireg",
                "inference_library_version": _capi.version(),
                "guide": self.guide,
                "precision": self.precision,
                "rows": self.rows,
            },
        )

    def __repr__(self) -> str:
        try:
            return "vireg.Fit(features=%d, precision=%r, guide=%r, rows=%d)" % (
                self.features, self.precision, self.guide, self.rows
            )
        except Error:
            return "vireg.Fit(<uninitialised>)"


class Synth:
    """The seed's synthetic data, row by row (the same stream as Rust's vireg::Synth)."""

    def __init__(self, features: int, seed: int, precision: str = "f64") -> None:
        self._f = _capi.family(precision)
        self._p = features
        self._state = self._f.state(self._f.synth_size())
        self._f.call(
            "synth_init_sized", self._state, ctypes.sizeof(self._state), features, seed
        )

    def next(self) -> Tuple[NDArray[Any], float]:
        """The next row: (x, y)."""
        x = np.empty(self._p, dtype=self._f.dtype)
        y = self._f.real()
        self._f.call("synth_next", self._state, x.ctypes.data_as(POINTER(self._f.real)),
                     self._p, byref(y))
        return x, float(y.value)

    def rows(self, n: int) -> Tuple[NDArray[Any], NDArray[Any]]:
        """The next n rows: X, shape (n, p), and y, shape (n,)."""
        X = np.empty((n, self._p), dtype=self._f.dtype)
        y = np.empty(n, dtype=self._f.dtype)
        for i in range(n):
            X[i], y[i] = self.next()
        return X, y

    def truth(self) -> NDArray[Any]:
        """The true [α, β₁..β_p, σ]."""
        out = np.empty(self._p + 2, dtype=self._f.dtype)
        self._f.call("synth_truth", self._state, out.ctypes.data_as(POINTER(self._f.real)),
                     self._p + 2)
        return out
