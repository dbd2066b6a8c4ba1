"""Reading the text files an editor saves (YAML, Markdown, templates) as UTF-8, with a mistake that says where.

An editor that saves in Latin-1 or Windows-1252 puts a byte like 0xE9 (é) in the file; Python's own message for it
("'utf-8' codec can't decode byte 0xe9 in position 148") names neither the line nor what to do.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError, Problem


def read_utf8(path: Path, display: str) -> str:
    """The text of `path`; ConfigError naming `display` and the line of the first byte that is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem(display, None, f"cannot be read: {exc.strerror or exc}")]) from None
    return decode_utf8(data, display)


def decode_utf8(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([not_utf8(data, exc, display)]) from None


def not_utf8(data: bytes, exc: UnicodeDecodeError, display: str) -> Problem:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return Problem(
        display,
        line,
        f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); save the file with UTF-8 encoding",
    )
