"""The words of the site in its language: gettext message catalogs per theme folder, for templates and Python alike.

As MkDocs' `mkdocs/localization.py`: Jinja's `i18n` extension with Babel `Translations` merged over the theme's
search path (the theme's catalog first, the site's own `templates/locales/` over it, so a site can reword or add a
translation without copying the theme's). Catalogs are plain `.po` files, `locales/<lang>/LC_MESSAGES/messages.po`,
compiled in memory when a build starts (a few milliseconds; no `.mo` file to forget to recompile). A language is
looked up most specific first: `de-CH` reads `de_CH` when it exists, else `de`.

Templates call `_()`, `gettext`, `ngettext` and `{% trans %}`; Python code imports `gettext`/`ngettext` from here,
which read the catalog `activate` installed for the build. A text without a translation is shown in English (the
msgid); the build lists those texts in one grouped warning (`missing_messages`). The few texts a page shows to a
reader of another language (the offer of another edition) are looked up in that language's catalog (`gettext_in`).

Extraction, for whoever adds or rewords texts (docs/editing.md, "Adding a language"):
    uv run pybabel extract -F babel.cfg -o builder/theme/locales/messages.pot --sort-output --omit-header -c Translators: --ignore-dirs '.*' .
    uv run pybabel update -i builder/theme/locales/messages.pot -d builder/theme/locales --no-wrap
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment
from markupsafe import Markup

from .config import SiteConfig
from .errors import ConfigError, Problem
from .themes import LOCALES, Theme
from .yamlsource import load_yaml_file

log = logging.getLogger(__name__)

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the msgids are the English texts: English needs no catalog


@dataclass
class Catalogs:
    """The translations one site uses, and what they were made from."""

    lang: str
    translations: NullTranslations
    files: list[Path] = field(default_factory=list)  # theme first, site last (later ones win)
    digest: str = ""  # of those files' bytes: a changed .po re-renders every page (incremental builds)

    @property
    def found(self) -> bool:
        return bool(self.files)

    def has(self, message: str) -> bool:
        """Whether the catalog translates `message` (a plural is known by its singular)."""
        # gettext's own table (msgid, or (msgid, n) for plurals): the public API only answers with a fallback.
        catalog = getattr(self.translations, "_catalog", {})
        return message in catalog or (message, 0) in catalog


def candidates(lang: str) -> list[str]:
    """Catalog folder names for a BCP 47 language, most specific first: `de-CH` -> [`de_CH`, `de`]."""
    parts = lang.replace("-", "_").split("_")
    return ["_".join(parts[: i + 1]) for i in reversed(range(len(parts)))]


def catalog_files(theme: Theme, lang: str) -> list[Path]:
    """The `.po` files for `lang` on the search path, in merge order: the theme's first, the site's last.

    In each folder the most specific language found is used (`de_CH`, else `de`)."""
    files: list[Path] = []
    for folder in reversed(theme.dirs):
        for name in candidates(lang):
            path = folder / LOCALES / name / "LC_MESSAGES" / f"{DOMAIN}.po"
            if path.is_file():
                files.append(path)
                break
    return files


def load_catalogs(theme: Theme, lang: str) -> Catalogs:
    """The merged translations for `lang`; a `.po` file that cannot be read is a ConfigError naming it."""
    # English needs no catalog (the texts are English), but a site may still reword them in one of its own.
    files = catalog_files(theme, lang)
    merged: Translations | None = None
    digest = hashlib.blake2b(digest_size=12)
    for path in files:
        data = path.read_bytes()
        digest.update(path.as_posix().encode() + b"\0" + data + b"\0")
        translations = _compile(data, path, theme)
        if merged is None:
            merged = translations
        else:
            merged.merge(translations)  # the later (site) catalog's texts win
    return Catalogs(lang, merged if merged is not None else NullTranslations(), files, digest.hexdigest())


def _compile(data: bytes, path: Path, theme: Theme) -> Translations:
    shown = theme.label_of_file(path) or str(path)
    try:
        catalog = read_po(io.BytesIO(data), abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError([Problem(shown, None, f"is not a valid gettext catalog: {exc}")]) from None
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # fuzzy entries are guesses waiting for a translator: English
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def install(env: Environment, catalogs: Catalogs) -> None:
    """Give the templates `_()`, `gettext`, `ngettext` and `{% trans %}` in the site's language, and Python code the
    same catalog (`activate`). New-style gettext: `_('Page %(n)s', n=2)` formats and escapes like the rest."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(catalogs.translations, newstyle=True)  # type: ignore[attr-defined]
    # What Jinja's new-style gettext does on this site's templates, every one autoescaped (the text is markup, the
    # values are escaped into it), without its detours through the render context: those took a fifth of a
    # product page's rendering time for its twenty texts.
    translations = catalogs.translations

    def gettext(message: str, /, **variables: Any) -> Markup:
        return Markup(translations.gettext(message)) % variables  # noqa: S704 - the catalog's text, values escaped

    def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
        variables.setdefault("num", num)
        return Markup(translations.ngettext(singular, plural, num)) % variables  # noqa: S704 - as gettext

    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
    activate(catalogs)


def missing_messages(env: Environment, catalogs: Catalogs, template_names: list[str]) -> list[str]:
    """The texts marked in these templates (and asked for by Python so far) that the catalog lacks, sorted; empty
    for English. These pages show them in English: the build warns once with the list."""
    if candidates(catalogs.lang)[-1] == SOURCE_LANGUAGE:
        return []
    loader = env.loader
    assert loader is not None
    wanted: set[str] = set(_asked)
    for name in template_names:
        try:
            source, _, _ = loader.get_source(env, name)
            found = env.extract_translations(source)  # type: ignore[attr-defined]
        except Exception:  # noqa: S112 - a template that does not parse is reported by rendering, with file:line
            continue
        for _line, _function, message in found:
            singular = message[0] if isinstance(message, tuple) else message
            if isinstance(singular, str):
                wanted.add(singular)
    return sorted(m for m in wanted if not catalogs.has(m))


def languages(theme: Theme) -> list[str]:
    """The languages with a catalog on this search path (`de`, `fr`, ...), plus English, the texts' own language."""
    found = {SOURCE_LANGUAGE}
    for folder in theme.dirs:
        for path in (folder / LOCALES).glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
            found.add(path.parent.parent.name.replace("_", "-"))
    return sorted(found)


def check_language(root: Path, settings: SiteConfig, theme: Theme) -> list[str]:
    """`affsite check`'s lines about the language: which one the pages use, whether it is one the marketplace's
    listings are written in, and whether a catalog has its texts (`site.yaml:4: warning: ...`)."""
    lang = settings.lang
    primary = candidates(lang)[-1]
    market = settings.market
    line = load_yaml_file(root / "site.yaml", "site.yaml").line_of(("language",)) if settings.language else None
    where = f"site.yaml:{line}" if line else "site.yaml"
    have = languages(theme)
    origin = "set in site.yaml" if settings.language else f"{market.id}'s default"
    out = [f"language: {lang} ({origin}); time zone: {settings.tz}; message catalogs: {', '.join(have)}"]
    if primary not in market.languages:
        out.append(
            f"{where}: warning: language {lang} is not a language of {market.id} (eBay's listings there are in "
            f"{', '.join(market.languages)}): titles and eBay's own pages will not be in {lang}"
        )
    if primary != SOURCE_LANGUAGE and not any(name.replace("_", "-") in have for name in candidates(lang)):
        out.append(
            f"{where}: warning: no message catalog for {lang}: the pages' texts will be in English "
            f'(add locales/{primary}/LC_MESSAGES/{DOMAIN}.po: docs/editing.md, "Adding a language")'
        )
    return out


# --- Python strings -----------------------------------------------------------------------------------------------
# One build, one language: the catalog `install` activated. Python texts shown on pages (titles, descriptions) go
# through these, so they are in the same catalog as the templates' and extracted by the same command.

_active: NullTranslations = NullTranslations()
_active_catalogs: Catalogs | None = None
_asked: set[str] = set()  # texts asked for by Python code that the active catalog lacks
_others: dict[tuple[tuple[Path, ...], str], Catalogs] = {}  # other languages' catalogs (`gettext_in`), per build


def activate(catalogs: Catalogs) -> None:
    global _active, _active_catalogs
    _active = catalogs.translations
    _active_catalogs = catalogs
    _asked.clear()
    _others.clear()  # read again on the next build: a catalog may have been edited since (`affsite serve`)


def deactivate() -> None:
    """Back to the source language (English) for Python texts: for a process that builds several sites in turn."""
    global _active, _active_catalogs
    _active = NullTranslations()
    _active_catalogs = None
    _asked.clear()
    _others.clear()


def gettext(message: str) -> str:
    if _active_catalogs is not None and not _active_catalogs.has(message):
        _asked.add(message)
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _active_catalogs is not None and not _active_catalogs.has(singular):
        _asked.add(singular)
    return _active.ngettext(singular, plural, n)


def gettext_in(theme: Theme, lang: str, message: str) -> str:
    """`message` in another language than the build's: for the few texts a page shows to a reader of another
    language (the offer of another edition, in that edition's language).

    In the build's own language it is `gettext` (a missing text is reported as any other). Another language's
    catalogs are the same files on the same search path (`load_catalogs`: the site's over the theme's, `de_CH` before
    `de`), compiled once per edition's build (until the next `activate`; asked for before the render workers fork,
    they share them). A language without a catalog, or a text its catalog lacks, is in English, as everywhere else."""
    if _active_catalogs is not None and _active_catalogs.lang == lang:
        return gettext(message)
    key = (theme.dirs, lang)
    catalogs = _others.get(key)
    if catalogs is None:
        catalogs = _others[key] = load_catalogs(theme, lang)
    return catalogs.translations.gettext(message)


def N_(message: str) -> str:
    """Mark a text for the catalog without translating it (pybabel's default keyword `N_`): for constants, such as
    labels in a table, that are translated with `gettext` where they are shown."""
    return message


_ = gettext
