"""Errors a user can cause, worded so that a non-programmer can act on them.

A traceback means a bug in affsite; everything a user can get wrong ends up as one of these, printed by the CLI
as plain lines and turned into an exit code (0 ok, 1 build failed, 2 bad input or usage).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one file: `content/categories/cameras.yaml:12: max_price: 'cheap' is not a number`."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class AffsiteError(Exception):
    """Base of every error meant for the user; `exit_code` says how the CLI ends."""

    exit_code = EXIT_BUILD_FAILED

    def lines(self) -> list[str]:
        return [str(self)]


class ConfigError(AffsiteError):
    """The content (site.yaml, categories, pages) has mistakes; carries all of them at once."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
        super().__init__(f"{len(self.problems)} problem(s) in the content")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(AffsiteError):
    """The command was asked for something it cannot do as given (e.g. --live without credentials)."""

    exit_code = EXIT_BAD_INPUT


class BuildError(AffsiteError):
    """The build ran but could not produce a site worth publishing; the previous output/ is left as it was."""

    exit_code = EXIT_BUILD_FAILED
