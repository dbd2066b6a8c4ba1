"""The part of Netlify's `_redirects` format that the build writes, so that `affsite serve` answers as Netlify does.

A line is `FROM  TO  STATUS` (blank lines and `#` comments ignored). FROM is a path, or a prefix ending in `/*`;
trailing slashes do not matter (Netlify normalises them). A rule without `!` after its status does not hide a file that
exists: it applies only where the site has no file, which is the only way the build uses it (410 for ended listings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Rule:
    source: str
    target: str
    status: int


def parse_redirects(text: str) -> list[Rule]:
    rules = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 3 and parts[2].isdigit():
            rules.append(Rule(parts[0], parts[1], int(parts[2])))
        elif len(parts) == 2:
            rules.append(Rule(parts[0], parts[1], 301))  # Netlify's default status
    return rules


def read_redirects(output_dir: Path) -> list[Rule]:
    try:
        return parse_redirects((output_dir / "_redirects").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def match(rules: list[Rule], path: str) -> Rule | None:
    """The first rule whose source matches `path`."""
    wanted = path.rstrip("/") or "/"
    for rule in rules:
        if rule.source.endswith("/*"):
            prefix = rule.source[:-2]
            if wanted == prefix or wanted.startswith(prefix + "/"):
                return rule
        elif (rule.source.rstrip("/") or "/") == wanted:
            return rule
    return None
