"""A column as its distinct values and each row's index into them.

Imported files repeat a few metrics, groups, periods, units and dates a
million times: checking, converting and summing them once per distinct value,
then spreading the result over the rows by index, is what keeps an import fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def distinct_codes(column: Sequence) -> tuple[list, np.ndarray]:
    """The column's distinct values, in order of first appearance, and each row's index."""
    position = {item: i for i, item in enumerate(dict.fromkeys(column))}
    if len(position) == 1:
        return list(position), np.zeros(len(column), dtype=np.intp)
    return list(position), np.fromiter(map(position.__getitem__, column), np.intp, len(column))


def spread(values: list, codes: np.ndarray) -> list:
    """Each row's value, ``values[code]``.

    Rows of one value share one object: a million copies of a few texts,
    scattered in memory, are slower to store (measured: about a second on a
    million rows).
    """
    if len(values) == 1:
        return values * len(codes)  # such as an absent column
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table[codes].tolist()
