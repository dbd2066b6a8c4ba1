"""Markdown pages (content/pages/*.md with YAML front matter) and the whole validated Site.

`load_site` is what `affsite check` runs and what a build starts with: site.yaml, every category and every page,
with every problem in every file collected into one ConfigError.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import markdown
from markdown.treeprocessors import Treeprocessor
from pydantic import Field, model_validator

from .config import SLUG_RE, CategoryConfig, Config, LanguageTag, _Model, load_config, validate_document
from .errors import ConfigError, Problem
from .textfile import read_utf8
from .yamlsource import YamlDocument, parse_yaml

if TYPE_CHECKING:
    from .guides import Guide

# URL segments the site itself uses; a page or category with one of these names would collide with them.
RESERVED_SLUGS = frozenset(
    {"p", "api", "go", "assets", "newsletter", "page", "feed", "sitemap", "robots", "404", "guides"}
)

# Pages that count as legal pages when their front matter does not say `legal:`: sites written before the flag
# existed keep their footer and header menu as they were.
LEGAL_BY_NAME = frozenset({"disclosure", "privacy", "impressum"})

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)


class PageMeta(_Model):
    slug: str = Field(exclude=True)
    title: str = Field(min_length=1, max_length=80)
    """The page's heading and title."""
    description: str = Field(default="", max_length=300)
    """The meta description search engines show."""
    nav_order: int | None = None
    """Position in the navigation; leave it out to keep the page out of the navigation."""
    legal: bool = False
    """A legal page (affiliate disclosure, privacy policy, Impressum): linked from every page's footer before the
    other pages, never in the header's menu. Default: true for the pages named disclosure, privacy and impressum."""
    lang: LanguageTag | None = None
    """The page's language: it is published by the site or the editions in that language (`de` or `de-DE` both match
    a `de-DE` edition); left out, the site's language (the edition served at /). A file `privacy.de.md` is the
    German variant of `privacy.md`: the same URL (`/privacy/`, `/de/privacy/`), `lang: de` unless it says."""

    @model_validator(mode="before")
    @classmethod
    def _legal_by_name(cls, data: object) -> object:
        if isinstance(data, dict) and "legal" not in data:
            return {**data, "legal": data.get("slug") in LEGAL_BY_NAME}
        return data


@dataclass(frozen=True)
class Page:
    meta: PageMeta
    html: str
    source: str  # the file it came from, for error messages

    @property
    def slug(self) -> str:
        return self.meta.slug


@dataclass(frozen=True)
class Site:
    config: Config
    pages: list[Page]
    intros: dict[str, str]  # category slug -> intro HTML
    guides: list[Guide] = field(default_factory=list)  # newest first (guides.py)

    @property
    def categories(self) -> list[CategoryConfig]:
        return self.config.categories


class _SafeLinks(Treeprocessor):
    """Drop link and image targets with a scheme other than http(s) or mailto (javascript:, data:, vbscript:...)."""

    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not _is_safe_target(value):
                    element.set(attribute, "#")


def _is_safe_target(url: str) -> bool:
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:"), so compare without them.
    compact = "".join(ch for ch in url if ch > " ").lower()
    scheme, colon, _ = compact.partition(":")
    if not colon or "/" in scheme or "?" in scheme or "#" in scheme:
        return True  # relative: /about/, #top, page?x=1
    return scheme in ("http", "https", "mailto")


def render_markdown(text: str) -> str:
    """Markdown to HTML with raw HTML escaped and script links removed: nothing an editor pastes can inject code."""
    md = _converter()
    try:
        return md.convert(text)
    finally:
        md.reset()


_converters = threading.local()


def _converter() -> markdown.Markdown:
    # One converter per thread, reused: setting one up costs more than converting a page (6 ms against 1 ms).
    md: markdown.Markdown | None = getattr(_converters, "md", None)
    if md is None:
        md = markdown.Markdown(extensions=["sane_lists", "smarty"], output_format="html")
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
        _converters.md = md
    return md


def load_site(root: Path, *, drafts: bool = False) -> Site:
    """Load and validate everything under `root`. Raises ConfigError listing every problem in every file.

    `drafts`: include guides marked `draft: true` (the preview does; a build does not)."""
    from .guides import check_guides, load_guides

    problems: list[Problem] = []
    config: Config | None = None
    try:
        config = load_config(root)
    except ConfigError as exc:
        problems.extend(exc.problems)

    pages = _load_pages(root, problems)
    guides = load_guides(root, problems, drafts=drafts)
    if config is not None:
        categories = {c.slug: c.source for c in config.categories}
        problems.extend(check_guides(guides, categories, {p.slug: p.source for p in pages}))
        for category in config.categories:
            if category.slug in RESERVED_SLUGS:
                problems.append(
                    Problem(
                        category.source,
                        None,
                        f"'{category.slug}' is a name the site uses itself; rename the file",
                    )
                )
        page_slugs = {p.slug: p.source for p in pages}
        for category in config.categories:
            if category.slug in page_slugs:
                problems.append(
                    Problem(
                        page_slugs[category.slug],
                        None,
                        f"has the same URL /{category.slug}/ as {category.source}; rename one",
                    )
                )
        if config.site.editions or any(c.editions for c in config.categories):
            from .editions import check_editions

            problems.extend(check_editions(root, config, {p.slug: p.source for p in pages}))
    if problems or config is None:
        raise ConfigError(problems)
    intros = {c.slug: render_markdown(c.intro) for c in config.categories if c.intro}
    if not config.site.editions:  # with editions, each edition chooses its own (editions.site_for)
        pages = pages_in_language(pages, config.site.lang, config.site.lang)
    return Site(config=config, pages=pages, intros=intros, guides=guides)


# `privacy.de.md`, `impressum.de-AT.md`: a page's variant in a language.
_LANGUAGE_VARIANT = re.compile(r"^(?P<slug>[a-z0-9-]+)\.(?P<lang>[a-z]{2,3}(?:-[A-Z]{2})?)$")


def language_matches(wanted: str, target: str) -> bool:
    """Whether a text in language `wanted` suits a site in `target`: `de` suits `de-DE` and `de-AT`, `de-AT` only
    `de-AT`."""
    wanted, target = wanted.lower(), target.lower()
    return target == wanted or ("-" not in wanted and target.split("-")[0] == wanted)


def pages_in_language(pages: list[Page], lang: str, default_lang: str) -> list[Page]:
    """The pages a site (or an edition) in `lang` publishes, in their order: for each name, its variant in `lang`,
    else the page without a language (written in `default_lang`, the site's), else none. A page of another
    language is left out, unless it is the only one of its name that can stand in (the footer links the legal
    pages on every edition: an English privacy policy beats a missing one)."""
    chosen: dict[str, Page] = {}
    for page in pages:
        if language_matches(page.meta.lang or default_lang, lang):
            current = chosen.get(page.slug)
            if current is None or (current.meta.lang is None and page.meta.lang is not None):
                chosen[page.slug] = page  # the page's own variant in this language beats the default one
    for page in pages:
        if page.meta.lang is None:
            chosen.setdefault(page.slug, page)
    return [p for p in pages if chosen.get(p.slug) is p]


def _load_pages(root: Path, problems: list[Problem]) -> list[Page]:
    pages: list[Page] = []
    for path in sorted((root / "content" / "pages").glob("*.md")):
        display = path.relative_to(root).as_posix()
        variant = _LANGUAGE_VARIANT.match(path.stem)
        slug, variant_lang = (variant["slug"], variant["lang"]) if variant else (path.stem, None)
        if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
            problems.append(
                Problem(
                    display,
                    None,
                    "the file name must be lower-case letters, digits and dashes, and not a name the site uses itself",
                )
            )
            continue
        try:
            text = read_utf8(path, display)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        match = FRONT_MATTER.match(text)
        if match is None:
            problems.append(Problem(display, 1, "must start with front matter: a line '---', title: ..., and '---'"))
            continue
        doc: YamlDocument = parse_yaml(match.group(1), display, first_line=2)
        meta = validate_document(doc, PageMeta, {"slug": slug}, problems)
        if meta is not None and variant_lang is not None:
            if meta.lang is None:
                meta = meta.model_copy(update={"lang": variant_lang})
            elif meta.lang != variant_lang:
                line = doc.line_of(("lang",))
                problems.append(Problem(display, line, f"lang: {meta.lang}, but the file name says {variant_lang}"))
                continue
        if meta is not None:
            pages.append(Page(meta=meta, html=render_markdown(text[match.end() :]), source=display))
    return sorted(pages, key=lambda p: (p.meta.nav_order if p.meta.nav_order is not None else 10**6, p.slug))
