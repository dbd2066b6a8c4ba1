"""Helpers for tests that build a copy of the repository's demo site."""

from __future__ import annotations

from pathlib import Path

from builder.newsite import category_yaml, choose_language, without_editions


def single_marketplace(root: Path, lang: str | None = None) -> None:
    """Turn a copy of the demo site (two editions) into a site for one marketplace, as `affsite new --lang` does:
    no `editions` in site.yaml nor in the categories (a test then sets `marketplace:`/`language:` itself). With a
    German `lang`, the categories take the German edition's texts, as a German site from `affsite new` does."""
    (root / "site.yaml").write_text(without_editions((root / "site.yaml").read_text(encoding="utf-8")), "utf-8")
    choice = choose_language(lang) if lang else None
    for path in sorted((root / "content" / "categories").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(category_yaml(text, choice) if choice else without_editions(text), encoding="utf-8")
