"""Bitstream-byte pins of programs compiled by the pre-refactor code (issue 7 item 1).

Issue 7 restructures the compiler (architecture layer, split of place.py, Packed
deriving its own fields) under the rule that the bitstream bytes of today's programs do
not change where the algorithm does not change. The SHA-256 digests in
:data:`PINNED` were recorded ONCE, by running this module's ``--record`` mode on the
unchanged code at commit 44bb5da (before any of the restructuring); they are not
produced by the code under test, so comparing against them is a real regression check:
any change of a placement, a route, a table or the I/O map changes a digest.

Programs: the built-in examples adder8, table16, running_sum (general flow),
mul4x4 (multiply macro), linear4x4 (linear macro); the 3- and 4-bit multiplies and
adder8 through the general flow without macros (adder8 on a fixed 24x24 fabric: the
greedy placer); seeded random netlists of ``lg_backend_gen.random_netlist`` (layered
layouts, and on fixed fabrics the greedy placer and the dominance layout).

    PYTHONPATH=. python tests/compiler/bytepin.py          # check, one line per program
    PYTHONPATH=. python tests/compiler/bytepin.py --record # print a new PINNED table
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable

import numpy as np

from compiler.examples import EXAMPLES, mul
from compiler.flow import compile_netlist
from compiler.program import compile_program
from fabric.bitstream import Bitstream


def _bytes(bs: Bitstream) -> bytes:
    """The file bytes of a bitstream (the thing the issue requires to stay identical)."""
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".lgb")
    os.close(fd)
    try:
        bs.save(path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def _example(name: str) -> Callable[[], Bitstream]:
    return lambda: compile_program(EXAMPLES[name](), name=name).bitstream


def _random(seed: int, n_luts: int, shape: tuple[int, int] | None = None
            ) -> Callable[[], Bitstream]:
    from lg_backend_gen import random_netlist

    def build() -> Bitstream:
        nl = random_netlist(np.random.default_rng(seed), n_luts=n_luts)
        w, h = shape if shape is not None else (None, None)
        return compile_netlist(nl, width=w, height=h, seed=seed).bitstream

    return build


def _lowered(name: str, shape: tuple[int, int] | None = None,
             graph: Callable[[], object] | None = None) -> Callable[[], Bitstream]:
    """A built-in example lowered to a netlist and sent through the general flow
    (no macros), on an automatic or a fixed fabric."""
    from compiler.lower import lower

    def build() -> Bitstream:
        g = graph() if graph is not None else EXAMPLES[name]()
        w, h = shape if shape is not None else (None, None)
        return compile_netlist(lower(g).netlist, width=w, height=h).bitstream

    return build


def _relaxing(build: Callable[[], Bitstream]) -> Callable[[], Bitstream]:
    """``build`` with the router retiming early (``stall=1``, ``relax_floor=0``: keyword
    defaults of ``Router``, the same in the old and the new code), so that the retime
    path (``Router._relax``) is pinned too; none of the default-setting programs reach
    it."""
    def run() -> Bitstream:
        from compiler.route import Router

        kw = Router.__init__.__kwdefaults__
        saved = dict(kw)
        kw.update(stall=1, relax_floor=0)
        try:
            return build()
        finally:
            kw.clear()
            kw.update(saved)

    return run


#: name -> builder of the program's bitstream (each compiles in a few seconds or less)
PROGRAMS: dict[str, Callable[[], Bitstream]] = {
    "adder8": _example("adder8"),
    "table16": _example("table16"),
    "running_sum": _example("running_sum"),
    "mul4x4": _example("mul4x4"),
    "linear4x4": _example("linear4x4"),
    "mul3_general": _lowered("mul3", graph=lambda: mul(3)),
    "mul4_general": _lowered("mul4", graph=lambda: mul(4)),
    "adder8_fixed24": _lowered("adder8", (24, 24)),
    **{f"random{s}_{n}": _random(s, n) for s, n in ((0, 8), (4, 16), (5, 40), (6, 80),
                                                    (7, 60))},
    "random11_fixed12": _random(11, 10, (12, 12)),
    "random12_fixed6": _random(12, 6, (6, 6)),
    "random13_fixed10": _random(13, 30, (10, 10)),
    "mul4_general_relax": _relaxing(_lowered("mul4", graph=lambda: mul(4))),
    "random7_60_relax": _relaxing(_random(7, 60)),
    "random11_fixed12_relax": _relaxing(_random(11, 10, (12, 12))),
}

#: SHA-256 of the bitstream file bytes, recorded from the pre-refactor code (commit 44bb5da)
PINNED: dict[str, str] = {
    "adder8": "a81b6b1a959697a6c4b0cfb377dae9000bfb97d22d5207dbc8585d01af1c2c81",
    "table16": "a8f979d3e738653334f0fd6ece7ead09a8f751e853fcf394272cb5079283f3a1",
    "running_sum": "57c9cd028adf5396d45dafc33f0bc223bf45ca47bbd6590b8f454f014123d5ce",
    "mul4x4": "82faee3db291fe6f61962bd4fc35a9998635ddc38fbb8e4ff586a8b3db547862",
    "linear4x4": "904a09b5a905e4fb76e8a33bf748c89e869d76fe53a57bbf344411427f15a730",
    "mul3_general": "a76adf73eafa5d5772aaefaad4f38a754b3dcc0db17312a3c4271d5d48e9d370",
    "mul4_general": "615c898c48b920819ffdb6739ee7b9a860245ec2c2b16d75c8c249aafb3fe977",
    "adder8_fixed24": "9b665b69b985741d3f89393f89bf71838185f21419311dd6fbdc36bfa2b5d876",
    "random0_8": "7ae575e8883881681c68c14d8280cd60a5b74179645a1d8a4dff37924d535a91",
    "random4_16": "5f62db65f7993f7a8be020f8c3f969cde104d5e55c3d426d4a19e054d84b124a",
    "random5_40": "17c6095a21ae4c4d61b223cd9bf94859679e5e595e55a7afe1f34afff9169696",
    "random6_80": "0d22279fa44ea67958fef91120cad41312cbde347af09d25fd68cda385d67055",
    "random7_60": "3974f8e77e93985377347dd3efe5ad6f7ca2de5e655494afd32a277e33ee3dbc",
    "random11_fixed12": "ccbbda4d05f97a09b5924ee543cd6aef08ac697095cd9b9b662c12b667c3291d",
    "random12_fixed6": "3b57ff1c02226b5691c511f30aa3552a61f4eb8d47093abb39f5fa544494de1d",
    "random13_fixed10": "8933b3999949dcff545eb6878d0deeb3744a9aeabe4199d22e4c2db555c8590a",
    # added with the retime move, recorded by running this module on an export of
    # commit 44bb5da (``git archive 44bb5da``), i.e. the pre-refactor code again
    "mul4_general_relax": "2e868e9d034a7763791e6566eeec17b735afe12de77b7ba69594e440713b46fc",
    "random7_60_relax": "2bf99603e6a6d12fe3a35b9f9ba9d6c8d7945a7ab895b1fb0283372feca8e329",
    "random11_fixed12_relax":
        "fed9a14d48afab3fc340c146035c27706df7849fecae2efa3380d983be6d29fa",
}


def digest(name: str) -> str:
    """SHA-256 (hex) of program ``name``'s bitstream file bytes."""
    return hashlib.sha256(_bytes(PROGRAMS[name]())).hexdigest()


def main(argv: list[str]) -> int:
    record = "--record" in argv
    names = [a for a in argv if not a.startswith("--")] or list(PROGRAMS)
    bad = 0
    for name in names:
        import time

        t0 = time.perf_counter()
        h = digest(name)
        dt = time.perf_counter() - t0
        if record:
            print(f'    "{name}": "{h}",  # {dt:.1f} s')
            continue
        ok = PINNED.get(name) == h
        bad += not ok
        print(f"{name}: {'identical' if ok else 'DIFFERENT'} ({dt:.1f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
