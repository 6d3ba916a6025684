"""Bitstream-byte pins of programs compiled by the pre-refactor code (issue 7 item 1).

Issue 7 restructures the compiler (architecture layer, split of place.py, Packed
deriving its own fields) under the rule that the bitstream bytes of today's programs do
not change where the algorithm does not change. The SHA-256 digests in
:data:`PINNED` were recorded ONCE, by running this module's ``--record`` mode on the
unchanged code at commit 44bb5da (before any of the restructuring; re-recorded there
with the digest of :func:`_bytes` once issue 8 completed the map's word
declarations); they are not
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
    """What must stay identical: every cell configuration, and every port bit, offset
    and the latency of the I/O map. (Not the map's ``signed``/``widths`` declarations,
    which issue 8 made complete for every compile path: they describe words, not the
    layout.)"""
    import json

    io = bs.iomap
    doc = {"inputs": {w: [list(pb.to_json()) for pb in bits] for w, bits in io.inputs.items()},
           "outputs": {w: [list(pb.to_json()) for pb in bits]
                       for w, bits in io.outputs.items()},
           "latency": io.latency}
    return bs.configs.astype("<u8").tobytes() + json.dumps(doc, sort_keys=True).encode()


def _example(name: str, macros: bool = True) -> Callable[[], Bitstream]:
    return lambda: compile_program(EXAMPLES[name](), name=name, macros=macros).bitstream


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
    # adder8 now compiles to the ripple adder (compiler/macros/adder.py, a new
    # algorithm); its general-flow layout is what stays pinned
    "adder8": _example("adder8", macros=False),
    # likewise table16 now compiles to the table gather (compiler/macros/table.py)
    "table16": _example("table16", macros=False),
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
    # recorded by running this module (this digest) on an export of commit 44bb5da
    # (``git archive 44bb5da``), i.e. the code before the issue-7 restructuring
    "adder8": "1602cb770cf4056389cce5e65e0a76ad0dccc675a592c65def44ae96d4994d42",
    "table16": "349cdddfa41c5d5d694f870ce9303a8507d802d3964bd5b63348e13d33417ff4",
    "running_sum": "ddd874535154fd0a9fdfb164b00c1ae9dd4479b82c7c7fc231fae6d2ee0f9560",
    "mul4x4": "dc6335f2ef49aa4af4217b7653591ceb3afaf2c772db3ad545d39d95cf592a45",
    "linear4x4": "766efe1dfa1fd97ef683bddb41b095a5b5d6fc57989c82804211423145d366a0",
    "mul3_general": "59034e3bbd9c221fe7e2e689e3c5467023c5c69194976c1edb338398e00c7f8d",
    "mul4_general": "6adbd05ced648fe14da030ba3e016b8893efb3090cc8eae085dc05672ab00ade",
    "adder8_fixed24": "e1987e3090a477f8cf211abd436e050efbb0790b088b0def4bcab4b6b0ce5db7",
    "random0_8": "30de29c03caf27278546c8c76eadf2765b304155774c3b9349f35c2f81c8175f",
    "random4_16": "850ec57a632a15d3db8cbdca35a893236f720af8fcb54b4b50a6e4524e58bb72",
    "random5_40": "45cb10ea4e0057350ce90d7f47d4828485bcd18bebf5058837eea76a7457e3a3",
    "random6_80": "269ccbc50447ee36668599f4ea7f71a0ce732befe518c98d44f215d47c3d681c",
    "random7_60": "fa2429f9d8509b1121e37e2112da9cb10598217342cc4db985f7977c1a03375d",
    "random11_fixed12": "6b72a176c25219f9157c0bb409bb9a38e8c603f86796445badb7fdc8c801060f",
    "random12_fixed6": "8bb222cc362fc42e44c5c978841fe312246dbb3ef295e3a71d93918fa9f8c5f3",
    "random13_fixed10": "4b98b276fe83887a673e86ce7e0e0c699ab2c0ab1df1852ab28a05c3c0cdd0e1",
    "mul4_general_relax": "3da7dcb974c9917e0536a419e9d3f7f32cba5eb95742f907367514577d7ef98c",
    "random7_60_relax": "017948c073db7151a6a6ebcd636c33294f2c29cc3c97b1745a8932cf2150da4b",
    "random11_fixed12_relax": "d677ccdb808452af257089e21e5d096130be7d47aec256fd9eaa79b0fc82fcb0",
}


def digest(name: str) -> str:
    """SHA-256 (hex) of program ``name``'s cells and I/O-map ports (:func:`_bytes`)."""
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
