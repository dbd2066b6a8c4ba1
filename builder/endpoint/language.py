"""The endpoint speaks the site's language: the one the build wrote into the manifest it serves.

The endpoint serves one site, so the language is process-wide, as in a build: `follow(manifest)` activates the
theme's catalog for the manifest's language (`builder.i18n`, the same `.po` files the pages use) whenever a new
manifest is in service, and every page and mail the endpoint produces afterwards asks `builder.i18n.gettext` for its
texts. The endpoint does not know the site's folder, so a site's own `templates/locales` do not apply here (the
theme's catalogs do); `affsite newsletter send`, which is given the site, reads both.

Until a manifest is loaded (and for one written before manifests named a language) the endpoint speaks English.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import i18n
from ..errors import ConfigError
from ..formatting import known_locale, known_time_zone
from ..manifest import DEFAULT_LANG, DEFAULT_TIMEZONE, Manifest
from ..themes import THEME_DIR, Theme

log = logging.getLogger("affsite.endpoint.language")


@dataclass(frozen=True)
class Language:
    lang: str  # BCP 47, as site.yaml writes it: the pages' `lang` attribute and Babel's locale
    timezone: str  # IANA: times in mails are shown in it


ENGLISH = Language(DEFAULT_LANG, DEFAULT_TIMEZONE)


class SiteLanguage:
    """The language in service, changed only by `follow` (and `reset`)."""

    def __init__(self, theme: Theme | None = None) -> None:
        self._theme = theme or Theme(THEME_DIR, (THEME_DIR,))
        self.current = ENGLISH

    def reset(self) -> None:
        """English, whatever a build or an earlier app in this process activated: nothing may speak a stale
        language before the first manifest is read."""
        i18n.deactivate()
        self.current = ENGLISH

    def follow(self, manifest: Manifest) -> None:
        """Speak `manifest`'s language from now on. A language Babel does not know, or a catalog that cannot be
        read, keeps English (logged); an unknown time zone is UTC. Never raises: the manifest is in service."""
        lang = manifest.lang if known_locale(manifest.lang) else DEFAULT_LANG
        if lang != manifest.lang:
            log.warning("manifest language unknown, speaking English", extra={"lang": manifest.lang[:50]})
        timezone = manifest.timezone if known_time_zone(manifest.timezone) else DEFAULT_TIMEZONE
        if timezone != manifest.timezone:
            log.warning("manifest time zone unknown, using UTC", extra={"timezone": manifest.timezone[:50]})
        wanted = Language(lang, timezone)
        if wanted == self.current:
            return  # a new manifest of the same site: the catalog in service is the right one
        try:
            catalogs = i18n.load_catalogs(self._theme, lang)
        except ConfigError as exc:
            log.error("message catalog not readable, speaking English", extra={"reason": str(exc)[:200]})
            i18n.deactivate()
            self.current = Language(DEFAULT_LANG, timezone)
            return
        i18n.activate(catalogs)
        self.current = wanted
        log.info("language", extra={"lang": lang, "timezone": timezone, "catalog": catalogs.found})
