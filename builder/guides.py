"""Guides: `content/guides/<slug>.md`, Markdown articles with front matter and blocks of live listings.

A block is a fenced block whose kind names what it shows and whose body is YAML, validated like a category file
(pydantic, unknown keys refused), so a typo is `content/guides/x.md:14: max_price: 'cheap' is not a number`:

    ```product            one listing: by item id, the best match of a search, or the first of a category
    ```deals              the top listings of a search or of a category
    ```compare            2 to 6 listings or searches side by side

Loading makes no calls and needs no data; `guide_data.py` turns the blocks into requests and, once the data is
there, into listings; `guide_pages.py` renders them.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .config import (
    SLUG_RE,
    CategoryConfig,
    ItemId,
    LanguageTag,
    SearchFilters,
    _Model,
    validate_document,
)
from .errors import ConfigError, Problem
from .textfile import read_utf8
from .themes import ASSETS, SITE_TEMPLATES, Theme
from .yamlsource import YamlDocument, parse_yaml

GUIDES_DIR = Path("content") / "guides"
BLOCK_KINDS = ("product", "deals", "compare")
_FENCE = re.compile(r"^```[ \t]*(?P<kind>[^`\s]*)[ \t]*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
Slug = Annotated[str, Field(pattern=SLUG_RE.pattern)]
Line = Annotated[str, Field(min_length=1, max_length=200)]


class HeroImage(_Model):
    src: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
    """A picture in the site's own `templates/assets/` folder (`guides/keyboards.jpg`)."""
    alt: str = Field(min_length=1, max_length=200)
    """What the picture shows, for readers who cannot see it."""


class GuideMeta(_Model):
    slug: str = Field(exclude=True)
    title: str = Field(min_length=1, max_length=100)
    """The guide's heading and page title."""
    description: str = Field(default="", max_length=300)
    """The meta description search engines show, and the guide's summary in lists."""
    author: str = Field(min_length=1, max_length=80)
    published: date
    """The day the guide was first published (YYYY-MM-DD); the guides list is newest first."""
    updated: date | None = None
    """The day it was last revised, if after `published`."""
    image: HeroImage | None = None
    """The hero picture: `src` inside the site's templates/assets/, and `alt` text."""
    categories: list[Slug] = Field(default_factory=list, max_length=10)
    """Slugs of the categories whose pages link to this guide."""
    featured: bool = False
    """Linked from the home page."""
    draft: bool = False
    """Shown by `affsite serve` only; `affsite build` leaves it out."""
    lang: LanguageTag | None = None
    """On a site with editions: the guide is published in the editions of this language; left out, the language of
    the edition served at /."""

    @model_validator(mode="after")
    def _dates(self) -> GuideMeta:
        if self.updated is not None and self.updated < self.published:
            raise ValueError(f"updated ({self.updated}) is before published ({self.published})")
        return self

    @property
    def modified(self) -> date:
        return self.updated or self.published


class SearchFields(SearchFilters):
    """A Browse search, with the same filters as a category file (config.SearchFilters)."""

    @property
    def has_search(self) -> bool:
        return self.q is not None or self.category_id is not None

    def as_category(self, slug: str, source: str, items: int) -> CategoryConfig:
        """The search as a category the catalog sources know how to fetch (never shown as a category)."""
        fields = self.model_dump(include=set(SearchFields.model_fields))
        return CategoryConfig(slug=slug, source=source, title=slug, items=items, **fields)

    @staticmethod
    def _id_text(value: object) -> object:
        """`item: 338141908270` without quotes is a YAML number; an item id is text either way."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def _one_source(self, item: str | None, category: str | None, what: str) -> None:
        given = [item is not None, category is not None, self.has_search]
        if sum(given) != 1:
            raise ValueError(f"{what} needs exactly one of: {_SOURCES}")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) is more than max_price ({self.max_price})")
        search_keys = set(SearchFields.model_fields) - {"q", "category_id"}
        if not self.has_search and self.model_fields_set & search_keys:
            extra = sorted(self.model_fields_set & search_keys)[0]
            raise ValueError(f"{extra} filters a search: add q or category_id, or leave {extra} out")


_SOURCES = "item (an eBay item id), category (the slug of one of the site's categories) or q / category_id (a search)"
RowName = Literal["price", "condition", "shipping", "seller_rating", "format", "ends"]
ALL_ROWS: tuple[RowName, ...] = ("price", "condition", "shipping", "seller_rating", "format", "ends")


class ProductBox(SearchFields):
    item: ItemId | None = None
    """An eBay item id: the legacy number or `v1|<number>|0`."""
    category: Slug | None = None
    """The first listing of one of the site's categories."""
    heading: str | None = Field(default=None, max_length=120)
    verdict: str = Field(default="", max_length=300)
    """The editor's one-line verdict."""
    pros: list[Line] = Field(default_factory=list, max_length=8)
    cons: list[Line] = Field(default_factory=list, max_length=8)

    _item_text = field_validator("item", mode="before")(SearchFields._id_text)

    @model_validator(mode="after")
    def _source(self) -> ProductBox:
        self._one_source(self.item, self.category, "a product box")
        return self


class DealGrid(SearchFields):
    category: Slug | None = None
    """The top listings of one of the site's categories, in its order."""
    items: int = Field(default=4, ge=1, le=24)
    """How many listings to show."""
    heading: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _source(self) -> DealGrid:
        self._one_source(None, self.category, "a deal grid")
        return self


class Column(SearchFields):
    item: ItemId | None = None
    category: Slug | None = None
    label: str | None = Field(default=None, max_length=60)
    """The column's heading; the listing's title when left out."""

    _item_text = field_validator("item", mode="before")(SearchFields._id_text)

    @model_validator(mode="after")
    def _source(self) -> Column:
        self._one_source(self.item, self.category, "a column")
        return self


class Comparison(_Model):
    heading: str | None = Field(default=None, max_length=120)
    columns: list[Column] = Field(min_length=2, max_length=6)
    rows: list[RowName] = Field(default_factory=lambda: list(ALL_ROWS), min_length=1, max_length=6)
    """Listing fields shown as rows, in this order."""
    aspects: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list, max_length=10)
    """eBay item specifics shown as further rows (`Brand`, `Sensor Size`); listings asked for by id carry them."""


BlockSpec = ProductBox | DealGrid | Comparison
MODELS: dict[str, type[ProductBox] | type[DealGrid] | type[Comparison]] = {
    "product": ProductBox,
    "deals": DealGrid,
    "compare": Comparison,
}


@dataclass(frozen=True)
class Block:
    kind: str
    spec: BlockSpec
    number: int  # 1-based position among the guide's blocks
    line: int  # the line of its opening fence
    doc: YamlDocument  # for the line of a key

    @property
    def id(self) -> str:
        """`product1`, `deals2`: names the block in links (customid) and in build warnings."""
        return f"{self.kind}{self.number}"


@dataclass(frozen=True)
class Guide:
    meta: GuideMeta
    segments: list[str | Block]  # Markdown already rendered to HTML, and the blocks between it, in order
    source: str  # content/guides/<slug>.md
    digest: str  # of the whole file: a guide re-renders when its text changes

    @property
    def slug(self) -> str:
        return self.meta.slug

    @property
    def path(self) -> str:
        return f"/guides/{self.slug}/"

    @property
    def blocks(self) -> list[Block]:
        return [s for s in self.segments if isinstance(s, Block)]


def load_guides(root: Path, problems: list[Problem], *, drafts: bool = False) -> list[Guide]:
    """Every guide under content/guides/, newest first; drafts only with `drafts` (the preview)."""
    from .content import RESERVED_SLUGS

    guides: list[Guide] = []
    for path in sorted((root / GUIDES_DIR).glob("*.md")):
        display = path.relative_to(root).as_posix()
        slug = path.stem
        if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
            problems.append(
                Problem(display, None, "the file name must be lower-case letters, digits and dashes (it is the URL)")
            )
            continue
        try:
            text = read_utf8(path, display)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        guide = parse_guide(text, slug, display, root, problems)
        if guide is not None and (drafts or not guide.meta.draft):
            guides.append(guide)
    return sorted(guides, key=lambda g: (g.meta.published, g.slug), reverse=True)


def parse_guide(text: str, slug: str, display: str, root: Path, problems: list[Problem]) -> Guide | None:
    match = _FRONT_MATTER.match(text)
    if match is None:
        problems.append(Problem(display, 1, "must start with front matter: a line '---', title: ..., and '---'"))
        return None
    before = len(problems)
    meta = validate_document(parse_yaml(match.group(1), display, first_line=2), GuideMeta, {"slug": slug}, problems)
    if meta is not None and meta.image is not None:
        # The site's own templates/assets/ first, then the theme's, as the published assets are found.
        found = [d / ASSETS / meta.image.src for d in Theme.of_site(root).dirs]
        if ".." in meta.image.src.split("/") or not any(p.is_file() for p in found):
            problems.append(
                Problem(display, None, f"image.src: no file {SITE_TEMPLATES}/{ASSETS}/{meta.image.src}; put it there")
            )
    body_line = text[: match.end()].count("\n") + 1
    segments = _segments(text[match.end() :], body_line, display, problems)
    if meta is None or len(problems) > before:
        return None
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return Guide(meta, segments, display, digest)


def _segments(body: str, first_line: int, display: str, problems: list[Problem]) -> list[str | Block]:
    from .content import render_markdown

    segments: list[str | Block] = []
    prose: list[str] = []
    lines = body.splitlines()
    i = 0
    number = 0

    def flush() -> None:
        text = "\n".join(prose).strip()
        if text:
            segments.append(render_markdown(text))
        prose.clear()

    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            prose.append(lines[i])
            i += 1
            continue
        line = first_line + i
        kind = fence.group("kind")
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        if end is None:
            problems.append(Problem(display, line, f"this ```{kind} block has no closing ``` line"))
            return segments
        if kind not in BLOCK_KINDS:
            close = difflib.get_close_matches(kind, BLOCK_KINDS, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "expected one of: " + ", ".join(BLOCK_KINDS)
            problems.append(Problem(display, line, f"```{kind}: not a kind of block; {hint}"))
            i = end + 1
            continue
        flush()
        number += 1
        doc = parse_yaml("\n".join(lines[i + 1 : end]), display, first_line=line + 1)
        if doc.data is None and not doc.problems:
            problems.append(Problem(display, line, f"this ```{kind} block is empty; see docs/editing.md"))
        else:
            spec = validate_document(doc, MODELS[kind], {}, problems)
            if spec is not None:
                segments.append(Block(kind, spec, number, line, doc))
        i = end + 1
    flush()
    return segments


def check_guides(guides: list[Guide], categories: dict[str, str], pages: dict[str, str]) -> list[Problem]:
    """What needs the rest of the site: names shared with a category or page, categories that do not exist.

    `categories` and `pages`: slug -> the file it comes from.
    """
    problems: list[Problem] = []
    known = ", ".join(sorted(categories)) or "(none)"
    for guide in guides:
        for slug, files in (("category", categories), ("page", pages)):
            other = files.get(guide.slug)
            if other is not None:
                problems.append(Problem(guide.source, None, f"has the same name as the {slug} {other}; rename one"))
        for slug in guide.meta.categories:
            if slug not in categories:
                problems.append(Problem(guide.source, None, f"categories: '{slug}' is not a category; known: {known}"))
        for block in guide.blocks:
            for path, slug in _category_refs(block):
                if slug not in categories:
                    line = block.doc.line_of(path)
                    problems.append(
                        Problem(
                            guide.source,
                            line,
                            f"{'.'.join(map(str, path))}: '{slug}' is not a category; known: {known}",
                        )
                    )
    return problems


def _category_refs(block: Block) -> list[tuple[tuple[str | int, ...], str]]:
    spec = block.spec
    if isinstance(spec, Comparison):
        return [(("columns", i, "category"), c.category) for i, c in enumerate(spec.columns) if c.category]
    return [(("category",), spec.category)] if spec.category else []


def summary_digest(guides: list[Guide]) -> str:
    """What a list of guides shows of them (title, description, dates, picture, path): an input of every page
    that links to them (the guides list, the home page, category pages, the feed)."""
    data = [(g.slug, g.meta.model_dump_json()) for g in guides]
    return hashlib.blake2b(repr(data).encode(), digest_size=12).hexdigest()
