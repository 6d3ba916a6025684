"""The logical bitstream and its file format (DESIGN.md §2, docs/ARCHITECTURE.md §6).

A bitstream is the H x W array of 64-bit cell configurations of the *logical*
fabric, row-major, plus the program's I/O map. It never mentions defects: the same
bitstream runs unchanged on every tolerable defect map.

File layout (all integers little-endian)::

    offset  size  field
    0       8     magic b"LUTGRID\\x00"
    8       2     format version (u16, currently 1)
    10      4     W, logical columns (u32)
    14      4     H, rows (u32)
    18      8     payload length in bytes (u64)
    26      32    SHA-256 of the payload
    58      ...   payload: H*W u64 configurations, row-major, then the I/O map as
                  UTF-8 JSON (empty when the bitstream has none)

A file that is truncated, has trailing bytes, a wrong magic, version, size or
checksum, or an I/O map that breaks :meth:`fabric.iomap.IOMap.validate` (names,
widths, port bits, offsets and latency bounded by the fabric, JSON nesting) is
refused with :class:`BitstreamError` naming the field; nothing is half-loaded, and
no file makes the loader allocate more than its own size or recurse.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fabric.iomap import IOMap, IOMapError

MAGIC = b"LUTGRID\x00"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sHIIQ32s")
HEADER_BYTES = _HEADER.size
#: Guards against absurd sizes in a corrupt header before any allocation.
MAX_CELLS = 1 << 26
#: The largest I/O map JSON a file may carry, in bytes (a compiled 16x16 matvec needs
#: a few kB); together with MAX_CELLS it bounds the file size read into memory.
MAX_IOMAP_BYTES = 1 << 24
MAX_FILE_BYTES = 58 + 8 * MAX_CELLS + MAX_IOMAP_BYTES


class BitstreamError(ValueError):
    """A bitstream that cannot be built, written or loaded; the message says why."""


def _umask() -> int:
    """The process's file-creation mask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_write_bytes(path: str | os.PathLike[str], data: bytes) -> str:
    """Write ``data`` to a new temporary file beside ``path`` and return its name; its
    mode is what a plain ``open(path, "w")`` would give (0666 less the umask), not
    ``mkstemp``'s 0600. The caller renames it into place (or removes it)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and an
    atomic rename, so that a reader never sees a half-written file (mode: 0666 less
    the umask)."""
    tmp = temp_write_bytes(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Bitstream:
    """Logical configuration of a W x H fabric plus its I/O map.

    ``configs`` is a ``uint64`` array of shape ``(H, W)``: ``configs[y, x]`` is the
    64-bit configuration of logical cell (x, y).
    """

    configs: np.ndarray
    iomap: IOMap | None = None

    def __post_init__(self) -> None:
        cfg = np.asarray(self.configs)
        if cfg.ndim != 2 or 0 in cfg.shape:
            raise BitstreamError(f"configs must be a non-empty (H, W) array, got shape "
                                 f"{cfg.shape}")
        if cfg.dtype != np.uint64:
            raise BitstreamError(f"configs must be uint64, got {cfg.dtype}")
        if cfg.size > MAX_CELLS:
            raise BitstreamError(f"{cfg.size} cells exceed the format's limit of {MAX_CELLS}")
        cfg = np.ascontiguousarray(cfg)
        cfg.setflags(write=False)
        object.__setattr__(self, "configs", cfg)
        if self.iomap is not None:
            try:
                self.iomap.validate(self.width, self.height)
            except IOMapError as exc:
                raise BitstreamError(f"I/O map does not fit the bitstream: {exc}") from exc

    @property
    def width(self) -> int:
        """Logical columns W."""
        return int(self.configs.shape[1])

    @property
    def height(self) -> int:
        """Rows H."""
        return int(self.configs.shape[0])

    def to_bytes(self) -> bytes:
        """The file image (deterministic: same bitstream, same bytes)."""
        payload = self.configs.astype("<u8").tobytes()
        if self.iomap is not None:
            payload += self.iomap.to_json().encode("utf-8")
        digest = hashlib.sha256(payload).digest()
        header = _HEADER.pack(MAGIC, FORMAT_VERSION, self.width, self.height, len(payload),
                              digest)
        return header + payload

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the file atomically (temporary file, then rename)."""
        atomic_write_bytes(path, self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "bitstream") -> Bitstream:
        """Parse a file image; raise :class:`BitstreamError` naming the first problem."""
        if len(data) < HEADER_BYTES:
            raise BitstreamError(f"{source}: truncated: {len(data)} bytes, the header alone "
                                 f"is {HEADER_BYTES}")
        magic, version, width, height, length, digest = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise BitstreamError(f"{source}: not a lutgrid bitstream (magic {magic!r}, "
                                 f"expected {MAGIC!r})")
        if version != FORMAT_VERSION:
            raise BitstreamError(f"{source}: format version {version} is not supported "
                                 f"(this lutgrid reads version {FORMAT_VERSION})")
        if width == 0 or height == 0 or width * height > MAX_CELLS:
            raise BitstreamError(f"{source}: implausible fabric size {width}x{height}")
        payload = data[HEADER_BYTES:]
        if length > 8 * width * height + MAX_IOMAP_BYTES:
            raise BitstreamError(f"{source}: payload length {length} exceeds the "
                                 f"{8 * width * height}-byte configuration plus a "
                                 f"{MAX_IOMAP_BYTES}-byte I/O map")
        if len(payload) != length:
            what = "truncated" if len(payload) < length else "has trailing bytes"
            raise BitstreamError(f"{source}: {what}: payload is {len(payload)} bytes, header "
                                 f"says {length}")
        if hashlib.sha256(payload).digest() != digest:
            raise BitstreamError(f"{source}: checksum mismatch: the payload is corrupt")
        cfg_bytes = 8 * width * height
        if length < cfg_bytes:
            raise BitstreamError(f"{source}: payload of {length} bytes is too short for "
                                 f"{width}x{height} configurations ({cfg_bytes} bytes)")
        configs = np.frombuffer(payload, dtype="<u8", count=width * height)
        configs = configs.astype(np.uint64).reshape(height, width)
        iomap = None
        if length > cfg_bytes:
            try:
                iomap = IOMap.from_json(payload[cfg_bytes:])
            except IOMapError as exc:
                raise BitstreamError(f"{source}: bad I/O map: {exc}") from exc
        try:
            return cls(configs, iomap)
        except BitstreamError as exc:
            raise BitstreamError(f"{source}: {exc}") from exc

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Bitstream:
        """Read and check a bitstream file."""
        try:
            st = os.stat(path)  # before opening: opening a FIFO would block
            if not stat.S_ISREG(st.st_mode):
                raise BitstreamError(f"{path}: not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                raise BitstreamError(f"{path}: {st.st_size} bytes is larger than any "
                                     f"bitstream ({MAX_FILE_BYTES} bytes at most)")
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise BitstreamError(f"cannot read bitstream {path}: {exc.strerror}") from exc
        return cls.from_bytes(data, source=str(path))

    def check_fabric(self, width: int, height: int) -> None:
        """Raise :class:`BitstreamError` if this bitstream is not for a ``width`` x
        ``height`` logical fabric."""
        if (width, height) != (self.width, self.height):
            raise BitstreamError(f"bitstream is for a {self.width}x{self.height} fabric, "
                                 f"not {width}x{height}")
