"""``np.where(mask, a, b)`` as arithmetic, for the many elementwise choices on random data.

    select(mask, a, b) = a [mask] + b [not mask]

NumPy's ``where`` branches on every element; on a mask that follows the sign of random data,
half of those branches are mispredicted and it runs about 10x slower than a product. The sum
above has no branch and gives exactly ``where``'s numbers: one of its terms is a or b times 1,
the other +-0, and adding +-0 changes nothing. So a and b must be finite (inf * 0 is NaN).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike


def select(mask: np.ndarray, a: np.ndarray | float, b: np.ndarray | float, dtype: DTypeLike) -> np.ndarray:
    """a where ``mask`` is true, else b, in ``dtype``; a, b finite arrays or numbers broadcasting to the mask."""
    out = np.multiply(mask, a, dtype=dtype)
    out += np.multiply(~mask, b, dtype=dtype)
    return out
