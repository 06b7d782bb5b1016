"""A real headless browser to check generated HTML: find Chromium, dump the DOM, take a screenshot.

Used by the report's test (tests_py/test_report.py) to prove that the portfolio review renders in a
browser, offline. Debian's package is `chromium` (`make test` installs it); set KAM_CHROMIUM to use
another binary (google-chrome, chromium-browser, ...).

Every run gets a fresh, throw-away profile and every background service off, so nothing is read from
or written to the user's own browser profile and nothing is fetched from the network: the page must
be self-contained. `png_summary` decodes the screenshot without Pillow (zlib and numpy) to tell a
real rendering from a blank page.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "run `make test` (it installs Debian's chromium), or `apt-get install chromium`, or set "
    "KAM_CHROMIUM to a Chrome/Chromium binary"
)

# Headless, no sandbox (containers run as root), no GPU, and nothing that talks to the network on
# its own. Any host name resolves to nothing, so a page that needs the network renders broken.
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


class BrowserError(Exception):
    """Chromium is missing or failed; the message says what to do."""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary: KAM_CHROMIUM, else the first of CANDIDATES on PATH."""
    if explicit := os.environ.get("KAM_CHROMIUM"):
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise BrowserError(f"no headless browser found: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="kam-chromium-") as profile:
        cmd = [binary, *BASE_FLAGS, f"--user-data-dir={profile}", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(
                f"{Path(binary).name} did not finish within {timeout:.0f} s"
            ) from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise BrowserError(
            f"{Path(binary).name} failed (exit code {proc.returncode}): " + " | ".join(tail)
        )
    return proc


def dump_dom(page: Path, timeout: float = 120) -> str:
    """The DOM of `page` (a local HTML file) after Chromium has loaded and laid it out."""
    proc = _run(["--dump-dom", Path(page).resolve().as_uri()], timeout)
    return proc.stdout.decode("utf-8", "replace")


def screenshot(
    page: Path, png: Path, width: int = 1400, height: int = 4000, timeout: float = 120
) -> Path:
    """Render `page` in a width x height window and write a PNG screenshot to `png`."""
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    _run(
        [f"--window-size={width},{height}", f"--screenshot={png}", Path(page).resolve().as_uri()],
        timeout,
    )
    if not png.is_file():
        raise BrowserError(f"the browser wrote no screenshot at {png}")
    return png


# --- PNG check without Pillow --------------------------------------------------------------------


@dataclass(frozen=True)
class PngSummary:
    width: int
    height: int
    distinct_colours: int  # distinct RGB values over the whole image
    non_background_share: float  # share of pixels that differ from the most common colour


_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # greyscale, RGB, grey+alpha, RGBA (palette: 1 index)


def _unfilter_sequential(ftype: int, line: list[int], prev: list[int], bpp: int) -> list[int]:
    cur = [0] * len(line)
    for i, x in enumerate(line):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        if ftype == 3:
            cur[i] = (x + ((a + b) >> 1)) & 0xFF
            continue
        c = prev[i - bpp] if i >= bpp else 0
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        cur[i] = (x + pred) & 0xFF
    return cur


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> np.ndarray:
    """Undo the PNG scanline filters (8-bit samples): height x (width * bpp) uint8."""
    stride = width * bpp
    data = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype, line = int(data[y, 0]), data[y, 1:].astype(np.int32)
        if ftype == 0:  # None
            cur = line
        elif ftype == 1:  # Sub: a running sum per channel
            cur = np.cumsum(line.reshape(width, bpp), axis=0).reshape(stride) % 256
        elif ftype == 2:  # Up
            cur = (line + prev) % 256
        else:  # Average, Paeth: depend on the left neighbour, byte by byte (plain ints are
            # much faster than numpy on one pixel at a time)
            cur = np.array(_unfilter_sequential(ftype, line.tolist(), prev.tolist(), bpp))
        out[y] = cur
        prev = cur
    return out.astype(np.uint8)


def png_summary(path: Path) -> PngSummary:
    """Size, number of distinct colours and non-background share of an 8-bit PNG."""
    blob = Path(path).read_bytes()
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(blob):
        (length,) = struct.unpack(">I", blob[pos : pos + 4])
        kind, body = blob[pos + 4 : pos + 8], blob[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    if header is None:
        raise ValueError(f"{path} has no PNG header")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or interlace or colour_type not in (*_CHANNELS, 3):
        raise ValueError(f"{path}: only 8-bit, non-interlaced PNGs are supported")
    bpp = _CHANNELS.get(colour_type, 1)
    pixels = _unfilter(zlib.decompress(b"".join(idat)), width, height, bpp)
    pixels = pixels.reshape(height * width, bpp)
    rgb = pixels[:, : 3 if bpp >= 3 else 1].astype(np.uint32)
    keys = rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2] if rgb.shape[1] == 3 else rgb[:, 0]
    values, counts = np.unique(keys, return_counts=True)
    background = int(counts.max()) if counts.size else 0
    total = width * height
    return PngSummary(width, height, int(values.size), 1 - background / total if total else 0.0)
