"""Correlating random inputs: Iman-Conover rank correlation (keeps each
input's marginal draws, so LHS strata survive) and Gaussian / Student-t
copulas.  Matrices that are not positive semi-definite are repaired."""
from __future__ import annotations

import numpy as np
from scipy import special, stats


def repair_correlation(matrix: np.ndarray, name: str = "correlation matrix") -> tuple[np.ndarray, str | None]:
    """Symmetrise and, if needed, move to the nearest valid correlation matrix
    (eigenvalues clipped, unit diagonal restored).  Returns (matrix, warning)."""
    c = np.asarray(matrix, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"{name} must be square, got {c.shape[0]}x{c.shape[1] if c.ndim == 2 else 1}")
    if np.any(np.abs(c) > 1 + 1e-12):
        raise ValueError(f"{name} has coefficients outside [-1, 1]")
    c = (c + c.T) / 2
    np.fill_diagonal(c, 1.0)
    w, v = np.linalg.eigh(c)
    if w.min() >= -1e-10:
        return c, None
    for _ in range(100):  # alternate projections (Higham-style, simplified)
        w, v = np.linalg.eigh(c)
        c = (v * np.maximum(w, 1e-8)) @ v.T
        d = np.sqrt(np.diag(c))
        c = c / np.outer(d, d)
        np.fill_diagonal(c, 1.0)
        if np.linalg.eigvalsh(c).min() > -1e-12:
            break
    return c, (f"{name} was not positive semi-definite (smallest eigenvalue {w.min():.4g}); "
               f"using the nearest valid correlation matrix")


def _ranks(x: np.ndarray) -> np.ndarray:
    r = np.empty(len(x), dtype=np.int64)
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    return r


def iman_conover(u: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Reorder each column of ``u`` (m x k) so that the rank correlation of the
    columns approaches ``target``; every column keeps exactly its values."""
    m, k = u.shape
    if k < 2 or m < k + 2:
        return u
    scores = special.ndtri((np.arange(1, m + 1)) / (m + 1))
    s = np.empty_like(u)
    for j in range(k):
        s[:, j] = scores[_ranks(u[:, j])]
    e = np.corrcoef(s, rowvar=False)
    # normal scores carry Pearson correlation; the target is a rank (Spearman)
    # correlation: rho_pearson = 2 sin(pi rho_rank / 6) for normal variables
    pearson, _ = repair_correlation(2 * np.sin(np.pi * np.asarray(target) / 6))
    p = np.linalg.cholesky(pearson + 1e-12 * np.eye(k))
    try:
        q = np.linalg.cholesky(e)
    except np.linalg.LinAlgError:
        q = np.linalg.cholesky(e + 1e-9 * np.eye(k))
    t = s @ np.linalg.inv(q).T @ p.T
    out = np.empty_like(u)
    for j in range(k):
        out[:, j] = np.sort(u[:, j])[_ranks(t[:, j])]
    return out


def gaussian_copula(u: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Map independent uniforms to uniforms with a Gaussian copula whose
    (Pearson) normal-score correlation is ``target``."""
    z = special.ndtri(np.clip(u, 1e-15, 1 - 1e-15))
    return special.ndtr(z @ np.linalg.cholesky(target).T)


def student_copula(u: np.ndarray, target: np.ndarray, df: float, mix: np.ndarray) -> np.ndarray:
    """Student-t copula; ``mix`` is one extra uniform per iteration for the
    chi-square mixing variable."""
    z = special.ndtri(np.clip(u, 1e-15, 1 - 1e-15)) @ np.linalg.cholesky(target).T
    w = stats.chi2.ppf(np.clip(mix, 1e-15, 1 - 1e-15), df)
    t = z / np.sqrt(w / df)[:, None]
    return stats.t.cdf(t, df)


def rank_correlation(x: np.ndarray) -> np.ndarray:
    """Spearman rank correlation matrix of the columns of x."""
    r = np.column_stack([_ranks(x[:, j]) for j in range(x.shape[1])]).astype(float)
    return np.corrcoef(r, rowvar=False)
