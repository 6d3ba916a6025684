"""Load-time validation of the I/O map: every hostile field is refused by name, fast."""

from __future__ import annotations

import json
import time

import pytest

from fabric.bitstream import Bitstream, BitstreamError
from fabric.examples import ripple_adder
from fabric.iomap import MAX_JSON_DEPTH, MAX_WORD_BITS, IOMap, IOMapError, PortBit, json_depth
from fabric.mangle import seal


def _intact() -> bytes:
    ex = ripple_adder(4)
    return Bitstream(ex.configs, ex.iomap).to_bytes()


def _doc() -> dict:
    data = _intact()
    return json.loads(data[58 + 8 * 64:])


def _with_map(text: str | bytes) -> bytes:
    """The adder's file with its I/O map replaced by ``text`` and the header re-sealed."""
    data = _intact()
    raw = text.encode() if isinstance(text, str) else text
    return seal(data, data[58:58 + 8 * 64] + raw)


def _refused(text: str | bytes, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(BitstreamError, match=message) as info:
        Bitstream.from_bytes(_with_map(text), source="x.lgb")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("x.lgb: ")
    assert time.perf_counter() - start < 1.0  # refused, not allocated or looped over


def test_the_intact_map_loads() -> None:
    doc = _doc()
    bs = Bitstream.from_bytes(_with_map(json.dumps(doc)))
    assert bs.iomap == ripple_adder(4).iomap


@pytest.mark.parametrize("latency", [10**9, 10**6, 2**62])
def test_absurd_latency_is_refused_fast(latency: int) -> None:
    doc = _doc()
    doc["latency"] = latency
    doc["outputs"]["s"][-1][2] = latency
    _refused(json.dumps(doc), r"latency|offset")


def test_absurd_input_offset_is_refused() -> None:
    doc = _doc()
    doc["inputs"]["a"][0][2] = 5000
    _refused(json.dumps(doc), r"input word 'a' bit 0: cycle offset 5000 exceeds 256")


def test_deep_nesting_is_refused_without_recursion() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    _refused('{"inputs": ' + deep + ', "outputs": {}, "latency": 0}',
             f"nested 100001 levels deep; the format has {MAX_JSON_DEPTH}")


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"a[[[{{": [1, "]]]"]}') == 2
    assert json_depth(b'{"a\\"[[[": []}') == 2


def test_huge_integers_are_refused() -> None:
    _refused('{"inputs": {"a": [["west_in", 0, ' + "9" * 5000 + ']]}, "outputs": {}, '
             '"latency": 0}', r"unreadable|integers up to")
    _refused('{"inputs": {"a": [["west_in", 0, ' + "9" * 30 + ']]}, "outputs": {}, '
             '"latency": 0}', r"input.* word 'a' bit 0: expected \[port, index, offset\]")


def test_empty_word_is_refused() -> None:
    doc = _doc()
    doc["inputs"]["cin"] = []
    _refused(json.dumps(doc), r"input word 'cin' has no bits")


def test_map_without_inputs_is_refused() -> None:
    doc = _doc()
    doc["inputs"] = {}
    _refused(json.dumps(doc), r"no input words")


def test_duplicated_and_overlapping_port_bits_are_refused() -> None:
    doc = _doc()
    doc["inputs"]["a"].append(doc["inputs"]["a"][0])
    _refused(json.dumps(doc), r"input word 'a' bit 4: north_in\[0\] already carries "
                              r"input word 'a' bit 0")
    doc = _doc()
    doc["inputs"]["cin"][0] = ["south_in", 2, 7]   # b's bit 2 is on south_in[2]
    _refused(json.dumps(doc), r"south_in\[2\] already carries")


def test_ports_outside_the_fabric_are_refused() -> None:
    doc = _doc()
    doc["outputs"]["s"][0][1] = 8
    _refused(json.dumps(doc), r"output word 's' bit 0: north_out\[8\] is outside the 8-bit bus")
    doc = _doc()
    doc["outputs"]["s"][0][0] = "up_out"
    _refused(json.dumps(doc), r"port 'up_out' is not an output port")


def test_repeated_keys_and_unknown_fields_are_refused() -> None:
    text = json.dumps(_doc())
    _refused('{"latency": 0, ' + text[1:], r"names 'latency' twice")
    doc = _doc()
    doc["extra"] = 1
    _refused(json.dumps(doc), r"unknown field\(s\) 'extra'")


def test_word_names_and_widths_are_bounded() -> None:
    doc = _doc()
    doc["inputs"]["a b"] = doc["inputs"].pop("a")
    _refused(json.dumps(doc), r"input word name 'a b' is not 1..128 printable")
    bits = [[("west_in", "east_in", "north_in", "south_in")[i % 4], i // 4, 0]
            for i in range(MAX_WORD_BITS + 1)]
    too_wide = {"inputs": {"w": bits}, "outputs": {}, "latency": 0}
    with pytest.raises(IOMapError, match=f"has {MAX_WORD_BITS + 1} bits, more than the "
                                         f"{MAX_WORD_BITS}"):
        IOMap.from_json(json.dumps(too_wide)).validate(64, 64)


def test_not_utf8_is_refused() -> None:
    _refused(b'{"inputs": "\xff"}', r"not UTF-8")


def test_validate_names_the_latency_limit() -> None:
    iomap = IOMap({"a": (PortBit("west_in", 0, 0),)}, {"y": (PortBit("east_out", 0, 17),)}, 17)
    iomap.validate(3, 2)  # 4 * 3 * 2 = 24 registers
    with pytest.raises(IOMapError, match=r"latency 17 is outside 0..16 cycles, the limit for "
                                         r"a 2x2 fabric"):
        iomap.validate(2, 2)


def test_load_refuses_what_is_not_a_regular_file(tmp_path) -> None:
    with pytest.raises(BitstreamError, match="cannot read bitstream|not a regular file"):
        Bitstream.load(tmp_path)
    fifo = tmp_path / "pipe.lgb"
    import os

    os.mkfifo(fifo)
    with pytest.raises(BitstreamError, match="not a regular file"):
        Bitstream.load(fifo)  # would block forever if it were opened


def test_oversized_payload_length_is_refused_before_reading() -> None:
    data = bytearray(_intact())
    data[18:26] = (1 << 40).to_bytes(8, "little")
    with pytest.raises(BitstreamError, match="payload length 1099511627776 exceeds"):
        Bitstream.from_bytes(bytes(data))
