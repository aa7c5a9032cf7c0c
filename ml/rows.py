"""Arrays with one row per position, changed row by row: what the candidate pools and the service's
index keep their candidates in, so that a change costs the rows it touches and nothing more."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np


class Rows:
    """Named numpy arrays sharing their rows. ``rows[name]`` reads the ``size`` rows in use (a view);
    ``rows.full(name)`` is the whole array, to write rows into. Capacity doubles as rows are added,
    so adding a row is amortised constant time."""

    def __init__(self):
        self.size = 0
        self._capacity = 0
        self._arrays: dict[str, np.ndarray] = {}
        self._fill: dict[str, object] = {}

    def add(self, name: str, dtype, width: int | None = None, fill=0) -> None:
        """A new array of rows of ``width`` values (None: one value a row), filled with ``fill``."""
        shape = (self._capacity,) if width is None else (self._capacity, width)
        self._arrays[name] = np.full(shape, fill, dtype=dtype)
        self._fill[name] = fill

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name][: self.size]

    def full(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def width(self, name: str) -> int:
        return self._arrays[name].shape[1]

    def grow(self, size: int) -> None:
        """Makes room for rows 0..size-1 (new rows hold their array's fill value)."""
        if size > self._capacity:
            capacity = max(size, 2 * self._capacity, 16)
            for name, array in self._arrays.items():
                grown = np.full((capacity, *array.shape[1:]), self._fill[name], dtype=array.dtype)
                grown[: self._capacity] = array
                self._arrays[name] = grown
            self._capacity = capacity
        self.size = max(self.size, size)

    def reserve(self, capacity: int) -> None:
        """Makes room for ``capacity`` rows at once (when their number is known), without using them."""
        size = self.size
        self.grow(capacity)
        self.size = size

    def widen(self, name: str, width: int) -> None:
        """Gives every row of a two-dimensional array at least ``width`` values."""
        array = self._arrays[name]
        if width > array.shape[1]:
            wider = np.full((array.shape[0], width), self._fill[name], dtype=array.dtype)
            wider[:, : array.shape[1]] = array
            self._arrays[name] = wider

    def reset(self, positions) -> None:
        """Puts the fill values back in the given rows."""
        for name, array in self._arrays.items():
            array[positions] = self._fill[name]


class Slots:
    """Which position holds which key: a key keeps its position while it is held, and a released
    position is given to the next new key."""

    def __init__(self):
        self.position: dict[Hashable, int] = {}
        self._free: list[int] = []
        self.size = 0

    def __len__(self) -> int:
        return len(self.position)

    def __contains__(self, key) -> bool:
        return key in self.position

    def place(self, key) -> int:
        """The position of ``key``, given one if it has none."""
        position = self.position.get(key)
        if position is None:
            position = self._free.pop() if self._free else self.size
            self.size = max(self.size, position + 1)
            self.position[key] = position
        return position

    def release(self, key) -> int | None:
        """Frees the position of ``key``; returns it (None when the key held none)."""
        position = self.position.pop(key, None)
        if position is not None:
            self._free.append(position)
        return position
