"""Fitting a Dask DataFrame, on one machine or a cluster.

    >>> import dask.dataframe as dd, vireg.dask
    >>> ddf = dd.read_parquet("rows/*.parquet")          # any dask.dataframe
    >>> fit = vireg.dask.fit(ddf, y="y", features=["x1", "x2"], seed=1)
    >>> fit.solve_exact()                                # a vireg.Fit holding every row

Each partition is folded into a fit's data summary where it lives (a fresh :class:`vireg.Fit`
per partition, ``observe_rows`` over its rows); only the summaries travel, as checkpoint bytes
(a few kB, whatever the number of rows), and they are merged pairwise in a tree — merging is
exact: the result holds the same sums as one fit that observed every row, up to the rounding of
the additions' order. With a forgetting factor (``forget=γ`` < 1) the rows count in partition
order, and within a partition in row order: a merge treats the other summary's rows as the
newest (it ages the first summary's rows by the other's row count), and the tree merges
neighbours in order, so the result is that of one fit observing the partitions one after
the other, up to rounding. The computation runs on Dask's current scheduler: a
``dask.distributed.Client`` (a ``LocalCluster`` or a real cluster, whose workers need the vireg
package installed) if one is active, else Dask's local scheduler. Needs Dask (``pip install
'dask[dataframe,distributed]'``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from ._fit import Fit

__all__ = ["fit", "fit_delayed", "fold_partition", "merge_checkpoints"]


def _import_dask() -> Any:
    try:
        import dask
        import dask.dataframe  # noqa: F401 - the DataFrame API must be importable too
    except ImportError as e:
        raise ImportError(
            "vireg.dask needs Dask with its DataFrame support, which is not installed "
            "(pip install 'dask[dataframe,distributed]', or pip install 'vireg[dask]')"
        ) from e
    return dask


def fold_partition(
    df: Any,
    y: str,
    features: Sequence[str],
    config: Dict[str, Any],
    weights: Optional[str] = None,
) -> bytes:
    """One partition (a pandas DataFrame) folded into a fresh fit, its rows weighted by the
    column ``weights`` if given: its checkpoint bytes."""
    f = Fit(len(features), **config)
    if len(df):
        dtype = f._f.dtype
        X = df[list(features)].to_numpy(dtype=dtype)
        w = None if weights is None else df[weights].to_numpy(dtype=dtype)
        f.observe_rows(X, df[y].to_numpy(dtype=dtype), w)
    return f.save()


def merge_checkpoints(blobs: Sequence[bytes], precision: str, guide: str) -> bytes:
    """Fits' checkpoints merged into the first (its configuration kept): the merged checkpoint."""
    acc = Fit.load(blobs[0], precision, guide)
    for blob in blobs[1:]:
        acc.merge(Fit.load(blob, precision, guide))
    return acc.save()


def _columns(
    ddf: Any, y: str, features: Optional[Sequence[str]], weights: Optional[str] = None
) -> List[str]:
    columns = list(ddf.columns)
    for name in [y] if weights is None else [y, weights]:
        if name not in columns:
            raise KeyError("vireg.dask.fit: no column %r (the DataFrame has %r)" % (name, columns))
    if weights is not None and weights == y:
        raise ValueError("vireg.dask.fit: the response %r is the weight column" % (y,))
    if features is None:
        return [c for c in columns if c != y and c != weights]
    features = list(features)
    missing = [c for c in features if c not in columns]
    if missing:
        raise KeyError("vireg.dask.fit: no columns %r (the DataFrame has %r)" % (missing, columns))
    if y in features:
        raise ValueError("vireg.dask.fit: the response %r is among the features" % (y,))
    if weights is not None and weights in features:
        raise ValueError("vireg.dask.fit: the weight column %r is among the features" % (weights,))
    return features


def fit_delayed(
    ddf: Any,
    y: str,
    features: Optional[Sequence[str]] = None,
    split_every: int = 8,
    weights: Optional[str] = None,
    **config: Any,
) -> Any:
    """The graph of :func:`fit` without computing it: a ``dask.delayed`` object whose value is
    the merged checkpoint (bytes), for combining with other Dask work. Arguments as
    :func:`fit`."""
    dask = _import_dask()
    if split_every < 2:
        raise ValueError("split_every must be at least 2, not %r" % (split_every,))
    features = _columns(ddf, y, features, weights)
    if not features:
        raise ValueError("vireg.dask.fit: no feature columns")
    precision = config.get("precision", "f64")
    guide = config.get("guide", "diagonal")
    # Fails here, not on the workers, on a bad configuration or too many features.
    Fit(len(features), **config)
    parts = ddf[features + [y] + ([] if weights is None else [weights])].to_delayed()
    fold = dask.delayed(fold_partition, pure=True)
    merge = dask.delayed(merge_checkpoints, pure=True)
    level = [fold(part, y, features, config, weights) for part in parts]
    while len(level) > 1:
        level = [
            merge(level[i : i + split_every], precision, guide)
            for i in range(0, len(level), split_every)
        ]
    return level[0]


def fit(
    ddf: Any,
    y: str,
    features: Optional[Sequence[str]] = None,
    split_every: int = 8,
    weights: Optional[str] = None,
    **config: Any,
) -> Fit:
    """A :class:`vireg.Fit` holding every row of a Dask DataFrame, ready for ``solve_exact()``
    or SVI (``run``).

    * ``ddf``: a ``dask.dataframe.DataFrame``.
    * ``y``: the response column.
    * ``features``: the feature columns, in order (β₁..β_p); None: every column but ``y``.
    * ``split_every``: how many summaries one merge task combines (the tree's fan-in).
    * ``weights``: None, or a column of row weights (each finite and ≥ 0; a weight k counts as
      the row repeated k times), not a feature.
    * ``config``: :class:`vireg.Fit`'s keywords (``precision``, ``guide``, ``seed``, priors,
      ...), the same for every partition's fit and the result. With ``forget=γ`` < 1 rows
      count in partition order (the module's docstring); merging fits of different γ is
      refused, which cannot happen here since every partition's fit has the same.

    Runs on the current Dask scheduler (a ``distributed.Client`` if one is active)."""
    dask = _import_dask()
    blob = dask.compute(fit_delayed(ddf, y, features, split_every, weights, **config))[0]
    return Fit.load(
        bytes(blob), config.get("precision", "f64"), config.get("guide", "diagonal")
    )
