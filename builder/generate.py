"""Making the site from loaded listings: normalize them, plan and render the pages, write the files.

The expensive half of a build, and the only one that needs Jinja and the renderer: `build.py` imports this module
only once it knows there is something to do, so a rebuild with nothing to do does not pay for loading it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment

from . import i18n
from .assets import publish_assets
from .catalog.links import campaign_id
from .catalog.normalize import Normalizer, Product
from .catalog.source import CatalogResult
from .category_listings import CategoryListings
from .content import Site
from .ended import REDIRECTS_NAME, Ledger, redirects
from .ended_pages import EndedPages
from .errors import ConfigError, Problem
from .formatting import iso
from .guide_data import GuideData, Pick
from .guide_data import resolve as resolve_guides
from .guide_pages import GuidePages
from .manifest import MANIFEST_NAME, ManifestItem, dump_manifest
from .output import SiteWriter, Writer
from .parallel import render_and_put
from .publish import NO_LISTINGS
from .render import (
    BuildContext,
    Catalog,
    PageJob,
    PageType,
    Renderer,
    feed_jobs,
    make_environment,
    plan_pages,
    robots_txt,
    sitemap_xml,
    template_digests,
)
from .report import BuildReport
from .script_texts import edition_hint
from .search_index import Candidate, SearchIndex, is_candidate
from .search_page import SearchPage
from .state import BuildState, FileRecord, page_digest
from .themes import Theme


def normalize_catalog(
    site: Site,
    result: CatalogResult,
    now: datetime,
    report: BuildReport,
    guides: GuideData | None = None,
    custom_prefix: str = "",
) -> Catalog:
    """The listings as Products; `custom_prefix` starts every link's EPN customid (an edition's key, `de-`)."""
    config = site.config
    normalizer = Normalizer(config.site.market, campaign_id(config.site), now, config.site.lang, custom_prefix)
    by_category: dict[str, list[Product]] = {}
    products: dict[str, Product] = {}
    for category in config.categories:
        data = result.categories[category.slug]
        if data.stale_reason:
            report.stale[category.slug] = data.stale_reason
        listed: list[Product] = []
        for product in normalizer.products(category, data.items, data.fetched_at):
            known = products.get(product.item_id)
            if known is None:
                products[product.item_id] = product
                listed.append(product)
            elif category.slug not in known.categories:
                # The same listing in several categories: one product page, listed in each, with the newest data.
                if product.fetched_at > known.fetched_at:
                    product.categories = [*known.categories, category.slug]
                    products[product.item_id] = product
                    _replace(by_category, known, product)
                    known = product
                else:
                    known.categories.append(category.slug)
                listed.append(known)
        by_category[category.slug] = _pinned_first(listed, category.pinned_legacy_ids)
        if not listed:
            report.warn(result.empty.get(category.slug, NO_LISTINGS), category.slug)
    for product in products.values():
        if product.image_url is None:
            report.warn("products have no image", product.item_id)
    for reason, count in normalizer.dropped.counts.items():  # added up over the editions of a site
        report.dropped[reason] = report.dropped.get(reason, 0) + count
    report.categories += len(config.categories)
    report.products += len(products)
    report.notes.extend(result.notes)
    picks: dict[str, Pick] = {}
    if guides is not None:
        picks = resolve_guides(site, guides, result, by_category, now, report, custom_prefix)
    return Catalog(by_category=by_category, products=products, picks=picks)


def _replace(by_category: dict[str, list[Product]], old: Product, new: Product) -> None:
    for listed in by_category.values():
        for i, product in enumerate(listed):
            if product is old:
                listed[i] = new


def _pinned_first(products: list[Product], pinned: list[str]) -> list[Product]:
    if not pinned:
        return products
    rank = {item_id: i for i, item_id in enumerate(pinned)}
    first = sorted((p for p in products if p.item_id in rank), key=lambda p: rank[p.item_id])
    return first + [p for p in products if p.item_id not in rank]


def page_types(site: Site, ledger: Ledger) -> list[PageType]:
    """The page types beyond the core set, each one module (render.PageType); a new type is one line here."""
    search = [SearchPage()] if site.config.site.search else []
    return [EndedPages(ledger, site.config.site.ended_days), GuidePages(site.guides), *search, CategoryListings()]


def check_site_assets(site: Site, assets: dict[str, str]) -> None:
    """site.yaml's `logo` and `favicon` name files that are published (the site's templates/assets/ or the theme's)."""
    problems = [
        Problem("site.yaml", None, f"{key}: there is no file templates/assets/{name}")
        for key, name in (("logo", site.config.site.logo), ("favicon", site.config.site.favicon))
        if name and name not in assets
    ]
    if problems:
        raise ConfigError(problems)


def _warn_untranslated(
    env: Environment, theme: Theme, catalogs: i18n.Catalogs, templates: list[str], report: BuildReport
) -> None:
    """One grouped warning for the texts shown in English on a site in another language (none for English)."""
    if i18n.candidates(catalogs.lang)[-1] == i18n.SOURCE_LANGUAGE:
        return
    if not catalogs.found:
        shown = ", ".join(i18n.languages(theme))
        report.warn(
            f"no message catalog for {catalogs.lang}: the pages' texts are in English (catalogs exist for {shown})"
        )
        return
    for message in i18n.missing_messages(env, catalogs, templates):
        report.warn(f"texts have no {catalogs.lang} translation and are shown in English", repr(message))


@dataclass
class PlannedSite:
    """One edition's pages, planned and ready to render (`write_planned`), with what its language needs."""

    site: Site
    build: BuildContext
    env: Environment
    catalogs: i18n.Catalogs
    renderer: Renderer
    jobs: list[PageJob]
    feed: PageJob
    theme: Theme
    catalog: Catalog
    ledger: Ledger


def plan_site(
    site: Site,
    catalog: Catalog,
    now: datetime,
    demo: bool,
    theme: Theme,
    writer: Writer,
    ledger: Ledger | None = None,
) -> PlannedSite:
    """Publish the assets and plan every page in the site's language (activated here: `write_planned` activates it
    again, so that several editions can be planned before any is rendered)."""
    ledger = ledger or {}
    assets = publish_assets(theme.assets(), writer)
    check_site_assets(site, assets)
    build = BuildContext(site=site, now=now, demo=demo, assets=assets)
    env = make_environment(theme)
    catalogs = i18n.load_catalogs(theme, site.config.site.lang)
    i18n.install(env, catalogs)
    renderer = Renderer(env, build, theme)
    jobs = plan_pages(build, catalog, page_types(site, ledger))
    return PlannedSite(site, build, env, catalogs, renderer, jobs, feed_jobs(build, catalog), theme, catalog, ledger)


def write_site(
    site: Site,
    catalog: Catalog,
    now: datetime,
    demo: bool,
    theme: Theme,
    writer: SiteWriter,
    report: BuildReport,
    state: BuildState | None,
    ledger: Ledger | None = None,
    search: SearchIndex | None = None,
) -> dict[str, FileRecord]:
    """Render what changed since `state` (everything without one) and write it; the new state's file records.

    `ledger`: the listings this build publishes or remembers (ended.py), for ended pages and 410 rules. `search`:
    the site search's index, started while the pages render.
    """
    planned = plan_site(site, catalog, now, demo, theme, writer, ledger)
    config = site.config.site
    writer.write("robots.txt", robots_txt(config.root_url, demo))
    writer.write(REDIRECTS_NAME, redirects(planned.ledger, now, config.ended_days))
    manifest = dump_manifest(
        manifest_items(planned), config.root_url, data_time(planned), lang=config.lang, timezone=config.tz
    )
    writer.write(MANIFEST_NAME, manifest)
    return write_planned(planned, writer, report, state, search=search)


def write_planned(
    planned: PlannedSite,
    writer: Writer,
    report: BuildReport,
    state: BuildState | None,
    alternates: Mapping[str, list[tuple[str, str]]] | None = None,
    search: SearchIndex | None = None,
) -> dict[str, FileRecord]:
    """Render the planned pages that changed since `state` and write them with the sitemap; the new state's file
    records. `alternates`: per page path, the same page in the site's other editions (hreflang.py). `search`: the
    edition's search index, started by this process while the workers render the pages."""
    build, env, catalogs, theme = planned.build, planned.env, planned.catalogs, planned.theme
    i18n.activate(catalogs)  # Python texts in this edition's language, here and in the forked workers
    alternates = alternates or {}
    # The offer of another edition speaks that edition's language: its texts per language of the alternates, looked
    # up once here (before the workers fork), and an input of every page that links other editions.
    langs = sorted({lang for links in alternates.values() for lang, _ in links} - {"x-default"})
    hints = {lang: edition_hint(theme, lang) for lang in langs}
    jobs = planned.jobs
    pages = [*jobs, planned.feed]
    templates = template_digests(env)
    # The catalogs are inputs of every page: a changed translation re-renders what may show it.
    settings = f"{build.settings_digest}:{catalogs.digest}"
    previous = state.files if state is not None else {}
    files: dict[str, FileRecord] = {}
    to_render: list[PageJob] = []
    digests: list[str] = []
    candidates: list[Candidate] = []  # the pages the search may index, changed or not
    for job in pages:
        links = alternates.get(job.path)
        if links:
            job.context["alternates"] = links
            job.context["edition_hints"] = hints
        inputs = [*job.inputs, repr(links), repr(hints)] if links else job.inputs
        digest = page_digest(templates.get(job.template, "missing"), settings, job.path, inputs)
        if search is not None and is_candidate(job.path):
            candidates.append(Candidate(job.path, digest, functools.partial(planned.renderer.search_block, job)))
        old = previous.get(job.path)
        if old is not None and old.digest == digest and writer.keep(job.path, old.size, old.mtime_ns):
            files[job.path] = old
            continue
        to_render.append(job)
        digests.append(digest)
    meanwhile = functools.partial(search.start, candidates) if search is not None else None
    puts = render_and_put(to_render, planned.renderer.render, writer, meanwhile=meanwhile)
    for job, digest, put in zip(to_render, digests, puts, strict=True):
        writer.record(put)
        files[job.path] = FileRecord(digest, put.size, put.mtime_ns)

    writer.write("sitemap.xml", sitemap_xml(build.site.config.site.root_url, jobs, alternates))
    report.pages += len(pages)
    report.rendered += len(to_render)
    _warn_untranslated(env, theme, catalogs, list(templates), report)
    for relative in writer.present:
        if relative not in files:
            files[relative] = FileRecord("", 0, 0)  # written on every build (assets, sitemap, ...): listed only
    return files


def data_time(planned: PlannedSite) -> datetime:
    return max((p.fetched_at for p in planned.catalog.products.values()), default=planned.build.now)


def manifest_items(planned: PlannedSite, path_prefix: str = "", edition: str = "") -> list[ManifestItem]:
    """The items the endpoint may send visitors to from this edition's pages (`path_prefix`: its folder, `/de`)."""
    catalog = planned.catalog
    manifest = [_manifest_item(p, path_prefix, edition) for p in catalog.products.values()]
    # Listings shown only in guides: the endpoint accepts their clicks too (with the guide's link and page).
    in_guides: dict[str, ManifestItem] = {}
    for key, pick in sorted(catalog.picks.items()):
        for p in pick.products:
            if p.item_id not in catalog.products and p.item_id not in in_guides:
                in_guides[p.item_id] = dataclasses.replace(
                    _manifest_item(p, path_prefix, edition),
                    path=f"{path_prefix}/guides/{key.split('/')[0]}/",
                    categories=(),
                )
    manifest.extend(in_guides.values())
    return manifest


def _manifest_item(p: Product, path_prefix: str = "", edition: str = "") -> ManifestItem:
    return ManifestItem(
        p.item_id,
        p.url,
        p.title,
        path_prefix + p.path,
        tuple(p.categories),
        price=str(p.price.amount),
        currency=p.price.currency,
        fetched_at=iso(p.fetched_at),
        listed_at=iso(p.listed_at) if p.listed_at else "",
        image=p.image_url or "",
        edition=edition,
    )
