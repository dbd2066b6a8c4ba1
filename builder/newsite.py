"""`affsite new DIR`: a working site folder that builds at once from the demo catalog.

The files are package data in `builder/scaffold/`, written as they are with two exceptions: a path part named
`dot-x` is written as `.x` (`dot-github/` -> `.github/`, `dot-gitignore` -> `.gitignore`; package data globs skip
hidden files, so the wheel would lose them), and `@AFFSITE_VERSION@` becomes the installed affsite's version, so the
new site's requirements.txt pins the affsite it was made with. `--theme-copy` adds the default theme's templates
and assets as `templates/`, for those who want to own every file.

Languages: the files at the top of `builder/scaffold/` are the English site. `builder/scaffold/locales/<lang>/`
holds the files of a site in another language, by the same paths (`locales/de/content/pages/privacy.md` is a German
site's `content/pages/privacy.md`); they replace the English file of the same path or add one (the Impressum). A
folder for a country (`de_AT`, as the theme's message catalogs are named) goes over its language's (`de`), so only
what differs there is in it. `--lang`/`--marketplace` choose the folder and go into site.yaml.
"""

from __future__ import annotations

import re
import shlex
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml

from .config import LANGUAGE_PATTERN
from .errors import UsageError
from .legal import placeholders
from .marketplaces import MARKETPLACES, Marketplace
from .themes import LOCALES, SITE_TEMPLATES, THEME_DIR, Theme

SCAFFOLD_DIR = Path(__file__).resolve().parent / "scaffold"
SCAFFOLD_LOCALES = SCAFFOLD_DIR / LOCALES
VERSION_MARK = "@AFFSITE_VERSION@"
DOT = "dot-"
SOURCE_LANGUAGE = "en"  # the files at the top of the scaffold
DEFAULT_MARKETPLACE = "EBAY_US"


@dataclass(frozen=True)
class Created:
    root: Path
    files: list[str]  # relative paths written, in order


@dataclass(frozen=True)
class SiteLanguage:
    """What `--lang` and `--marketplace` decide for a new site."""

    marketplace: Marketplace
    language: str | None  # written into site.yaml; None: the marketplace's own (site.yaml leaves it out)
    pages: str  # the scaffold's locales/ folder the pages come from, most specific (`de_AT`), or "en"

    @property
    def lang(self) -> str:
        return self.language or self.marketplace.locale


def scaffold_languages() -> list[str]:
    """The languages and countries the scaffold has files for: `en` and every `locales/` folder (`de`, `de_AT`)."""
    folders = SCAFFOLD_LOCALES.iterdir() if SCAFFOLD_LOCALES.is_dir() else iter(())
    return sorted({SOURCE_LANGUAGE} | {f.name for f in folders if f.is_dir() and f.name != "__pycache__"})


_PAGE_VARIANT = re.compile(r"^content/pages/[a-z0-9-]+\.[a-z]{2,3}(?:-[A-Z]{2})?\.md$")


def scaffold_files(pages: str = SOURCE_LANGUAGE) -> dict[str, Path]:
    """The new site's files: path inside the site ("/"-separated, dotfiles restored) -> the package data file.

    `pages`: a `locales/` folder name (`de_AT`); its language's folder (`de`) and then its own go over the English
    files."""
    files = _files_under(SCAFFOLD_DIR, skip=SCAFFOLD_LOCALES)
    if pages != SOURCE_LANGUAGE:
        # The demo's German edition's pages (privacy.de.md...): a site for one other marketplace has no editions,
        # its pages are the chosen language's, below.
        files = {name: path for name, path in files.items() if not _PAGE_VARIANT.match(name)}
    language = pages.split("_")[0]
    for folder in dict.fromkeys((language, pages)):  # the language, then the country over it
        if folder != SOURCE_LANGUAGE and (SCAFFOLD_LOCALES / folder).is_dir():
            files.update(_files_under(SCAFFOLD_LOCALES / folder))
    return dict(sorted(files.items()))


def _files_under(root: Path, skip: Path | None = None) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or "__pycache__" in relative.parts or (skip is not None and path.is_relative_to(skip)):
            continue
        files["/".join("." + p.removeprefix(DOT) if p.startswith(DOT) else p for p in relative.parts)] = path
    return files


def choose_language(lang: str | None = None, marketplace: str | None = None) -> SiteLanguage:
    """`--lang` and `--marketplace`, either or both or neither: the site's marketplace, language and pages.

    Without a marketplace, the language's country's (`de-AT` -> EBAY_AT), else its language's (`de` -> EBAY_DE),
    else EBAY_US. The pages are the most specific the scaffold has: `de-AT` -> `de_AT`; `de` on EBAY_AT -> `de_AT`;
    a language it has no pages in -> English (`run_new_command` says so)."""
    market = _marketplace(marketplace) if marketplace is not None else None
    language = _language(lang) if lang is not None else None
    if market is None:
        market = _marketplace_for(language) if language is not None else MARKETPLACES[DEFAULT_MARKETPLACE]
    effective = language or market.locale
    if "-" not in effective and market.locale.split("-")[0] == effective:
        effective = market.locale  # `de` on EBAY_AT is Austrian German: the Austrian Impressum
    folder = effective.replace("-", "_")
    have = scaffold_languages()
    pages = next((f for f in (folder, folder.split("_")[0]) if f in have), SOURCE_LANGUAGE)
    return SiteLanguage(market, language, pages)


def _marketplace(given: str) -> Marketplace:
    name = given.strip().upper()
    name = name if name.startswith("EBAY_") else f"EBAY_{name}"  # `de` and `DE` are EBAY_DE
    if name not in MARKETPLACES:
        raise UsageError(
            f"--marketplace {given}: not an eBay marketplace affsite knows; one of {', '.join(MARKETPLACES)}"
        )
    return MARKETPLACES[name]


def _language(given: str) -> str:
    """`de-AT`, also typed `de_at` or `DE-at`, as site.yaml writes it; a UsageError for what is not a language."""
    from .formatting import known_locale

    parts = given.strip().replace("_", "-").split("-")
    language = "-".join([parts[0].lower(), *(p.upper() for p in parts[1:])])
    if not re.fullmatch(LANGUAGE_PATTERN, language) or not known_locale(language):
        raise UsageError(
            f"--lang {given}: not a language affsite knows; write a language (de) or a language and a country "
            "(de-DE, de-AT, de-CH, fr-FR, fr-BE, nl-NL, pl-PL)"
        )
    return language


def _marketplace_for(language: str) -> Marketplace:
    """The marketplace of the language's country (fr-BE -> EBAY_BE), else of the language (fr -> EBAY_FR)."""
    primary, _, country = language.partition("-")
    markets = list(MARKETPLACES.values())
    for market in markets:
        if market.locale == language or (
            country and market.locale.endswith(f"-{country}") and primary in market.languages
        ):
            return market
    return next((m for m in markets if m.locale.split("-")[0] == primary), MARKETPLACES[DEFAULT_MARKETPLACE])


# The lines of the scaffold's site.yaml that `--lang` and `--marketplace` set (the English site's values).
_SITE_YAML_LINES = ("marketplace: EBAY_US\n", "# language: en-US\n", "# timezone: America/New_York\n")


def site_yaml(text: str, choice: SiteLanguage) -> str:
    """The scaffold's site.yaml for the chosen marketplace and language; the English site's is unchanged.

    The scaffold is the demo site with its two editions (us at /, de at /de/). A site started for one other
    marketplace is that marketplace's alone: the `editions` block goes, and the German edition's description becomes
    the site's when the site is German."""
    if choice == choose_language():
        return text
    edition = _scaffold_edition(text, choice)
    text = without_editions(text)
    if edition and isinstance(edition.get("description"), str):
        text = re.sub(r"(?m)^description: .*$", lambda _: f"description: {edition['description']}", text, count=1)
    market = choice.marketplace
    language = f"language: {choice.language}\n" if choice.language else f"# language: {market.locale}\n"
    for old, new in zip(
        _SITE_YAML_LINES, (f"marketplace: {market.id}\n", language, f"# timezone: {market.timezone}\n"), strict=True
    ):
        assert text.count(old) == 1, f"builder/scaffold/site.yaml no longer has the line {old!r}"
        text = text.replace(old, new)
    return text


def category_yaml(text: str, choice: SiteLanguage) -> str:
    """A scaffold category for a site started for one other marketplace: without `editions`, and in German with the
    German edition's texts (and its euro prices, when the site sells in euros too)."""
    document = yaml.safe_load(text)
    overrides = (document.pop("editions", None) or {}).get(_GERMAN_EDITION) or {}
    if choice.lang.split("-")[0] != "de":
        return without_editions(text)
    for field, value in overrides.items():
        if field in ("min_price", "max_price") and choice.marketplace.currency != MARKETPLACES["EBAY_DE"].currency:
            continue  # a price in euros means nothing in francs: the site's own (dollar) figures stay, as elsewhere
        document[field] = value
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


_GERMAN_EDITION = "de"  # the scaffold's second edition (site.yaml), whose texts a German site starts from


def _scaffold_edition(site_yaml_text: str, choice: SiteLanguage) -> dict[str, object] | None:
    """The scaffold's edition settings for a German site (the de edition), else None."""
    if choice.lang.split("-")[0] != "de":
        return None
    editions = (yaml.safe_load(site_yaml_text) or {}).get("editions") or {}
    found = editions.get(_GERMAN_EDITION)
    return found if isinstance(found, dict) else None


def without_editions(text: str) -> str:
    """`text` without its top-level `editions:` block and the comment lines just before it."""
    lines = text.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("editions:"))
    except StopIteration:
        return text
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return "".join(lines[:start] + lines[end:])


def affsite_version() -> str:
    try:
        return metadata.version("affsite")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        project = tomllib.loads((SCAFFOLD_DIR.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
        return str(project["project"]["version"])


def create_site(
    target: Path, *, theme_copy: bool = False, force: bool = False, language: SiteLanguage | None = None
) -> Created:
    """Write a new site into `target` (created if missing). Refuses a non-empty folder unless `force`.

    `language`: the marketplace, language and pages (`choose_language`); default the English site on EBAY_US."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: is a file, not a folder; name a new folder for the site")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(
            f"{target}: the folder is not empty; name a new folder, or add --force to write the site's files "
            "into it (files of the same name are replaced, others are left alone)"
        )
    choice = language or choose_language()
    version = affsite_version()
    written: list[str] = []
    try:
        for relative, source in scaffold_files(choice.pages).items():
            data = source.read_bytes().replace(VERSION_MARK.encode(), version.encode())
            if relative == "site.yaml":
                data = site_yaml(data.decode("utf-8"), choice).encode("utf-8")
            elif relative.startswith("content/categories/") and choice != choose_language():
                data = category_yaml(data.decode("utf-8"), choice).encode("utf-8")
            _write(target / relative, data)
            written.append(relative)
        if theme_copy:
            for name, source in Theme(target, (THEME_DIR,)).files().items():
                _write(target / SITE_TEMPLATES / name, source.read_bytes())
                written.append(f"{SITE_TEMPLATES}/{name}")
    except OSError as exc:
        raise UsageError(f"{exc.filename or target}: cannot be written ({exc.strerror})") from None
    return Created(target, written)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def run_new_command(
    target: Path, *, theme_copy: bool, force: bool, lang: str | None = None, marketplace: str | None = None
) -> int:
    choice = choose_language(lang, marketplace)
    created = create_site(target, theme_copy=theme_copy, force=force, language=choice)

    def count(folder: str) -> int:
        return sum(1 for f in created.files if f.startswith(folder + "/"))

    print(
        f"created {target}/ ({len(created.files)} files): {count('content/categories')} example categories and "
        f"{count('content/pages')} pages, netlify.toml, GitHub workflows, requirements.txt (affsite=={affsite_version()})"
    )
    if theme_copy:
        print(f"  templates/: a copy of the default theme ({count(SITE_TEMPLATES)} files), yours to change")
    if lang is not None or marketplace is not None:
        _print_language(created, choice)
    print("next:")
    print(f"  cd {shlex.quote(str(target))}")
    print("  affsite build    # the site in output/, from the demo catalog until eBay keys are set")
    print("  affsite serve    # a preview at http://127.0.0.1:8000/ that rebuilds when you save")
    return 0


def _print_language(created: Created, choice: SiteLanguage) -> None:
    from .formatting import babel_locale

    market = choice.marketplace
    pages = [f.rsplit("/", 1)[1].removesuffix(".md") for f in created.files if f.startswith("content/pages/")]
    print(
        f"  site.yaml: marketplace {market.id} ({market.currency}, times in {market.timezone}), language {choice.lang}"
    )
    if choice.pages == SOURCE_LANGUAGE and choice.lang.split("-")[0] != SOURCE_LANGUAGE:
        language = babel_locale(choice.lang.split("-")[0]).get_display_name("en")
        have = ", ".join(f for f in scaffold_languages() if "_" not in f)  # languages, not their countries
        print(
            f"warning: affsite has no pages in {language} ({choice.lang}) yet (it has {have}): content/pages/ is in "
            "English; translate it before you publish",
            file=sys.stderr,
        )
        return
    name = babel_locale(choice.pages).get_display_name("en")
    print(f"  content/pages/: {', '.join(pages)} in {name}")
    to_fill = [f for f in created.files if f.endswith(".md") and placeholders((created.root / f).read_text("utf-8"))]
    if to_fill:
        print(f"  fill in the [[...]] fields of {', '.join(to_fill)} (affsite check lists what is left)")
    print("  the legal pages are a starting point, not legal advice: have them checked for your country")
