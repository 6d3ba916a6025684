"""Verilog emission for the physical fabric (ARCHITECTURE.md §3).

The output is one file holding, in this order:

1. the tile module ``lutgrid_tile`` (and the cell module it instantiates once,
   ``\\lutgrid_tile.cell``), converted once with ``amaranth.back.verilog``;
2. the top module ``lutgrid_fabric``, converted from :class:`fabric.rtl.Fabric`
   with every tile an ``Instance`` of ``lutgrid_tile``.

So the cell and tile are each defined once and instantiated (W + S)·H times,
whatever the fabric size. This tile netlist is the hardware and the default.
:mod:`fabric.verilog_sliced` emits a bit-sliced *simulation view* of the same
fabric (same ports and semantics, no instances; in Verilator it builds in under a
minute at 64x64 and runs 3-40x faster, more the larger the fabric);
:func:`fabric_verilog` and :func:`write_verilog` pick one by ``style``.

The text is deterministic: the same shape and options give the same bytes
(no source locations, no timestamps, internal attributes stripped). It lints
clean with ``verilator --lint-only`` at Verilator's default warnings, with no
waivers.
"""

from __future__ import annotations

import os
from pathlib import Path

from amaranth.back import verilog as amaranth_verilog

from .geometry import FabricShape
from .rtl import FABRIC_MODULE, TILE_MODULE, Fabric, Tile

__all__ = ["generate_verilog", "fabric_verilog", "write_verilog", "FABRIC_MODULE",
           "TILE_MODULE", "STYLES", "check_style"]

#: Verilog views of the fabric: ``"tiles"`` (the hardware, default) and
#: ``"sliced"`` (the bit-sliced simulation view of :mod:`fabric.verilog_sliced`).
STYLES: tuple[str, ...] = ("tiles", "sliced")

_CONVERT_OPTIONS = {"emit_src": False, "strip_internal_attrs": True}


def _check_shape(shape: object) -> FabricShape:
    if not isinstance(shape, FabricShape):
        raise TypeError(f"shape must be a FabricShape, not {shape!r}")
    return shape


def tile_verilog(spares: int, fault_injection: bool = False) -> str:
    """Verilog of the tile module (and its cell module) for ``spares`` S."""
    return amaranth_verilog.convert(Tile(spares, fault_injection=fault_injection),
                                    name=TILE_MODULE, **_CONVERT_OPTIONS)


def generate_verilog(shape: FabricShape, fault_injection: bool = False) -> str:
    """Return the Verilog text of the fabric ``lutgrid_fabric`` for ``shape``.

    Ports and load protocol: ARCHITECTURE.md §3. ``fault_injection`` adds the
    ``noise`` input (4·(W+S)·H bits). Raises ``TypeError`` for a bad ``shape``
    or flag and ``ValueError`` when the ``noise`` port would exceed 65,535 bits.
    Takes about 0.2 s per 1,000 physical cells (64×64: ~13 s).
    """
    shape = _check_shape(shape)
    if not isinstance(fault_injection, bool):
        raise TypeError(f"fault_injection must be a bool, not {fault_injection!r}")
    fabric = Fabric(shape, fault_injection=fault_injection, tile_instances=True)
    header = (
        f"// lutgrid fabric: logical {shape.width}x{shape.height}, "
        f"{shape.spares} spare column(s), physical {shape.physical_width}x{shape.height}, "
        f"fault_injection={int(fault_injection)}\n"
        f"// top module {FABRIC_MODULE}; tile module {TILE_MODULE} instantiated "
        f"{shape.physical_cells} times\n"
    )
    tile = tile_verilog(shape.spares, fault_injection)
    top = amaranth_verilog.convert(fabric, name=FABRIC_MODULE, **_CONVERT_OPTIONS)
    return header + tile + top


def check_style(style: object) -> str:
    """Return ``style`` if it is one of :data:`STYLES`, else raise ``ValueError``."""
    if not isinstance(style, str) or style not in STYLES:
        raise ValueError(f"unknown Verilog style {style!r}; choose one of {', '.join(STYLES)}")
    return style


def fabric_verilog(shape: FabricShape, fault_injection: bool = False,
                   style: str = "tiles") -> str:
    """The fabric's Verilog in ``style``: ``"tiles"`` is :func:`generate_verilog`
    (the hardware), ``"sliced"`` is
    :func:`fabric.verilog_sliced.generate_sliced_verilog` (simulation view)."""
    if check_style(style) == "sliced":
        from .verilog_sliced import generate_sliced_verilog

        return generate_sliced_verilog(shape, fault_injection=fault_injection)
    return generate_verilog(shape, fault_injection=fault_injection)


def write_verilog(path: str | os.PathLike[str], shape: FabricShape,
                  fault_injection: bool = False, style: str = "tiles") -> Path:
    """Write :func:`fabric_verilog`'s text (default: the tile netlist of
    :func:`generate_verilog`) to ``path`` atomically.

    The text goes to a temporary file in the same directory, which is then
    renamed over ``path``: readers see the old file or the complete new one.
    Returns the path written.
    """
    from fabric.bitstream import atomic_write_bytes

    text = fabric_verilog(shape, fault_injection=fault_injection, style=style)
    target = Path(path)
    atomic_write_bytes(target, text.encode("utf-8"))  # mode 0666 less the umask
    return target
