"""The page set and its rendering: which pages a site has, at which paths, and the Jinja environment behind them.

`plan_pages` lists every page as a PageJob (path, template, context, source). Two jobs for one path is an error
naming both sources. `Renderer.render` turns a job into bytes; it is pure, so jobs can be rendered in any order or
process, and skipped when their inputs have not changed.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
    select_autoescape,
)
from markupsafe import Markup

from .catalog.normalize import Money, Product
from .conditions import schema_condition
from .config import CategoryConfig, SiteConfig
from .content import Site
from .errors import AffsiteError, BuildError, ConfigError, Problem
from .formatting import (
    format_datetime,
    format_day,
    format_money,
    format_number,
    format_percentage,
    iso,
    language_name,
)
from .guides import summary_digest
from .i18n import gettext
from .present import (
    bids,
    buy_text,
    condition_label,
    country_name,
    format_text,
    price_label,
    seller_rating,
)
from .price_bands import band_label, band_of
from .script_texts import script_texts
from .textfile import not_utf8
from .themes import THEME_DIR, Theme, is_template

if TYPE_CHECKING:
    from .guide_data import Pick

FEED_SIZE = 50
FEED_GUIDES = 10  # the newest guides, as entries of their own


@dataclass
class Catalog:
    """The products of one build: per category in display order, and each product once."""

    by_category: dict[str, list[Product]]
    products: dict[str, Product]
    withheld: frozenset[str] = frozenset()
    """Categories published without prices (incomplete data; see publish.py): their products show none."""
    picks: dict[str, Pick] = field(default_factory=dict)  # what each guide block shows (guide_data.py)


class Card:
    """What a template needs to show one product: the product and whether its price is still fresh at build time.

    One Card per product and build, shared by every page that lists the product; `html` memoises the card markup
    (it depends on nothing but the card), so a product's card is rendered once per process, not on every page.
    """

    __slots__ = ("_html", "category", "max_age", "p", "stale")

    def __init__(self, p: Product, stale: bool, max_age: int, category: str) -> None:
        self.p = p
        self.stale = stale
        self.max_age = max_age
        self.category = category
        self._html: Markup | None = None

    def html(self, macro: Any) -> Markup:
        """The card rendered by `macro` (the `card` macro of _macros.html), rendered on first use only."""
        if self._html is None:
            self._html = Markup(macro(self))  # noqa: S704 - the macro's output is autoescaped markup
        return self._html


@dataclass(frozen=True, slots=True)
class NavLink:
    title: str
    url: str


@dataclass
class PageJob:
    path: str  # the output file, relative to the site root ("p/x-123/index.html")
    template: str
    context: dict[str, Any]
    source: str  # what the page comes from, for "two pages at one path" errors
    inputs: list[str] = field(default_factory=list)  # digests of the data it shows (incremental builds)


@dataclass(frozen=True)
class BuildContext:
    """What every page may show about the site and the build (not about one product)."""

    site: Site
    now: datetime
    demo: bool
    assets: dict[str, str]  # "site.css" -> "/assets/site.3f2a9c1b04.css" (assets.py)

    @property
    def settings_digest(self) -> str:
        """A digest of everything any page may show that is not a product: settings, categories, navigation, assets.

        The whole configuration is in it (category slugs and files too), so a change to any setting re-renders every
        page; the Markdown of a page and a category's intro are inputs of their own pages only.
        """
        config = self.site.config
        data = [
            config.model_dump_json(),
            [(c.slug, c.source) for c in config.categories],
            [(p.slug, p.source, p.meta.model_dump_json()) for p in self.site.pages],
            self.demo,
            sorted(self.assets.items()),
            bool(self.site.guides),  # the navigation links the guides list when there are guides
        ]
        return hashlib.blake2b(repr(data).encode(), digest_size=12).hexdigest()


def make_environment(theme: Theme) -> Environment:
    env = Environment(
        loader=FileSystemLoader(theme.dirs),  # the site's templates/ first, then the theme: first file found wins
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["json_ld"] = json_ld
    env.filters["iso"] = iso
    env.filters["image_size"] = image_size
    env.filters["srcset"] = srcset
    env.globals.update(
        bids=bids,
        buy_text=buy_text,
        condition_label=condition_label,
        format_text=format_text,
        price_label=price_label,
    )
    return env


# The template of a page's search block: what the site search indexes of it (search_index.py). A page is indexed
# when its template includes it; the build renders it on its own too, to index the page while it is being written.
SEARCH_BLOCK = "_search_body.html"
_EBAY_IMAGE_SIZE = re.compile(r"/s-l\d+\.(jpg|jpeg|png|webp)$")


def image_size(url: str, pixels: int) -> str:
    """The same eBay picture at another size (eBay serves s-l225 ... s-l1600); other URLs are left alone."""
    return _EBAY_IMAGE_SIZE.sub(lambda m: f"/s-l{pixels}.{m.group(1)}", url)


def srcset(url: str, widths: Iterable[int]) -> str:
    """`srcset` candidates from eBay's size variants ("…/s-l400.jpg 400w, …"); "" for a picture of another host,
    which has no variants (the template then leaves srcset out)."""
    if not _EBAY_IMAGE_SIZE.search(url):
        return ""
    return ", ".join(f"{image_size(url, w)} {w}w" for w in widths)


def json_ld(data: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block that no string inside it can break out of."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))  # noqa: S704 - escaped above


class Renderer:
    def __init__(self, env: Environment, build: BuildContext, theme: Theme) -> None:
        self.env = env
        self.theme = theme
        self.build = build
        self._search_block_in: dict[str, bool] = {}  # by page template: does it include the search block?
        site = build.site.config.site
        lang = site.lang
        money_cache: dict[Money, str] = {}

        def money(m: Money) -> str:
            text = money_cache.get(m)
            if text is None:
                text = money_cache[m] = format_money(m.amount, m.currency, lang)
            return text

        zone = site.tz
        stamp_cache: dict[datetime, str] = {}

        def stamp(moment: datetime) -> str:
            """`{{ p.fetched_at|stamp }}`: the moment in the site's language and time zone, the zone named (once per
            moment: a category's listings share their fetch time)."""
            text = stamp_cache.get(moment)
            if text is None:
                text = stamp_cache[moment] = format_datetime(moment, lang, zone)
            return text

        # Imported macros see environment globals but not the render context: helpers they need live here.
        env.globals["money"] = money
        env.globals["country"] = lambda code: country_name(code, lang)
        ratings: dict[tuple[Decimal | None, int | None], str | None] = {}

        def rating(percent: Decimal | None, score: int | None) -> str | None:
            """`seller_rating` once per (percent, score): sellers with many listings are shown on many pages."""
            key = (percent, score)
            if key not in ratings:
                ratings[key] = seller_rating(percent, score, lang)
            return ratings[key]

        bands: dict[tuple[int, str], str] = {}

        def price_band(price: Money) -> str:
            """`{{ p.price|price_band }}`: the site search's price filter (price_bands.py), once per band."""
            key = (band_of(price.amount), price.currency)
            text = bands.get(key)
            if text is None:
                text = bands[key] = band_label(*key, lang)
            return text

        env.globals["seller_rating"] = rating
        env.filters["price_band"] = price_band
        env.globals["script_texts"] = lambda *scripts: script_texts(lang, *scripts)
        env.globals["language_name"] = language_name  # an edition's language in its own words: "Deutsch"
        env.filters["stamp"] = stamp
        env.filters["day"] = lambda day: format_day(day, lang)
        env.filters["number"] = lambda value: format_number(value, lang)
        env.filters["percent"] = lambda value: format_percentage(value, lang)
        fragments: dict[tuple[Any, ...], str] = {}

        def cache(*key: Any, caller: Callable[[], str]) -> str:
            """`{% call cache(key...) %}...{% endcall %}`: the block rendered once per key in this process."""
            text = fragments.get(key)
            if text is None:
                text = fragments[key] = caller()
            return text

        env.globals["cache"] = cache
        nav = navigation(build.site)
        # What every page may show, as environment globals rather than render variables: the theme's macros are then
        # imported without the page's context (`{% import "_macros.html" as m %}`), once per process instead of once
        # a page, and still see them. A page's own variables (PageJob.context) override the defaults below in the
        # page's templates; a macro imported without context sees the defaults only (docs/editing.md).
        env.globals |= {
            "site": site,
            "site_url": site.root_url,
            "lang": site.lang,
            "demo": build.demo,
            "assets": build.assets,
            "nav": nav,
            "nav_urls": frozenset(link.url for link in nav),
            "pages": build.site.pages,
            "categories": build.site.categories,
            "endpoint": str(site.endpoint_url).rstrip("/") if site.endpoint_url else "",
            "freshness_seconds": int(site.freshness_hours * 3600),
            "noindex": False,  # a page type sets it for pages that search engines should drop (ended listings)
            "og_image": "",  # the picture shown when a page is shared (og:image, twitter:card)
            "structured_data": [],  # JSON-LD blocks beyond a template's own (breadcrumbs, the home page's WebSite)
            "alternates": [],  # (hreflang, URL) of this page in every edition of the site (editions.py), if any
            "edition_hints": {},  # per language of those editions, the offer of it in that language (script_texts.py)
            "guides": [],  # the guides a page links to (guides.py): featured ones on the home page, a category's own
            "indexing": False,  # true only while the search block is rendered for the index (search_block)
        }

    def render(self, job: PageJob) -> bytes:
        return self._render(job.template, job)

    def search_block(self, job: PageJob) -> bytes | None:
        """What the site search indexes of the page (search_index.py): the search block template rendered on its own
        in the page's context, with `indexing` set. None for a page whose template does not include it. The page
        itself includes the block only to ask for the index: rendered there, it is empty."""
        if not self._includes_search_block(job.template):
            return None
        return self._render(SEARCH_BLOCK, job, {"indexing": True})

    def _includes_search_block(self, template: str) -> bool:
        known = self._search_block_in.get(template)
        if known is None:
            known = self._search_block_in[template] = _references(self.env, template, SEARCH_BLOCK, set())
        return known

    def _render(self, template_name: str, job: PageJob, extra: dict[str, Any] | None = None) -> bytes:
        try:
            template = self.env.get_template(template_name)
            return template.render({**job.context, **extra} if extra else job.context).encode("utf-8")
        except TemplateError as exc:
            raise BuildError(describe_template_error(exc, self.theme, job)) from None
        except AffsiteError:
            raise
        except Exception as exc:
            # `{{ title + 1 }}`, `{{ 1 / 0 }}`: a mistake in a template when template code raised it (or Jinja on its
            # behalf); raised inside affsite's own code, it is a bug in affsite and keeps its traceback.
            if _template_frame(exc, self.theme) is None or _raised_by_affsite(exc):
                raise
            raise BuildError(describe_template_error(exc, self.theme, job)) from None


def _references(env: Environment, template: str, wanted: str, seen: set[str]) -> bool:
    """Whether `template` extends, includes or imports `wanted`, directly or through the templates it names. Read
    from the source, not by rendering: a name computed while rendering (`{% include name %}`) is not followed."""
    try:
        source = env.loader.get_source(env, template)[0]  # type: ignore[union-attr]
        names = meta.find_referenced_templates(env.parse(source))
    except (TemplateNotFound, TemplateSyntaxError):
        return False  # the page's own render reports it, with its file and line
    for name in names:
        if name == wanted:
            return True
        if name is not None and name not in seen:
            seen.add(name)
            if _references(env, name, wanted, seen):
                return True
    return False


def describe_template_error(exc: Exception, theme: Theme, job: PageJob) -> str:
    """A template mistake for the person who made it: `templates/product.html:3: what (while rendering /p/x/)`.

    The file is named as it is found on the search path: the site's own `templates/...`, or the theme's file (its
    path in the installed package) when the site does not override it.
    """
    page = "/" + job.path.removesuffix("index.html")
    if isinstance(exc, TemplateNotFound):
        return f"{theme.label(str(exc.name or job.template))}: no such template (needed to render {page})"
    if isinstance(exc, TemplateSyntaxError):
        where = f"{theme.label(exc.name or job.template)}:{exc.lineno}"
    else:
        found = _template_frame(exc, theme)
        where = f"{found[0]}:{found[1]}" if found else theme.label(job.template)
    what = (exc.message or type(exc).__name__) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
    return f"{where}: {what} (while rendering {page})"


def _raised_by_affsite(exc: BaseException) -> bool:
    frames = list(traceback.walk_tb(exc.__traceback__))
    if not frames:
        return False
    where = Path(frames[-1][0].f_code.co_filename).resolve()
    # The default theme lives inside the package too, but its templates are template code, not affsite's.
    return where.is_relative_to(_PACKAGE) and not where.is_relative_to(THEME_DIR)


_PACKAGE = Path(__file__).resolve().parent


def _template_frame(exc: BaseException, theme: Theme) -> tuple[str, int] | None:
    """The innermost traceback frame that is template code, as (the file as `Theme.label` names it, line).

    Jinja rewrites tracebacks so that template code shows as frames of the template file at its own line. Frames
    carry the path as the loader built it (not resolved); `label_of_file` resolves both sides before comparing, so
    a symlinked or relative templates folder still matches.
    """
    found: tuple[str, int] | None = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        label = theme.label_of_file(Path(frame.f_code.co_filename))
        if label is not None:
            found = (label, line)
    return found


def navigation(site: Site) -> list[NavLink]:
    """The header menu: categories, then pages with a nav_order, then site.yaml's `nav`.

    Legal pages are left out: the footer links them on every page, and the menu is where shoppers look for products.

    One link per URL: a `nav` entry to a page that is already in the menu is left out.
    """
    links = [NavLink(c.title, f"/{c.slug}/") for c in site.categories]
    links += [
        NavLink(p.meta.title, f"/{p.slug}/") for p in site.pages if p.meta.nav_order is not None and not p.meta.legal
    ]
    links += [NavLink(gettext("Guides"), "/guides/")] if site.guides else []
    links += [NavLink(n.title, n.url) for n in site.config.site.nav]
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return unique


def template_digests(env: Environment) -> dict[str, str]:
    """A digest per template of its source and of every template it extends, imports or includes.

    A page is re-rendered when the digest of its template changes, so editing category.html re-renders the category
    pages only, and editing base.html re-renders everything. The loader reads the file the search path finds first,
    so the digest follows the file actually used: adding `templates/product.html` to a site (or deleting it) changes
    the product pages' digest, as does a theme update under a template the site does not override.
    """
    loader = env.loader
    assert loader is not None
    own: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    for name in loader.list_templates():
        if not is_template(name):
            continue  # assets: published as they are (their URLs are in the settings digest)
        try:
            source, _, _ = loader.get_source(env, name)
        except UnicodeDecodeError as exc:
            raise ConfigError([_not_utf8_template(loader, name, exc)]) from None
        except OSError as exc:
            raise ConfigError([Problem(name, None, f"cannot be read: {exc.strerror or exc}")]) from None
        own[name] = hashlib.blake2b(source.encode(), digest_size=12).hexdigest()
        try:
            found = meta.find_referenced_templates(env.parse(source))
            refs[name] = sorted({r for r in found if r is not None})
        except TemplateSyntaxError:
            refs[name] = []  # rendering will report the error

    def closure(name: str, seen: set[str]) -> None:
        for ref in refs.get(name, []):
            if ref not in seen:
                seen.add(ref)
                closure(ref, seen)

    digests: dict[str, str] = {}
    for name in own:
        seen = {name}
        closure(name, seen)
        parts = "|".join(f"{n}={own.get(n, 'missing')}" for n in sorted(seen))
        digests[name] = hashlib.blake2b(parts.encode(), digest_size=12).hexdigest()
    return digests


def _not_utf8_template(loader: BaseLoader, name: str, exc: UnicodeDecodeError) -> Problem:
    """`templates/page.html:3: is not UTF-8 text ...`: the file as found on the loader's search path."""
    for folder in getattr(loader, "searchpath", []):
        path = Path(folder) / name
        try:
            data = path.read_bytes()
        except OSError:
            continue
        return not_utf8(data, exc, f"{Path(folder).name}/{name}")
    return Problem(name, None, "is not UTF-8 text; save the file with UTF-8 encoding")


class PageType(Protocol):
    """A kind of page beyond the core set (home, categories, products, Markdown pages): one module each.

    `jobs` lists its pages; each job's `inputs` must cover everything the page shows that is not a setting or a
    template, so that incremental builds equal clean ones. Register a type in `generate.page_types`.
    """

    def jobs(self, planner: Planner) -> list[PageJob]: ...


class Planner:
    """Builds the page jobs, computing each product's card, fingerprint and category lookups once."""

    def __init__(self, build: BuildContext, catalog: Catalog, page_types: Iterable[PageType] = ()) -> None:
        self.build = build
        self.catalog = catalog
        self.page_types = list(page_types)
        self.config = build.site.config
        self.by_slug = {c.slug: c for c in self.config.categories}
        self.order = {c.slug: i for i, c in enumerate(self.config.categories)}
        self.limits = {c.slug: self.config.freshness_hours(c) for c in self.config.categories}
        self.cards: dict[str, Card] = {}
        self.keys: dict[str, str] = {}
        self._default_image: str | None = None

    @property
    def default_image(self) -> str:
        """The picture shared for pages that have none of their own: the site's logo when it is a picture link
        previews show (PNG, JPEG, WebP; not SVG), else the newest listing's photo ("" if none)."""
        if self._default_image is None:
            logo = self.config.site.logo
            if logo and logo.lower().endswith((".png", ".jpg", ".jpeg", ".webp")) and logo in self.build.assets:
                self._default_image = self.config.site.root_url + self.build.assets[logo]
            else:
                self._default_image = next((p.image_url for p in self.newest() if p.image_url), "")
        return self._default_image

    def breadcrumbs(self, *trail: tuple[str, str]) -> dict[str, Any]:
        """BreadcrumbList JSON-LD from the home page down: (name, path) pairs after Home."""
        return breadcrumb_json_ld(self.config.site.root_url, [(self.config.site.title, "/"), *trail])

    def card(self, product: Product) -> Card:
        card = self.cards.get(product.item_id)
        if card is None or card.p is not product:
            limits = [self.limits[c] for c in product.categories if c in self.limits]
            limit = min(limits) if limits else self.config.site.freshness_hours
            card = Card(
                product,
                self.build.now - product.fetched_at > timedelta(hours=limit)
                or not self.catalog.withheld.isdisjoint(product.categories),
                int(limit * 3600),
                product.categories[0] if product.categories else "",
            )
            self.cards[product.item_id] = card
            self.keys[product.item_id] = product.fingerprint() + ("s" if card.stale else "f")
        return card

    def key(self, product: Product) -> str:
        """What a page shows of a product, as a digest (its data and whether its price is stale now)."""
        self.card(product)
        return self.keys[product.item_id]

    def newest(self) -> list[Product]:
        products = self.catalog.products.values()
        return sorted(products, key=lambda p: (p.listed_at or p.fetched_at, p.item_id), reverse=True)

    def jobs(self) -> list[PageJob]:
        site = self.build.site
        config = self.config
        jobs: list[PageJob] = []
        featured = [c for c in site.categories if c.featured]
        home_sections = [(c, self.catalog.by_category.get(c.slug, [])[:4]) for c in featured]
        # "Newly listed" leaves out what a section above already shows: one listing appears once on the page.
        shown = {p.item_id for _, ps in home_sections for p in ps}
        home_products = [p for p in self.newest() if p.item_id not in shown][: config.site.home_new_items]
        home_image = next((p.image_url for _, ps in home_sections for p in ps if p.image_url), self.default_image)
        featured_guides = [g for g in site.guides if g.meta.featured]
        jobs.append(
            PageJob(
                "index.html",
                "home.html",
                {
                    "sections": [{"category": c, "products": [self.card(p) for p in ps]} for c, ps in home_sections],
                    "newest": [self.card(p) for p in home_products],
                    "canonical": "/",
                    "title": config.site.title,
                    "description": config.site.description,
                    "og_image": home_image,
                    "structured_data": site_json_ld(
                        config.site,
                        search_path="/search/" if config.site.search else None,  # search_page.py
                    ),
                    "guides": featured_guides,
                },
                "the home page",
                [self.key(p) for _, ps in home_sections for p in ps]
                + [self.key(p) for p in home_products]
                + [home_image, summary_digest(featured_guides)],
            )
        )
        for category in site.categories:
            jobs.extend(self.category_pages(category, self.catalog.by_category.get(category.slug, [])))
        for product in self.catalog.products.values():
            jobs.append(self.product_page(product))
        for page in site.pages:
            jobs.append(
                PageJob(
                    f"{page.slug}/index.html",
                    "page.html",
                    {
                        "page": page,
                        "canonical": f"/{page.slug}/",
                        "title": page.meta.title,
                        "description": page.meta.description,
                        "og_image": self.default_image,
                        "structured_data": [self.breadcrumbs((page.meta.title, f"/{page.slug}/"))],
                    },
                    page.source,
                    [hashlib.blake2b(page.html.encode(), digest_size=12).hexdigest(), self.default_image],
                )
            )
        jobs.append(
            PageJob(
                "404.html",
                "404.html",
                {
                    "canonical": None,
                    "title": gettext("Page not found"),
                    "description": "",
                    "og_image": self.default_image,
                },
                "the 404 page",
                [self.default_image],
            )
        )
        if config.site.newsletter:
            jobs.append(
                PageJob(
                    "newsletter/thanks/index.html",
                    "thanks.html",
                    {
                        "canonical": None,
                        "title": gettext("Check your inbox"),
                        "description": "",
                        "og_image": self.default_image,
                    },
                    "the newsletter thank-you page",
                    [self.default_image],
                )
            )
        for page_type in self.page_types:
            jobs.extend(page_type.jobs(self))
        check_unique_paths(jobs)
        return jobs

    def category_pages(self, category: CategoryConfig, products: list[Product]) -> list[PageJob]:
        per_page = self.config.site.items_per_page
        count = max(1, math.ceil(len(products) / per_page))
        slug = category.slug
        intro = self.build.site.intros.get(slug, "")
        intro_key = hashlib.blake2b(intro.encode(), digest_size=12).hexdigest()
        guides = [g for g in self.build.site.guides if slug in g.meta.categories]
        guides_key = summary_digest(guides)
        jobs = []
        for number in range(1, count + 1):
            chunk = products[(number - 1) * per_page : number * per_page]
            path = f"/{slug}/" if number == 1 else f"/{slug}/page/{number}/"
            pagination = {
                "number": number,
                "count": count,
                "prev": None if number == 1 else (f"/{slug}/" if number == 2 else f"/{slug}/page/{number - 1}/"),
                "next": None if number == count else f"/{slug}/page/{number + 1}/",
            }
            title, description, trail = category.title, category.description, [(category.title, f"/{slug}/")]
            if not description:
                description = gettext("Current %(category)s listings on eBay.") % {"category": category.title}
            if number > 1:
                title, description, crumb = paged(title, description, number, count)
                trail.append((crumb, path))
            image = next((p.image_url for p in chunk if p.image_url), self.default_image)
            jobs.append(
                PageJob(
                    path.lstrip("/") + "index.html",
                    "category.html",
                    {
                        "category": category,
                        "intro": Markup(intro),  # noqa: S704 - Markdown with raw HTML escaped
                        "products": [self.card(p) for p in chunk],
                        "pagination": pagination,
                        "canonical": path,
                        "title": title,
                        "description": description,
                        "total": len(products),
                        "og_image": image,
                        "structured_data": [self.breadcrumbs(*trail)],
                        "guides": guides,
                    },
                    category.source or f"content/categories/{slug}.yaml",
                    [intro_key, str(len(products)), image, guides_key] + [self.key(p) for p in chunk],
                )
            )
        return jobs

    def product_page(self, product: Product) -> PageJob:
        config = self.config
        by_slug = self.by_slug
        # Categories in site order (the order of config.categories), as the page lists them.
        categories = sorted(
            (by_slug[s] for s in set(product.categories) if s in by_slug),
            key=lambda c: self.order[c.slug],
        )
        primary = categories[0] if categories else None
        related: list[Product] = []
        if primary is not None:
            head = self.catalog.by_category.get(primary.slug, [])[:5]
            related = [p for p in head if p.item_id != product.item_id][:4]
        card = self.card(product)
        context = {
            "product": card,
            "categories": categories,
            "primary": primary,
            "related": [self.card(p) for p in related],
            "json_ld": product_json_ld(
                product,
                config.site.root_url,
                with_offer=not card.stale,
                valid_until=product.fetched_at + timedelta(seconds=card.max_age),
            ),
            "canonical": product.path,
            "title": product.title,
            "description": _product_description(product),
            "og_image": product.image_url or "",
            "structured_data": [
                self.breadcrumbs(
                    *([(primary.title, f"/{primary.slug}/")] if primary else []), (product.title, product.path)
                )
            ],
        }
        return PageJob(
            f"p/{product.slug}/index.html",
            "product.html",
            context,
            f"eBay item {product.item_id}",
            [self.key(product)] + [self.key(p) for p in related],
        )


def paged(title: str, description: str, number: int, count: int) -> tuple[str, str, str]:
    """Page 2+ of a list: its title, its description and its breadcrumb's name. Each page gets a description of its
    own: search engines treat pages with one description as duplicates."""
    values = {"title": title, "number": number, "count": count}
    # Translators: a page title, "Cameras (page 2 of 5)".
    paged_title = gettext("%(title)s (page %(number)s of %(count)s)") % values
    page_of = gettext("Page %(number)s of %(count)s") % values
    # Translators: a meta description followed by the page's number, "Current Cameras listings on eBay. Page 2 of 5."
    paged_description = gettext("%(description)s %(page_of)s.") % {"description": description, "page_of": page_of}
    return paged_title, paged_description, gettext("Page %(number)s") % values


def plan_pages(build: BuildContext, catalog: Catalog, page_types: Iterable[PageType] = ()) -> list[PageJob]:
    """Every page of the site as a job (the feed, sitemap and robots.txt are made separately)."""
    return Planner(build, catalog, page_types).jobs()


def _product_description(product: Product) -> str:
    """The meta description (and og:description): never a price.

    Search engines and link previews keep this text for weeks, long after a price shown here would be wrong; the
    price is shown in the page's price box (with its age, hidden once stale) and in the JSON-LD Offer, which says
    until when it holds (priceValidUntil).
    """
    # The condition as the page shows it: eBay's bare grade "Good" is "Used – Good", in the page's language.
    condition = condition_label(product.condition, product.condition_id)
    values = {"title": product.title, "condition": condition}
    if product.is_auction:
        if condition:
            return gettext("%(title)s: %(condition)s, auction on eBay. See the current price and details.") % values
        return gettext("%(title)s: auction on eBay. See the current price and details.") % values
    if condition:
        return gettext("%(title)s: %(condition)s, Buy It Now on eBay. See the current price and details.") % values
    return gettext("%(title)s: Buy It Now on eBay. See the current price and details.") % values


def product_json_ld(
    product: Product, root_url: str, *, with_offer: bool = True, valid_until: datetime | None = None
) -> dict[str, Any]:
    """schema.org Product; the Offer (price) only while the price is fresh enough to be shown on the page.

    `valid_until`: when the price stops being shown (fetch time + freshness limit); an auction's end, if sooner.
    """
    offer: dict[str, Any] = {
        "@type": "Offer",
        "url": product.url,
        "price": str(product.price.amount),
        "priceCurrency": product.price.currency,
        "availability": "https://schema.org/InStock",
    }
    until = [m for m in (valid_until, product.ends_at) if m is not None]
    if until:
        offer["priceValidUntil"] = iso(min(until))
    if product.seller:
        offer["seller"] = {"@type": "Organization", "name": product.seller}
    condition = schema_condition(product.condition_id, product.condition)
    if condition is not None:
        offer["itemCondition"] = condition
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "sku": product.item_id,
        "url": root_url + product.path,
    }
    if with_offer:
        data["offers"] = offer
    if product.image_url:
        data["image"] = product.image_url
    return data


def breadcrumb_json_ld(root_url: str, trail: list[tuple[str, str]]) -> dict[str, Any]:
    """schema.org BreadcrumbList: (name, path) from the home page down to the page itself."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": root_url + path}
            for i, (name, path) in enumerate(trail, start=1)
        ],
    }


def site_json_ld(site: SiteConfig, *, search_path: str | None = None) -> list[dict[str, Any]]:
    """The home page's WebSite and Organization. With `search_path` (a search page taking `?q=`), a SearchAction."""
    root = site.root_url
    organization: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": f"{root}/#organization",
        "name": site.title,
        "url": f"{root}/",
    }
    website: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "@id": f"{root}/#website",
        "name": site.title,
        "url": f"{root}/",
        "inLanguage": site.lang,
        "publisher": {"@id": f"{root}/#organization"},
    }
    if site.description:
        website["description"] = site.description
    if search_path is not None:
        website["potentialAction"] = {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": f"{root}{search_path}?q={{search_term_string}}"},
            "query-input": "required name=search_term_string",
        }
    return [website, organization]


def check_unique_paths(jobs: Iterable[PageJob]) -> None:
    seen: dict[str, str] = {}
    clashes: list[str] = []
    for job in jobs:
        if job.path in seen:
            clashes.append(f"/{job.path}: both {seen[job.path]} and {job.source} would be written here")
        else:
            seen[job.path] = job.source
    if clashes:
        raise BuildError("two pages map to one path:\n  " + "\n  ".join(clashes))


def sitemap_xml(
    root_url: str, jobs: Iterable[PageJob], alternates: Mapping[str, list[tuple[str, str]]] | None = None
) -> bytes:
    """Every page with a canonical URL, except those that ask search engines not to index them; with `alternates`
    (a site with editions: per page path, (hreflang, URL) of the page in every edition), each page's alternates."""
    alternates = alternates or {}
    urls = sorted(
        (root_url + j.context["canonical"], j.context.get("lastmod"), j.path)
        for j in jobs
        if j.context.get("canonical") and not j.context.get("noindex")
    )
    body = "".join(
        f"<url><loc>{html.escape(u, quote=False)}</loc>"
        + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "")  # pages that know it: guides
        + "".join(
            f'<xhtml:link rel="alternate" hreflang="{lang}" href="{html.escape(href)}"/>'
            for lang, href in alternates.get(path, ())
        )
        + "</url>\n"
        for u, lastmod, path in urls
    )
    namespaces = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if alternates:
        namespaces += ' xmlns:xhtml="http://www.w3.org/1999/xhtml"'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n' + body + "</urlset>\n").encode()


def robots_txt(root_url: str, demo: bool, sitemaps: Iterable[str] = ("/sitemap.xml",)) -> bytes:
    if demo:
        return b"# Demo data: keep this site out of search engines.\nUser-agent: *\nDisallow: /\n"
    lines = "".join(f"Sitemap: {root_url}{path}\n" for path in sitemaps)
    return f"User-agent: *\nDisallow: /go/\nDisallow: /api/\n{lines}".encode()


def feed_jobs(build: BuildContext, catalog: Catalog) -> PageJob:
    planner = Planner(build, catalog)
    newest = planner.newest()[:FEED_SIZE]
    guides = build.site.guides[:FEED_GUIDES]
    updated = max((p.listed_at or p.fetched_at for p in newest), default=build.now)
    if guides:
        guide_time = max(datetime.combine(g.meta.modified, time(0, 0), tzinfo=UTC) for g in guides)
        updated = max(updated, guide_time) if newest else guide_time
    return PageJob(
        "feed.xml",
        "feed.xml",
        {"entries": [planner.card(p) for p in newest], "updated": updated, "canonical": None, "guides": guides},
        "the Atom feed",
        [planner.key(p) for p in newest] + ([] if newest else [iso(build.now)]) + [summary_digest(guides)],
    )
