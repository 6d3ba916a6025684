"""Hand-placed macros: regular bit-level layouts that skip general place-and-route.

:func:`build_linear` lays out a constant matrix-vector product (DESIGN §5 Linear) as a
bit-level systolic array; :func:`cells_used` counts its cells.
"""

from compiler.macros.linear import (
    LinearLayoutError,
    LinearStats,
    build_linear,
    cells_used,
    linear_reference,
)

__all__ = ["LinearLayoutError", "LinearStats", "build_linear", "cells_used", "linear_reference"]
