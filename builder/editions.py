"""Editions: one content tree published for several eBay marketplaces (`editions:` in site.yaml).

Each edition is the whole site again for its marketplace (its listings, currency, EPN rotation id, language and time
zone), served under its own path (`/` for exactly one of them, the x-default, `/de/` for the others). The build runs
the usual pipeline once per edition on a *derived* Site (`site_for`): site settings with the edition's marketplace,
language, time zone and base URL, categories with the edition's overrides applied, and only the Markdown pages and
guides written in the edition's language. Nothing else in the build needs to know about editions, except:

- the writer (`EditionWriter`): an edition under `/de/` writes into `output/de/` and its pages' root-relative links
  (`/p/...`, `/cameras/`) get the `/de` prefix, while the shared `/assets/`, `/go/` and `/api/` stay at the root;
- the links between editions (hreflang.py);
- the call budget, shared fairly between the editions (`fair_shares`).

A site without `editions:` is one implicit edition built from the top-level settings, exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import AnyHttpUrl

from .config import CategoryConfig, Config, EditionConfig, SiteConfig
from .errors import Problem
from .marketplaces import MARKETPLACES, Marketplace
from .output import Put, SiteWriter
from .yamlsource import load_yaml_file

if TYPE_CHECKING:
    from .catalog.plan import Plan
    from .catalog.source import CatalogSource
    from .content import Page, Site
    from .guides import Guide
    from .render import PageJob

# Paths every edition shares with the one at /: the theme's assets and the endpoint's routes.
SHARED_PREFIXES = ("assets/", "go/", "api/")
# An attribute's root-relative URL, in HTML or inside a JSON string (listings.json carries its cards' HTML).
_ROOT_RELATIVE = re.compile(rb'(\s(?:href|src|action|data-[a-z-]+)=\\?")/(?!/)')


@dataclass(frozen=True)
class Edition:
    key: str
    """The short name in site.yaml (`de`); "" for a site without editions."""
    market: Marketplace
    lang: str
    path: str
    """`/` or `/<segment>/`."""

    @property
    def is_default(self) -> bool:
        """Served at /: the x-default of the hreflang alternates, and the edition whose customids stay as they were."""
        return self.path == "/"

    @property
    def folder(self) -> str:
        """The edition's folder in the output, "" or `de/`."""
        return self.path.lstrip("/")

    def custom_id(self, name: str) -> str:
        """EPN's customid for a link of this edition: the category or guide name, after the edition's key (`de-x`)."""
        return name if self.is_default else f"{self.key}-{name}"


def editions_of(settings: SiteConfig) -> list[Edition]:
    """The site's editions, the one at / first; one implicit edition for a site without `editions:`."""
    if not settings.editions:
        return [Edition("", settings.market, settings.lang, "/")]
    found = [
        Edition(key, MARKETPLACES[e.marketplace], _lang(settings, e) or MARKETPLACES[e.marketplace].locale, e.path)
        for key, e in settings.editions.items()
    ]
    return sorted(found, key=lambda e: not e.is_default)


def _lang(settings: SiteConfig, declared: EditionConfig) -> str | None:
    """The edition's own language; the edition at / falls back to the top-level `language`."""
    return declared.lang or (settings.language if declared.path == "/" else None)


def _timezone(settings: SiteConfig, declared: EditionConfig) -> str | None:
    return declared.timezone or (settings.timezone if declared.path == "/" else None)


def default_currency(settings: SiteConfig) -> str:
    """The currency of prices written at the top level of a category file: the edition at /'s."""
    return editions_of(settings)[0].market.currency


def lang_matches(wanted: str | None, edition: Edition, default: Edition) -> bool:
    """Whether a page or guide in language `wanted` (None: the default edition's) belongs to `edition`.

    `de` matches every German edition (`de-DE`, `de-AT`); `de-AT` only an edition in exactly that language."""
    from .content import language_matches

    return language_matches(wanted or default.lang, edition.lang)


def site_for(site: Site, edition: Edition) -> Site:
    """The site as `edition` publishes it (see the module docstring); the site itself when it has no editions."""
    settings = site.config.site
    if not settings.editions:
        return site
    from .content import Site, pages_in_language, render_markdown

    declared = settings.editions[edition.key]
    default = editions_of(settings)[0]
    derived = settings.model_copy(
        update={
            "marketplace": edition.market.id,
            "language": _lang(settings, declared),
            "timezone": _timezone(settings, declared),
            "base_url": AnyHttpUrl(settings.root_url + edition.path),
            "title": declared.title or settings.title,
            "description": declared.description if declared.description is not None else settings.description,
        }
    )
    categories = [category_for(c, edition, default) for c in site.config.categories]
    intros = {c.slug: render_markdown(c.intro) for c in categories if c.intro}
    # A page the edition has none of in its language is published in the default edition's (the disclosure and
    # the privacy policy must exist in every edition; the footer links them).
    pages: list[Page] = pages_in_language(site.pages, edition.lang, default.lang)
    guides: list[Guide] = [g for g in site.guides if lang_matches(g.meta.lang, edition, default)]
    config = Config(root=site.config.root, site=derived, categories=categories, lookups=site.config.lookups)
    return Site(config=config, pages=pages, intros=intros, guides=guides)


def category_for(category: CategoryConfig, edition: Edition, default: Edition) -> CategoryConfig:
    """The category with the edition's overrides; a price range it does not override is kept only in the same
    currency (`check_editions` reports the other case before a build starts)."""
    override = category.editions.get(edition.key)
    update: dict[str, Any] = {}
    if override is not None:
        update = override.model_dump(exclude_unset=True)
    if edition.market.currency != (category.currency or default.market.currency):
        update.setdefault("min_price", None)
        update.setdefault("max_price", None)
        update["currency"] = None
    return category.model_copy(update=update) if update else category


# --- checks (affsite check and every build) --------------------------------------------------------------------


def check_editions(root: Path, config: Config, page_slugs: dict[str, str]) -> list[Problem]:
    """Every mistake about editions, as `file:line: message`: paths that collide with the content's URLs, category
    overrides for editions site.yaml does not declare, price ranges in another edition's currency."""
    settings = config.site
    problems: list[Problem] = []
    if not settings.editions:
        for category in config.categories:
            if category.editions:
                line = _line(root, category.source, ("editions",))
                problems.append(Problem(category.source, line, "editions: site.yaml declares no editions"))
        return problems
    site_doc = load_yaml_file(root / "site.yaml", "site.yaml")
    taken = {c.slug: c.source for c in config.categories} | page_slugs
    from .content import RESERVED_SLUGS

    for key, declared in settings.editions.items():
        segment = declared.path.strip("/")
        if not segment:
            continue
        clash = taken.get(segment)  # (guides live under /guides/: theirs cannot clash)
        what = (
            f"the same URL as {clash}" if clash else "a name the site uses itself" if segment in RESERVED_SLUGS else ""
        )
        if what:
            line = site_doc.line_of(("editions", key, "path"))
            problems.append(Problem("site.yaml", line, f"editions.{key}.path: {declared.path} is {what}; pick another"))
    editions = editions_of(settings)
    default = editions[0]
    if "marketplace" in settings.model_fields_set and settings.marketplace != default.market.id:
        # Else the top-level setting would be silently ignored: the edition at / decides (a site turned German by
        # changing `marketplace:` alone would still be built from eBay US).
        problems.append(
            Problem(
                "site.yaml",
                site_doc.line_of(("marketplace",)),
                f"marketplace: {settings.marketplace}, but the edition served at / ({default.key}) is "
                f"{default.market.id}; with editions, the edition at / sets it: make them the same or leave "
                "marketplace out",
            )
        )
    for category in config.categories:
        for key in category.editions:
            if key not in settings.editions:
                known = ", ".join(settings.editions)
                line = _line(root, category.source, ("editions", key))
                problems.append(
                    Problem(category.source, line, f"editions.{key}: site.yaml has no edition {key!r} ({known})")
                )
        currency = category.currency or default.market.currency
        given = [name for name in ("min_price", "max_price") if getattr(category, name) is not None]
        if not given:
            continue
        for edition in editions[1:]:
            override = category.editions.get(edition.key)
            overridden = override is not None and bool({"min_price", "max_price"} & override.model_fields_set)
            if edition.market.currency != currency and not overridden:
                line = _line(root, category.source, (given[0],))
                problems.append(
                    Problem(
                        category.source,
                        line,
                        f"price range is in {currency} but edition {edition.key!r} sells in {edition.market.currency}; "
                        f"add editions.{edition.key}.{given[0]}",
                    )
                )
    return problems


def _line(root: Path, source: str, path: tuple[str, ...]) -> int | None:
    return load_yaml_file(root / source, source).line_of(path)


# --- writing ---------------------------------------------------------------------------------------------------


class EditionWriter:
    """The site writer as one edition sees it: its files go under the edition's folder, and the root-relative links
    in its HTML get the edition's path, except those to what all editions share (SHARED_PREFIXES). The shared files
    themselves (the assets) are written by the edition at /, which is built first; the others skip them."""

    def __init__(self, writer: SiteWriter, edition: Edition) -> None:
        self.writer = writer
        self.folder = edition.folder
        self.present: set[str] = set()  # this edition's files, relative to its folder
        self._prefix = b"/" + edition.folder.rstrip("/").encode()
        self._shared = tuple(p.encode() for p in SHARED_PREFIXES)

    def localize(self, relative: str, data: bytes) -> bytes:
        """Root-relative links of an HTML page (or JSON with HTML inside), pointed into this edition."""
        if not self.folder or not relative.endswith((".html", ".json")):
            return data
        return _ROOT_RELATIVE.sub(self._rewrite, data)

    def _rewrite(self, match: re.Match[bytes]) -> bytes:
        if match.string.startswith(self._shared, match.end()):
            return match.group(0)
        return match.group(1) + self._prefix + b"/"

    def _skipped(self, relative: str) -> bool:
        return bool(self.folder) and relative.startswith(SHARED_PREFIXES)

    def put(self, relative: str, data: bytes) -> Put:
        if self._skipped(relative):
            return Put(relative, False, None, 0, 0)
        return self.writer.put(self.folder + relative, self.localize(relative, data))

    def record(self, put: Put) -> None:
        if self._skipped(put.relative):
            return
        self.writer.record(put)
        self.present.add(put.relative[len(self.folder) :])

    def write(self, relative: str, data: bytes) -> None:
        self.record(self.put(relative, data))

    def keep(self, relative: str, size: int | None = None, mtime_ns: int | None = None) -> bool:
        if self.writer.keep(self.folder + relative, size, mtime_ns):
            self.present.add(relative)
            return True
        return False


def fair_shares(allowance: int, wanted: dict[str, int]) -> dict[str, int]:
    """Split one call budget between editions: each gets what it wants up to an equal share, and what an edition
    leaves unused is shared equally among those that want more (water-filling); what nobody wants is spread
    evenly too, as room for retries. The edition at / comes first in `wanted` and gets a remainder's odd call."""
    shares = dict.fromkeys(wanted, 0)
    left = max(allowance, 0)
    hungry = [key for key in wanted if wanted[key] > 0]
    while left > 0 and hungry:
        each, odd = divmod(left, len(hungry))
        given = 0
        for index, key in enumerate(hungry):
            add = min(wanted[key] - shares[key], each + (1 if index < odd else 0))
            shares[key] += add
            given += add
        left -= given
        hungry = [key for key in hungry if shares[key] < wanted[key]]
        if given == 0:
            break
    keys = list(wanted)
    if left > 0 and keys:
        each, odd = divmod(left, len(keys))
        for index, key in enumerate(keys):
            shares[key] += each + (1 if index < odd else 0)
    return shares


def budgeted_sites(site: Site, source: CatalogSource, now: datetime) -> list[tuple[Edition, Site, int | None]]:
    """Every edition with its site (`site_for`) and, on a live source with several editions, its fair share of the
    one call budget (None: the whole budget). The share goes to the catalog source only (`with_budget`), never into
    the pages' inputs: a share that differs from the last build's must not re-render a page."""
    editions = [(edition, site_for(site, edition)) for edition in editions_of(site.config.site)]
    if len(editions) == 1:
        return [(edition, edition_site, None) for edition, edition_site in editions]
    plans = [source.plan(data_config(edition_site), now) for _, edition_site in editions]
    if any(plan is None for plan in plans):
        return [(edition, edition_site, None) for edition, edition_site in editions]  # a source making no calls
    wanted = {e.key: _wanted(plan) for (e, _), plan in zip(editions, plans, strict=True) if plan is not None}
    allowance = min(plan.allowance for plan in plans if plan is not None)
    shares = fair_shares(allowance, wanted)
    return [(edition, edition_site, shares[edition.key]) for edition, edition_site in editions]


def with_budget(config: Config, calls: int | None) -> Config:
    """The configuration a catalog source gets: `api.calls_per_build` set to the edition's share."""
    if calls is None:
        return config
    settings = config.site
    api = settings.api.model_copy(update={"calls_per_build": calls})
    return config.model_copy(update={"site": settings.model_copy(update={"api": api})})


def data_config(site: Site) -> Config:
    """What the catalog source is asked for: the categories plus the guides' searches and look-ups."""
    from .guide_data import prepare

    return prepare(site).config


def _wanted(plan: Plan) -> int:
    """The calls an edition would make with the whole budget to itself: every request that is due."""
    return sum(1 for p in plan.requests if p.action != "fresh")


def plan_lines(site: Site, source: CatalogSource, now: datetime) -> list[str] | None:
    """`affsite build --plan` for a site with editions: each edition's calls within its share, then the total
    against the one budget; None when the source makes no calls."""
    lines: list[str] = []
    total = 0
    budget = None
    for edition, edition_site, share in budgeted_sites(site, source, now):
        plan = source.plan(with_budget(data_config(edition_site), share), now)
        if plan is None:
            return None
        where = f"{edition.key} ({edition.market.id}, {edition.path})"
        lines.append(f"edition {where}: its share of the budget: {plan.allowance} call(s)")
        lines.extend("  " + line for line in plan.describe())
        total += len(plan.calls)
        budget = plan.budget
    if budget is not None:
        per_build = site.config.site.api.calls_per_build
        lines.append(
            f"all editions: {total} call(s) within one budget of {min(per_build, budget.remaining_today)} "
            f"(per-build limit {per_build:,}, {budget.remaining_today:,} of {budget.daily_quota:,} left today)"
        )
    return lines


def alternates(
    editions: list[Edition], jobs: list[list[PageJob]], root_urls: list[str]
) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Per edition key and page path, the (hreflang, URL) of that page in every edition that has it, x-default
    last (the edition at /). A page's counterparts are the pages at the same path in the other editions: home,
    categories and their later pages, the guides list, search, Markdown pages of the same name. Product pages have
    none (each marketplace lists other items), nor pages without a canonical URL (the 404 page, the feed)."""
    where: dict[str, list[tuple[Edition, str]]] = {}
    for edition, edition_jobs, root_url in zip(editions, jobs, root_urls, strict=True):
        for job in edition_jobs:
            canonical = job.context.get("canonical")
            page = job.context.get("page")
            if page is not None and not lang_matches(page.meta.lang, edition, editions[0]):
                continue  # a page in another language, published only so that the footer's links work
            if canonical and job.path.endswith(".html") and not job.path.startswith("p/"):
                where.setdefault(job.path, []).append((edition, root_url + canonical))
    links: dict[str, dict[str, list[tuple[str, str]]]] = {e.key: {} for e in editions}
    for path, found in where.items():
        if len(found) < 2:
            continue
        pairs = [(edition.lang, url) for edition, url in found]
        pairs += [("x-default", url) for edition, url in found if edition.is_default]
        for edition, _ in found:
            links[edition.key][path] = pairs
    return links
