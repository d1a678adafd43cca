"""Counter-based random numbers: the same value for the same (seed, stream, a, b) however they are batched.

A day's table for all stocks and one stock's series over all days must agree exactly; a stateful generator
would need the whole day (or the whole history) drawn to get one value, a counter-based one does not.
"""

from __future__ import annotations

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def uniforms(seed: int, stream: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Uniforms in (0, 1) indexed by the integer arrays a and b (broadcast)."""
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(seed & 0xFFFFFFFF) * _GOLD + np.uint64(stream))
        x = _mix(key ^ (np.asarray(a, dtype=np.uint64) * _GOLD))
        x = _mix(x ^ (np.asarray(b, dtype=np.uint64) + _M1))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def normals(seed: int, stream: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Standard normals indexed like `uniforms` (Box-Muller on two streams)."""
    u1 = uniforms(seed, 2 * stream, a, b)
    u2 = uniforms(seed, 2 * stream + 1, a, b)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
