"""One build, top to bottom: load content, get listings, normalize, render, write, swap, report."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .catalog.files import DEMO_CATALOG_DIR, DirectoryCatalog
from .catalog.links import campaign_id
from .catalog.normalize import Normalizer, Product
from .catalog.source import CatalogResult, CatalogSource
from .content import Site, load_site
from .errors import BuildError, UsageError
from .heap import collector_paused
from .inputs import inputs_digest, next_change
from .manifest import MANIFEST_NAME, ManifestItem, dump_manifest
from .output import SiteWriter, write_atomically
from .parallel import render_and_put
from .render import (
    ASSET_NAMES,
    BuildContext,
    Catalog,
    PageJob,
    Renderer,
    feed_jobs,
    make_environment,
    plan_pages,
    robots_txt,
    sitemap_xml,
    template_digests,
)
from .report import BuildReport
from .state import BuildState, FileRecord, forget_state, load_state, page_digest, save_state, state_key

log = logging.getLogger(__name__)
REPORT_NAME = "build-report.json"


@dataclass
class BuildOptions:
    root: Path
    output_dir: Path
    cache_dir: Path
    strict: bool = False


def run_build_command(args: argparse.Namespace) -> int:
    """`affsite build`: choose the catalog source, build, print the summary."""
    root = args.root.resolve()
    site = load_site(root)
    cache_dir = (args.cache_dir or root / site.config.site.cache_dir).resolve()
    options = BuildOptions(root, (args.output or root / "output").resolve(), cache_dir, strict=args.strict)
    source = choose_source(args, cache_dir)
    now = datetime.now(UTC)
    if args.plan:
        plan = getattr(source, "plan", None)
        if plan is None:
            raise UsageError(
                "--plan shows the eBay calls a live build would make; set EBAY_CLIENT_ID and EBAY_CLIENT_SECRET"
            )
        for line in plan(site.config, now).describe():
            print(line)
        return 0
    if source.is_demo:
        print("No eBay credentials (EBAY_CLIENT_ID, EBAY_CLIENT_SECRET): building from the bundled demo catalog.")
    report = build_site(site, source, options, now)
    for line in report.lines():
        print(line)
    return 0


def choose_source(args: argparse.Namespace, cache_dir: Path) -> CatalogSource:
    if args.catalog_dir is not None:
        if not args.catalog_dir.is_dir():
            raise UsageError(f"--catalog-dir {args.catalog_dir}: no such directory")
        return DirectoryCatalog(args.catalog_dir)
    from .catalog.credentials import credentials_from_env

    credentials = credentials_from_env()
    if credentials is None:
        if args.live:
            raise UsageError(
                "--live needs eBay credentials: set EBAY_CLIENT_ID and EBAY_CLIENT_SECRET in the environment "
                "(without --live, affsite builds from the demo catalog)"
            )
        return DirectoryCatalog(DEMO_CATALOG_DIR, is_demo=True)
    from .catalog.live import LiveCatalog

    return LiveCatalog(credentials, cache_dir)


def build_site(site: Site, source: CatalogSource, options: BuildOptions, now: datetime) -> BuildReport:
    """Build the whole site into options.output_dir. Raises BuildError (old output left as it was) on failure."""
    with collector_paused():  # see heap.py: without this, time per page grows with the catalog
        return _build(site, source, options, now)


def _build(site: Site, source: CatalogSource, options: BuildOptions, now: datetime) -> BuildReport:
    started = time.perf_counter()
    config = site.config
    result = source.load(config, now)
    report = BuildReport(source=source.description, demo=source.is_demo)  # a live source names itself once loaded
    if result.problems:
        raise BuildError(
            "no data for some categories, so nothing was published:\n"
            + "\n".join(f"  {slug}: {why}" for slug, why in sorted(result.problems.items()))
        )
    campaign = campaign_id(config.site)
    templates_dir = options.root / "templates"
    if not templates_dir.is_dir():
        raise BuildError(f"{templates_dir} is missing: the site's templates live there")
    inputs = inputs_digest(site, result, templates_dir, campaign, source.is_demo)
    until = next_change(site, result, now)
    previous = load_state(options.cache_dir, state_key(options.output_dir)) if options.output_dir.is_dir() else None
    may_skip = previous is not None and (previous.clean or not options.strict)
    if may_skip and previous is not None and _nothing_changed(previous, inputs, now, options.output_dir):
        return _unchanged_report(report, previous, options, started)

    catalog = normalize_catalog(site, result, now, report)
    if not campaign and not source.is_demo:
        report.warn("no EPN campaign id (site.yaml campaign_id or EBAY_CAMPAIGN_ID): links to eBay are untracked")
    if options.strict and (report.warnings or report.stale or source.is_demo):
        reasons = [*report.warnings, *(f"stale data for {s}" for s in report.stale)]
        if source.is_demo:
            reasons.append("building from demo data")
        raise BuildError("--strict: not publishing because of: " + "; ".join(reasons))

    writer = SiteWriter(options.output_dir)
    state = previous if writer.in_place else None
    if not writer.in_place:
        forget_state(options.cache_dir)
    try:
        files = _write_site(site, catalog, now, source.is_demo, options, writer, report, state)
        writer.commit(previous_files=state.files if state is not None else None)
    except BaseException:
        writer.abort()
        raise
    save_state(
        options.cache_dir,
        BuildState(
            state_key(options.output_dir),
            files,
            inputs,
            until.isoformat() if until else None,
            clean=not (report.warnings or report.stale or source.is_demo),
        ),
    )
    report.written, report.unchanged = writer.written, writer.unchanged
    report.seconds = time.perf_counter() - started
    try:
        write_atomically(options.cache_dir / REPORT_NAME, report.to_json())
    except OSError as exc:
        log.warning("could not save the build report in %s: %s", options.cache_dir, exc.strerror)
    return report


def _unchanged_report(report: BuildReport, state: BuildState, options: BuildOptions, started: float) -> BuildReport:
    """The summary of a build that had nothing to do: the last build's figures, nothing written."""
    try:
        last = json.loads((options.cache_dir / REPORT_NAME).read_bytes())
        report.categories, report.products = int(last["categories"]), int(last["products"])
        report.dropped = {str(k): int(v) for k, v in last["dropped"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # the figures are only informative; the site itself is known to be intact
    report.pages = sum(1 for name in state.files if name.endswith((".html", ".xml")))
    report.unchanged = len(state.files)
    report.notes.append("nothing changed since the last build: no page rendered, no file written")
    report.seconds = time.perf_counter() - started
    return report


def _nothing_changed(state: BuildState, inputs: str, now: datetime, output_dir: Path) -> bool:
    """Same inputs, the clock has not passed a change point, and every file is still as the last build left it."""
    if not state.inputs or state.inputs != inputs:
        return False
    if state.valid_until is not None and now >= datetime.fromisoformat(state.valid_until):
        return False
    root = f"{output_dir}/"  # plain strings: pathlib's per-path overhead was a fifth of a no-change rebuild
    for relative, record in state.files.items():
        try:
            stat = os.stat(root + relative)
        except OSError:
            return False
        if record.digest and (stat.st_size != record.size or stat.st_mtime_ns != record.mtime_ns):
            return False
    return bool(state.files)


def normalize_catalog(site: Site, result: CatalogResult, now: datetime, report: BuildReport) -> Catalog:
    config = site.config
    normalizer = Normalizer(config.site.market, campaign_id(config.site), now)
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
            report.warn("categories have no listings to show", category.slug)
    for product in products.values():
        if product.image_url is None:
            report.warn("products have no image", product.item_id)
    report.dropped = dict(normalizer.dropped.counts)
    report.categories = len(config.categories)
    report.products = len(products)
    report.notes.extend(result.notes)
    return Catalog(by_category=by_category, products=products)


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


def _write_site(
    site: Site,
    catalog: Catalog,
    now: datetime,
    demo: bool,
    options: BuildOptions,
    writer: SiteWriter,
    report: BuildReport,
    state: BuildState | None,
) -> dict[str, FileRecord]:
    """Render what changed since `state` (everything without one) and write it; the new state's file records."""
    templates_dir = options.root / "templates"
    assets = _write_assets(templates_dir / "assets", writer)
    build = BuildContext(site=site, now=now, demo=demo, assets=assets)
    env = make_environment(templates_dir)
    renderer = Renderer(env, build, templates_dir)
    jobs = plan_pages(build, catalog)
    pages = [*jobs, feed_jobs(build, catalog)]

    templates = template_digests(env)
    settings = build.settings_digest
    previous = state.files if state is not None else {}
    files: dict[str, FileRecord] = {}
    to_render: list[PageJob] = []
    digests: list[str] = []
    for job in pages:
        digest = page_digest(templates.get(job.template, "missing"), settings, job.path, job.inputs)
        old = previous.get(job.path)
        if old is not None and old.digest == digest and writer.keep(job.path, old.size, old.mtime_ns):
            files[job.path] = old
            continue
        to_render.append(job)
        digests.append(digest)
    for digest, put in zip(digests, render_and_put(to_render, renderer.render, writer), strict=True):
        writer.record(put)
        files[put.relative] = FileRecord(digest, put.size, put.mtime_ns)

    root_url = site.config.site.root_url
    manifest = [ManifestItem(p.item_id, p.url, p.title, p.path, tuple(p.categories)) for p in catalog.products.values()]
    writer.write("sitemap.xml", sitemap_xml(root_url, jobs))
    writer.write("robots.txt", robots_txt(root_url, demo))
    data_time = max((p.fetched_at for p in catalog.products.values()), default=now)
    writer.write(MANIFEST_NAME, dump_manifest(manifest, root_url, data_time))
    report.pages = len(pages)
    report.rendered = len(to_render)
    for relative in writer.present:
        if relative not in files:
            files[relative] = FileRecord("", 0, 0)  # written on every build (assets, sitemap, ...): listed only
    return files


def _write_assets(assets_dir: Path, writer: SiteWriter) -> dict[str, str]:
    """Copy CSS and JS under a name that carries a hash of their content, so hosts can cache them forever."""
    urls: dict[str, str] = {}
    for name in ASSET_NAMES:
        path = assets_dir / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BuildError(f"{path} cannot be read: {exc.strerror}") from None
        stem, _, suffix = name.rpartition(".")
        digest = hashlib.sha256(data).hexdigest()[:10]
        fingerprinted = f"assets/{stem}.{digest}.{suffix}"
        writer.write(fingerprinted, data)
        urls[name] = "/" + fingerprinted
    return urls
