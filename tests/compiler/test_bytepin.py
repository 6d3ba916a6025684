"""The restructuring of issue 7 keeps bitstream bytes: every program of
:mod:`bytepin` compiles to the SHA-256 recorded from the pre-refactor code.

When an intended algorithm change moves a pin, re-record with
``python tests/compiler/bytepin.py --record`` and say in the commit which programs
changed and why.
"""

from __future__ import annotations

import pytest
from bytepin import PINNED, PROGRAMS, digest


def test_every_program_is_pinned() -> None:
    assert set(PINNED) == set(PROGRAMS)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_bitstream_bytes_unchanged(name: str) -> None:
    assert digest(name) == PINNED[name], f"{name}: bitstream bytes changed"
