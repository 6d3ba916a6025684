"""Bitstream file format: round trip, determinism, and every refusal."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabric.bitstream import HEADER_BYTES, Bitstream, BitstreamError
from fabric.iomap import IOMap, IOMapError, PortBit


def _iomap() -> IOMap:
    return IOMap(
        inputs={"a": (PortBit("west_in", 0, 0), PortBit("west_in", 1, 1)),
                "first": (PortBit("north_in", 2, 0),)},
        outputs={"y": (PortBit("east_out", 0, 5), PortBit("east_out", 1, 6))},
        latency=6,
        signed=frozenset({"y"}),
    )


def _random(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**64, size=(height, width), dtype=np.uint64)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32), st.booleans())
def test_round_trip(width: int, height: int, seed: int, with_map: bool) -> None:
    iomap = _iomap() if with_map and width >= 3 and height >= 2 else None
    bs = Bitstream(_random(width, height, seed), iomap)
    back = Bitstream.from_bytes(bs.to_bytes())
    assert back.configs.dtype == np.uint64
    assert np.array_equal(back.configs, bs.configs)
    assert back.iomap == bs.iomap
    assert back.to_bytes() == bs.to_bytes()


def test_save_load_file(tmp_path) -> None:
    bs = Bitstream(_random(5, 4, 1), _iomap())
    path = tmp_path / "p.lgb"
    bs.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.lgb"]  # no temp file left
    loaded = Bitstream.load(path)
    assert np.array_equal(loaded.configs, bs.configs) and loaded.iomap == bs.iomap


def test_header_fields() -> None:
    data = Bitstream(_random(3, 2, 0)).to_bytes()
    magic, version, w, h, length = struct.unpack_from("<8sHIIQ", data)
    assert (magic, version, w, h, length) == (b"LUTGRID\x00", 1, 3, 2, 48)
    assert len(data) == HEADER_BYTES + 48


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d[:10], "truncated"),
        (lambda d: d[:-3], "truncated"),
        (lambda d: d + b"xx", "trailing bytes"),
        (lambda d: b"NOTLUTG\x00" + d[8:], "not a lutgrid bitstream"),
        (lambda d: d[:8] + struct.pack("<H", 9) + d[10:], "version 9"),
        (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "checksum"),
        (lambda d: d[:10] + struct.pack("<I", 0) + d[14:], "implausible"),
    ],
)
def test_corrupt_files_are_refused(mutate, message, tmp_path) -> None:
    data = Bitstream(_random(3, 2, 0), None).to_bytes()
    path = tmp_path / "bad.lgb"
    path.write_bytes(mutate(data))
    with pytest.raises(BitstreamError, match=message):
        Bitstream.load(path)


def test_wrong_size_header_is_refused() -> None:
    # A consistent checksum but W x H that disagrees with the payload.
    data = bytearray(Bitstream(_random(2, 2, 0)).to_bytes())
    struct.pack_into("<I", data, 10, 5)
    with pytest.raises(BitstreamError, match="too short"):
        Bitstream.from_bytes(bytes(data))


def test_missing_file() -> None:
    with pytest.raises(BitstreamError, match="cannot read"):
        Bitstream.load("/nonexistent/x.lgb")


def test_check_fabric() -> None:
    bs = Bitstream(_random(3, 2, 0))
    bs.check_fabric(3, 2)
    with pytest.raises(BitstreamError, match="3x2 fabric, not 4x4"):
        bs.check_fabric(4, 4)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 2), dtype=np.int64), "uint64"),
    (np.zeros((4,), dtype=np.uint64), r"\(H, W\)"),
    (np.zeros((0, 3), dtype=np.uint64), r"\(H, W\)"),
])
def test_bad_configs(bad, message) -> None:
    with pytest.raises(BitstreamError, match=message):
        Bitstream(bad)


def test_iomap_must_fit() -> None:
    with pytest.raises(BitstreamError, match=r"north_out\[1\] is outside the 1-bit bus"):
        Bitstream(np.zeros((2, 1), dtype=np.uint64),
                  IOMap({}, {"y": (PortBit("north_out", 1, 0),)}, 0))


def test_iomap_errors() -> None:
    with pytest.raises(IOMapError, match="not an input port"):
        IOMap({"a": (PortBit("east_out", 0, 0),)}, {}, 0).validate(2, 2)
    with pytest.raises(IOMapError, match="already carries"):
        IOMap({"a": (PortBit("west_in", 0, 0), PortBit("west_in", 0, 3))}, {}, 0).validate(2, 2)
    with pytest.raises(IOMapError, match="latency 2 differs"):
        IOMap({}, {"y": (PortBit("east_out", 0, 3),)}, 2).validate(2, 2)
    with pytest.raises(IOMapError, match="negative"):
        IOMap({"a": (PortBit("west_in", 0, -1),)}, {}, 0).validate(2, 2)
    with pytest.raises(IOMapError, match="lacks field"):
        IOMap.from_json('{"inputs": {}}')
    with pytest.raises(IOMapError, match="expected"):
        IOMap.from_json('{"inputs": {"a": [["west_in", 0]]}, "outputs": {}, "latency": 0}')
