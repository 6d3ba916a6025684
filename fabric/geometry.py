"""Shape of a lutgrid fabric (DESIGN.md §2, §4).

Units: every length here is a count of cells (columns or rows); bit counts
are named ``*_bits``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from cells.truth import CONFIG_BITS

__all__ = ["FabricShape", "MAX_SIDE", "MAX_SPARES"]

#: Largest logical width or height accepted (cells). Far above anything that
#: generates or simulates in reasonable time; it only catches typos.
MAX_SIDE = 4096
#: Largest number of spare columns accepted.
MAX_SPARES = 16


def _check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an ``int`` in ``[low, high]`` or raise a clear error."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}, not {number}")
    return number


@dataclass(frozen=True, slots=True)
class FabricShape:
    """Logical ``width`` W (columns, x west→east) × ``height`` H (rows, y
    north→south), plus ``spares`` S spare physical columns (default 1).

    Raises ``TypeError`` for non-integers and ``ValueError`` for out-of-range
    values (W, H in 1..4096, S in 0..16).
    """

    width: int
    height: int
    spares: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", _check_int("width", self.width, 1, MAX_SIDE))
        object.__setattr__(self, "height", _check_int("height", self.height, 1, MAX_SIDE))
        object.__setattr__(self, "spares", _check_int("spares", self.spares, 0, MAX_SPARES))

    @property
    def physical_width(self) -> int:
        """Physical columns W + S (cells)."""
        return self.width + self.spares

    @property
    def logical_cells(self) -> int:
        """W·H cells carrying the logical bitstream."""
        return self.width * self.height

    @property
    def physical_cells(self) -> int:
        """(W + S)·H cells in the physical grid."""
        return self.physical_width * self.height

    @property
    def config_cycles(self) -> int:
        """Cycles with ``cfg_en`` high in the load protocol: 64·W."""
        return CONFIG_BITS * self.width

    @property
    def defect_cycles(self) -> int:
        """Cycles with ``defect_en`` high in the load protocol: W + S."""
        return self.physical_width

    @property
    def noise_bits(self) -> int:
        """Width of the fault-injection ``noise`` port: 4·(W + S)·H bits."""
        return 4 * self.physical_cells

    def __str__(self) -> str:
        return f"{self.width}x{self.height} (+{self.spares} spare)"
