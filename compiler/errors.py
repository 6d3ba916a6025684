"""Errors raised by the lutgrid back end (packing, placement, routing, emission)."""

from __future__ import annotations


class CompileError(ValueError):
    """A netlist that the back end cannot turn into a bitstream; the message says why."""


class FitError(CompileError):
    """The program does not fit the fabric (cells, edge ports or routing resources).

    ``needed`` and ``available`` are cell counts when the shortage is in cells (else
    ``None``); the message always names what is short.
    """

    def __init__(self, message: str, needed: int | None = None,
                 available: int | None = None) -> None:
        super().__init__(message)
        self.needed = needed
        self.available = available


class RouteError(FitError):
    """Negotiated-congestion routing did not converge to a legal, exact-latency routing."""


class ParityError(CompileError):
    """Two paths of the netlist meet with delays of different parity.

    On the fabric every hop changes ``x + y`` and the cycle by one (DESIGN §3), so the
    registers split into two classes that never exchange data: a signal of token ``n``
    can only meet tokens ``n ± 2j`` of the same source. A LUT that reads both ``s`` and
    ``delay(s, k)`` with odd ``k`` (or any reconvergence with odd total delay
    difference) cannot be mapped.
    """
