"""Composition of whole programs from blocks (issue 7, steps 2-3).

A word graph is split into *block instances* (:mod:`compiler.compose.split`): one per
op, or per element of an elementwise op; slices, concats and constants are wiring. Each
instance is compiled on its own into a *block* (:mod:`compiler.compose.blocks`): a
rectangle of configured cells with declared edge ports (side, position, bit, cycle
offset), from a macro where one matches and from the general flow otherwise. The
floorplanner (:mod:`compiler.compose.floorplan`) places the rectangles with free
channels between them, :mod:`compiler.compose.stitch` gives every block a start cycle
so that each of its inputs can arrive exactly on time, and the channel router
(:mod:`compiler.compose.channels`) routes every net between block ports, edge ports and
constants with paths of exact length through the free cells, the blocks being
obstacles.

A block's port lags do not change when it moves (DESIGN §3): only its start cycle and
its position do, so stitching is lag matching.
"""

from compiler.compose.stitch import ComposeResult, compose_graph

__all__ = ["ComposeResult", "compose_graph"]
