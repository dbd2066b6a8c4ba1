"""The content model: site.yaml and content/categories/*.yaml, validated by pydantic.

Every option is declared once, with its type, default and what it means. Models forbid unknown keys, so a typo is
reported (with a "did you mean") instead of silently ignored. Loading never stops at the first mistake: `load_config`
collects every problem in every file and raises one ConfigError with all of them, each as `file:line: message`.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ConfigError, Problem
from .marketplaces import MARKETPLACES, Marketplace
from .yamlsource import YamlDocument, load_yaml_file

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SEARCH_RESULTS = 10_000  # eBay stops a result set at 10,000 items
MAX_Q_LENGTH = 100
# site.yaml `logo` and `favicon`: a file inside templates/assets/ (letters, digits, - _ . and folders).
_ASSET_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_./-]*")
_LOGO_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
_FAVICON_TYPES = (".svg", ".png", ".ico")
# site.yaml `language`: a language, or a language and a country (BCP 47 as eBay and CLDR write them: en, de-AT).
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


M = TypeVar("M", bound=BaseModel)


class NavLink(_Model):
    title: str = Field(min_length=1, max_length=60)
    """The link text in the site's navigation."""
    url: str = Field(min_length=1, max_length=500)
    """A path on the site (`/about/`) or a full https URL."""

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        if not (value.startswith("/") and not value.startswith("//")) and not value.startswith("https://"):
            raise ValueError("must be a path starting with / or an https:// URL")
        return value


class ApiSettings(_Model):
    calls_per_build: int = Field(default=500, ge=0, le=100_000)
    """The most Browse calls one build may make (retries included)."""
    daily_quota: int = Field(default=5000, ge=0, le=10_000_000)
    """The application's daily Browse quota; resets at midnight US Pacific time."""
    concurrency: int = Field(default=4, ge=1, le=32)
    """How many Browse calls may be in flight at once."""
    timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    """How long one call may take before it counts as failed (and is retried)."""
    retries: int = Field(default=3, ge=0, le=10)
    """How many times a failed call (429, 5xx, timeout) is tried again."""
    environment: Literal["production", "sandbox"] = "production"
    """Which eBay environment the credentials belong to."""
    breaker_failures: int = Field(default=3, ge=1, le=100)
    """After this many failed attempts in a row of one kind (timeouts, 5xx, connection errors) a build stops calling
    eBay and serves the cache."""
    fetch_deadline_seconds: float = Field(default=300.0, gt=0, le=3600)
    """The longest the whole eBay phase of a build may take; calls still waiting then are not made."""


class NewsletterMail(_Model):
    epn_email_approved: bool = False
    """True only once EPN has approved in writing that you promote eBay by e-mail (the EPN network agreement
    requires prior written approval for e-mail); until then `affsite newsletter send` refuses to send."""
    postal_address: str = Field(default="", max_length=300)
    """The sender's name and postal address, printed in every newsletter's footer (CAN-SPAM, and the identification
    the GDPR and ePrivacy rules expect)."""
    max_items: int = Field(default=12, ge=1, le=50)
    """At most this many listings in one digest (the newest first)."""


def _known_language(value: str) -> str:
    from .formatting import known_locale  # Babel only when there is a language to check: a fast no-change build

    if not known_locale(value):
        raise ValueError(f"{value!r} is not a language and region Babel (CLDR) knows; e.g. en, en-GB, de-DE, fr-BE")
    return value


def _known_timezone(value: str) -> str:
    from .formatting import known_time_zone

    if not known_time_zone(value):
        raise ValueError(f"{value!r} is not an IANA time zone; e.g. Europe/Berlin, America/New_York, UTC")
    return value


def _known_marketplace(value: str) -> str:
    if value not in MARKETPLACES:
        raise ValueError(f"must be one of {', '.join(MARKETPLACES)}")
    return value


MarketplaceId = Annotated[str, AfterValidator(_known_marketplace)]
LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$"), AfterValidator(_known_language)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]

_EDITION_KEY = r"^[a-z][a-z0-9-]{0,15}$"
_EDITION_PATH = re.compile(r"^/(?:[a-z0-9]+(?:-[a-z0-9]+)*/)?$")


class EditionConfig(_Model):
    """One edition of the site (`editions:` in site.yaml): the same content for another eBay marketplace."""

    marketplace: MarketplaceId
    """The eBay marketplace this edition's listings come from; sets its currency and EPN rotation id."""
    lang: LanguageTag | None = None
    """The edition's language (`de-DE`); defaults to the marketplace's."""
    path: str = "/"
    """Where the edition is served: `/` (exactly one edition: the x-default) or `/<segment>/`."""
    timezone: TimeZoneName | None = None
    """The IANA time zone of the edition's dates; defaults to the marketplace's."""
    title: str | None = Field(default=None, min_length=1, max_length=80)
    """The site's name in this edition; defaults to site.yaml's `title`."""
    description: str | None = Field(default=None, max_length=300)
    """The home page's meta description in this edition; defaults to site.yaml's `description`."""

    @field_validator("path")
    @classmethod
    def _path_form(cls, value: str) -> str:
        if not _EDITION_PATH.match(value):
            raise ValueError(f"{value!r} must be / or one segment of lower-case letters, digits and dashes: /de/")
        return value


class SiteConfig(_Model):
    title: str = Field(min_length=1, max_length=80)
    """The site's name, shown in every page's header and title."""
    base_url: AnyHttpUrl
    """The public URL the site is served from (canonical links, sitemap, feed)."""
    description: str = Field(default="", max_length=300)
    """The home page's meta description."""
    marketplace: MarketplaceId = "EBAY_US"
    """The eBay marketplace listings come from; sets currency, locale and EPN rotation id."""
    language: LanguageTag | None = None
    """The pages' language (`en`, `de-DE`); defaults to the marketplace's. Sets the words (message catalogs in
    builder/theme/locales/) and how numbers, prices and dates are written (CLDR)."""
    timezone: TimeZoneName | None = None
    """The IANA time zone the pages' dates and times are shown in (`Europe/Berlin`); defaults to the marketplace's."""
    campaign_id: str = Field(default="", pattern=r"^(\d{10})?$")
    """The 10-digit EPN campaign id; `EBAY_CAMPAIGN_ID` in the environment overrides it. Empty: untracked links."""
    freshness_hours: float = Field(default=6.0, gt=0, le=6.0)
    """How old listing data may be before a page stops showing its price (eBay allows at most 6 hours)."""
    rebuild_every_hours: float = Field(default=6.0, gt=0, le=168)
    """How often the scheduled rebuild runs (the shipped workflow: every 6 hours). A build refreshes every request
    whose data would pass freshness_hours before the next scheduled build, so prices stay visible in between."""
    items_per_page: int = Field(default=24, ge=1, le=200)
    """Products per category page."""
    home_new_items: int = Field(default=12, ge=0, le=100)
    """How many newly listed products the home page shows."""
    ended_days: int = Field(default=14, ge=0, le=365)
    """Days a listing's page says "this listing has ended" after it left the site; then its URL answers 410 Gone."""
    api: ApiSettings = ApiSettings()
    """eBay Browse API settings."""
    cache_dir: str = ".cache"
    """Where fetched eBay answers, the call ledger and the build state are kept between builds."""
    endpoint_url: AnyHttpUrl | None = None
    """The click/subscribe endpoint (`affsite endpoint`); empty: no click beacon and no newsletter form."""
    newsletter: bool = False
    """Show the newsletter sign-up form (needs endpoint_url)."""
    newsletter_mail: NewsletterMail = Field(default_factory=lambda: NewsletterMail())
    """What `affsite newsletter send` needs: EPN's approval, the sender's postal address; see docs/operating.md."""
    search: bool = True
    """A site search (Pagefind): a search box on every page and a /search/ page. Its index is made again on every
    build in which what a listing is found by changed (a price, a new listing), which costs more than half as much
    CPU as rendering the pages (BENCHMARKS.md): off for very big sites."""
    nav: list[NavLink] = Field(default_factory=list, max_length=20)
    """Extra navigation links; categories and pages with a nav_order are added by themselves."""
    logo: str = ""
    """A picture in the site's `templates/assets/` folder (`img/logo.png`) shown before the title in the header; a
    PNG, JPEG or WebP logo is also the picture shared for pages without one of their own (og:image)."""
    favicon: str = "favicon.svg"
    """The tab icon: a file in `templates/assets/` (`.svg`, `.png` or `.ico`); the default is the theme's own."""
    editions: dict[Annotated[str, Field(pattern=_EDITION_KEY)], EditionConfig] | None = Field(
        default=None, min_length=1, max_length=20
    )
    """The site in several eBay marketplaces: a short key (`us`, `de`) per edition, each with its marketplace and
    where it is served (docs/editing.md, "Editions"). Left out: one edition, from the settings above."""

    @field_validator("base_url")
    @classmethod
    def _base_url_no_query(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.query or value.fragment:
            raise ValueError("must not have a query (?...) or fragment (#...)")
        return value

    @field_validator("logo", "favicon")
    @classmethod
    def _asset_name(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            if info.field_name == "favicon":
                raise ValueError("must name a file in templates/assets/ (leave it out for the theme's icon)")
            return value
        allowed = _LOGO_TYPES if info.field_name == "logo" else _FAVICON_TYPES
        if not _ASSET_NAME.fullmatch(value) or ".." in value.split("/"):
            raise ValueError(f"{value!r} must be a path inside templates/assets/, like img/{info.field_name}.png")
        if not value.lower().endswith(allowed):
            raise ValueError(f"{value!r} must be a {', '.join(allowed)} file")
        return value

    @model_validator(mode="after")
    def _editions_paths(self) -> SiteConfig:
        if not self.editions:
            return self
        roots = [key for key, edition in self.editions.items() if edition.path == "/"]
        if len(roots) != 1:
            named = f" ({', '.join(roots)})" if roots else ""
            raise ValueError(f"editions: exactly one edition must be served at / (path left out){named}")
        seen: dict[str, str] = {}
        for key, edition in self.editions.items():
            if edition.path in seen:
                raise ValueError(f"editions: {key} and {seen[edition.path]} have the same path {edition.path}")
            seen[edition.path] = key
        return self

    @model_validator(mode="after")
    def _newsletter_needs_endpoint(self) -> SiteConfig:
        if self.newsletter and self.endpoint_url is None:
            raise ValueError("newsletter: true needs endpoint_url (the subscribe form posts there)")
        return self

    @property
    def market(self) -> Marketplace:
        return MARKETPLACES[self.marketplace]

    @property
    def default_market(self) -> Marketplace:
        """The marketplace of the edition at / (of the site, without editions): the currency of category prices."""
        if self.editions:
            return next(MARKETPLACES[e.marketplace] for e in self.editions.values() if e.path == "/")
        return self.market

    @property
    def lang(self) -> str:
        return self.language or self.market.locale

    @property
    def tz(self) -> str:
        """The time zone the pages show times in: `timezone`, else the marketplace's."""
        return self.timezone or self.market.timezone

    @property
    def root_url(self) -> str:
        """The base URL without its trailing slash, for joining with paths that start with /."""
        return str(self.base_url).rstrip("/")


Condition = Literal["new", "open_box", "refurbished", "used", "for_parts"]
BuyingOption = Literal["buy_it_now", "auction", "best_offer"]
Sort = Literal["best_match", "price", "-price", "newly_listed", "ending_soonest"]

# Editor-friendly names to eBay's conditionIds (Browse `filter=conditionIds:{...}`).
CONDITION_IDS: dict[str, tuple[int, ...]] = {
    "new": (1000,),
    "open_box": (1500,),
    "refurbished": (2000, 2010, 2020, 2030, 2500),
    "used": (2750, 3000, 4000, 5000, 6000),
    "for_parts": (7000,),
}
BUYING_OPTIONS: dict[str, str] = {"buy_it_now": "FIXED_PRICE", "auction": "AUCTION", "best_offer": "BEST_OFFER"}
SORTS: dict[str, str | None] = {
    "best_match": None,
    "price": "price",
    "-price": "-price",
    "newly_listed": "newlyListed",
    "ending_soonest": "endingSoonest",
}


def _buy_it_now_only() -> list[BuyingOption]:
    return ["buy_it_now"]  # eBay's own default: Browse returns only fixed-price listings unless asked


ItemId = Annotated[str, Field(pattern=r"^(v1\|\d{6,19}\|\d{1,19}|\d{6,19})$")]


class SearchFilters(_Model):
    """The filters of one Browse search, the same in a category file and in a guide's block (guides.py)."""

    q: str | None = Field(default=None, min_length=1, max_length=MAX_Q_LENGTH)
    """Browse keywords: a space is AND, `(a, b)` is OR."""
    category_id: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    """One eBay category id."""
    min_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    max_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    conditions: list[Condition] = Field(default_factory=list, max_length=5)
    buying_options: list[BuyingOption] = Field(default_factory=_buy_it_now_only, min_length=1, max_length=3)
    free_shipping: bool = False
    exclude_sellers: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=250
    )
    exclude_keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50
    )
    """Listings whose title contains one of these words (any case) are left out."""
    sort: Sort = "best_match"


class CategoryEdition(_Model):
    """What a category changes in one edition (`editions: {de: {...}}` in its file); the rest is inherited."""

    title: str | None = Field(default=None, min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=300)
    intro: str | None = Field(default=None, max_length=20_000)
    q: str | None = Field(default=None, min_length=1, max_length=MAX_Q_LENGTH)
    min_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    """In the edition's currency."""
    max_price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    """In the edition's currency."""


class CategoryConfig(SearchFilters):
    slug: str = Field(exclude=True)
    """From the file name: content/categories/<slug>.yaml."""
    source: str = Field(default="", exclude=True)
    """The file it was read from, for messages."""
    title: str = Field(min_length=1, max_length=80)
    """The category's heading and page title."""
    description: str = Field(default="", max_length=300)
    """The category page's meta description."""
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    """Currency of the price range; defaults to the marketplace's."""
    items: int = Field(default=48, ge=1, le=MAX_SEARCH_RESULTS)
    """How many listings to show; more than 200 takes several calls."""
    intro: str = Field(default="", max_length=20_000)
    """Markdown shown above the listings."""
    order: int = 100
    """Position in navigation and on the home page (lower first)."""
    featured: bool = False
    """Shown on the home page."""
    pinned: list[ItemId] = Field(default_factory=list, max_length=50)
    """Item ids shown first when present in the results."""
    freshness_hours: float | None = Field(default=None, gt=0, le=6.0)
    """Overrides site.yaml's freshness_hours for this category."""
    editions: dict[str, CategoryEdition] = Field(default_factory=dict, max_length=20)
    """Per edition key of site.yaml's `editions`: the title, description, intro, q and price range there."""

    @model_validator(mode="after")
    def _coherent(self) -> CategoryConfig:
        if self.q is None and self.category_id is None:
            raise ValueError("needs q (keywords) or category_id, or both")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) is more than max_price ({self.max_price})")
        return self

    @property
    def pinned_legacy_ids(self) -> list[str]:
        return [p.split("|")[1] if p.startswith("v1|") else p for p in self.pinned]


class Config(BaseModel):
    """Everything a build reads from files: site settings and categories (pages live in content.py)."""

    model_config = ConfigDict(frozen=True)

    root: Path
    site: SiteConfig
    categories: list[CategoryConfig]
    lookups: tuple[str, ...] = ()
    """Legacy ids of single listings the content asks for by id (guides' product boxes and comparison columns):
    one `getItem` each, through the same cache and budget as the searches (guides.data_config adds them)."""

    def freshness_hours(self, category: CategoryConfig) -> float:
        return category.freshness_hours or self.site.freshness_hours


# --- loading -------------------------------------------------------------------------------------------------

_PLAIN_MESSAGES = {
    "decimal_parsing": "is not a number",
    "decimal_type": "is not a number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "int_from_float": "is not a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "missing": "is required",
    "url_parsing": "is not a URL",
    "url_scheme": "must start with http:// or https://",
}


def cache_dir_for(root: Path, override: Path | None = None, settings: SiteConfig | None = None) -> Path:
    """The cache folder, decided here for the build and the preview alike: `--cache-dir` as given, else site.yaml's
    `cache_dir` (relative to the site folder). Without `settings` site.yaml is read for it; a site.yaml with
    mistakes gives the default, `.cache`."""
    if override is not None:
        return override.resolve()
    if settings is None:
        settings = _load_model(root, root / "site.yaml", SiteConfig, {}, [])
    configured = settings.cache_dir if settings is not None else str(SiteConfig.model_fields["cache_dir"].default)
    return (root / configured).resolve()


def load_config(root: Path) -> Config:
    """Read site.yaml and every content/categories/*.yaml under `root`; all mistakes at once in a ConfigError."""
    problems: list[Problem] = []
    site = _load_model(root, root / "site.yaml", SiteConfig, {}, problems)

    categories: list[CategoryConfig] = []
    category_dir = root / "content" / "categories"
    files = sorted(category_dir.glob("*.yaml")) + sorted(category_dir.glob("*.yml"))
    seen: dict[str, str] = {}
    for path in files:
        slug = path.stem
        display = _display(root, path)
        if slug in seen:
            problems.append(Problem(display, None, f"has the same URL /{slug}/ as {seen[slug]}; keep one of them"))
            continue
        seen[slug] = display
        if not SLUG_RE.match(slug):
            problems.append(
                Problem(display, None, "the file name must be lower-case letters, digits and dashes (it is the URL)")
            )
            continue
        category = _load_model(root, path, CategoryConfig, {"slug": slug, "source": display}, problems)
        if category is not None:
            categories.append(category)
    if not files and category_dir.is_dir():
        problems.append(Problem(_display(root, category_dir), None, "has no category files (*.yaml)"))

    if site is not None:
        market = site.default_market
        for category in categories:
            if category.currency and category.currency != market.currency:
                problems.append(
                    Problem(
                        category.source,
                        None,
                        f"currency: {category.currency} differs from {market.id}'s {market.currency}",
                    )
                )
    if problems or site is None:
        raise ConfigError(problems)
    categories.sort(key=lambda c: (c.order, c.slug))
    return Config(root=root, site=site, categories=categories)


def _display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _load_model(root: Path, path: Path, model: type[M], extra: dict[str, Any], problems: list[Problem]) -> M | None:
    display = _display(root, path)
    if not path.is_file():
        problems.append(Problem(display, None, "is missing"))
        return None
    doc = load_yaml_file(path, display)
    return validate_document(doc, model, extra, problems)


def validate_document(doc: YamlDocument, model: type[M], extra: dict[str, Any], problems: list[Problem]) -> M | None:
    """Validate a parsed YAML document against `model`, turning pydantic's errors into file:line problems."""
    problems.extend(doc.problems)
    if doc.problems and doc.data is None:
        return None
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        problems.append(Problem(doc.file, doc.line_of(()), "must be a mapping of keys to values (key: value)"))
        return None
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.append(_problem_from(doc, model, error))
        return None


def _problem_from(doc: YamlDocument, model: type[BaseModel], error: Any) -> Problem:
    loc = tuple(part for part in error["loc"] if isinstance(part, int) or "[" not in str(part))
    field_name = ".".join(str(p) for p in loc)
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        message = f"{field_name}: unknown key"
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        message += f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(sorted(known))}"
    elif kind == "literal_error":
        message = f"{field_name}: {given!r} is not allowed; expected {error['ctx']['expected']}"
    elif kind in _PLAIN_MESSAGES and kind != "missing":
        message = f"{field_name}: {_show(given)} {_PLAIN_MESSAGES[kind]}"
    elif kind == "missing":
        message = f"{field_name}: is required"
    elif kind == "value_error":
        text = str(error["msg"]).removeprefix("Value error, ")
        message = f"{field_name}: {text}" if field_name else text
    elif kind in ("string_too_long", "too_long"):
        message = f"{field_name}: is too long (at most {error['ctx'].get('max_length')})"
    elif kind in ("string_too_short", "too_short"):
        message = f"{field_name}: is too short (at least {error['ctx'].get('min_length')})"
    elif kind == "string_pattern_mismatch":
        message = f"{field_name}: {_show(given)} is not in the expected form"
    else:
        message = f"{field_name}: {_show(given)}: {error['msg'][0].lower()}{error['msg'][1:]}"
    line = doc.line_of(loc)
    if not loc and isinstance(doc.data, dict):
        # A rule about several keys (min_price > max_price): point at the first key the message names.
        named = [key for key in doc.data if isinstance(key, str) and re.search(rf"\b{re.escape(key)}\b", message)]
        if named:
            line = doc.line_of((named[0],))
    return Problem(doc.file, line, message)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` inside `model`, following nested models (for "did you mean")."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if get_origin(current) is dict:  # `editions: {de: {...}}`: `de` is a key of the mapping, not a field
            current = get_args(current)[1]
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
        inner = [a for a in options if get_origin(a) is dict or (isinstance(a, type) and issubclass(a, BaseModel))]
        if not inner:
            inner = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = inner[0] if inner else annotation
    fields = getattr(current, "model_fields", {})
    return [name for name, f in fields.items() if not f.exclude]
