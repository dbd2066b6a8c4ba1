"""Helpers for tests that build a copy of the repository's demo site."""

from __future__ import annotations

from pathlib import Path

from builder.newsite import without_editions


def single_marketplace(root: Path) -> None:
    """Turn a copy of the demo site (two editions) into a site for one marketplace, as `affsite new --lang` does:
    no `editions` in site.yaml nor in the categories (a test then sets `marketplace:`/`language:` itself)."""
    for path in [root / "site.yaml", *sorted((root / "content" / "categories").glob("*.yaml"))]:
        path.write_text(without_editions(path.read_text(encoding="utf-8")), encoding="utf-8")
