"""Reliability statistics on item-by-person matrices. Pure (numpy only).

Missing answers are NaN. Covariances use pairwise-complete observations, the way
R computes ``cov(x, use="pairwise")`` and so what psych's ``scoreItems`` reports
with ``impute="none"``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def pairwise_cov(data: Matrix) -> Matrix:
    """Covariance matrix (n-1 denominators) from pairwise-complete rows."""
    present = ~np.isnan(data)
    k = data.shape[1]
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i, k):
            both = present[:, i] & present[:, j]
            n = int(both.sum())
            if n < 2:
                continue
            x = data[both, i]
            y = data[both, j]
            value = float(np.dot(x - x.mean(), y - y.mean()) / (n - 1))
            out[i, j] = out[j, i] = value
    return out


def cronbach_alpha(data: Matrix) -> float:
    """Cronbach's alpha of already reverse-keyed items (columns); NaN if undefined."""
    k = data.shape[1]
    if k < 2:
        return math.nan
    cov = pairwise_cov(data)
    total = float(np.nansum(cov)) if not np.isnan(cov).any() else math.nan
    if not math.isfinite(total) or total <= 0:
        return math.nan
    return float(k / (k - 1) * (1.0 - float(np.trace(cov)) / total))


def sem(sd: float, alpha: float) -> float:
    """Standard error of measurement: ``sd * sqrt(1 - alpha)``, NaN when alpha is not usable."""
    if not math.isfinite(alpha) or not math.isfinite(sd) or alpha > 1:
        return math.nan
    return sd * math.sqrt(max(0.0, 1.0 - alpha))


def item_rest(data: Matrix, column: int) -> float:
    """Correlation of one item with the mean of the others (the rest score), pairwise."""
    rest_cols = [c for c in range(data.shape[1]) if c != column]
    if not rest_cols:
        return math.nan
    with np.errstate(all="ignore"):
        rest = np.nanmean(data[:, rest_cols], axis=1)
    x = data[:, column]
    both = ~np.isnan(x) & ~np.isnan(rest)
    if both.sum() < 3:
        return math.nan
    xs, rs = x[both], rest[both]
    if xs.std() == 0 or rs.std() == 0:
        return math.nan
    return float(np.corrcoef(xs, rs)[0, 1])
