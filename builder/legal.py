"""What `affsite check` says about the legal pages: the Impressum German-speaking sites need, and fields left to fill.

The legal pages `affsite new` writes mark what only the owner can know as `[[...]]` (`[[E-Mail-Adresse]]`), the same
way in every language. Until each is replaced the page would publish the marker, so `affsite check` warns with the
page's file and line; it is a warning, not a mistake, so a site can be previewed and built while it is being written.
"""

from __future__ import annotations

import re
from pathlib import Path

from .config import SiteConfig
from .content import FRONT_MATTER, Site, language_matches
from .errors import ConfigError
from .textfile import read_utf8
from .yamlsource import load_yaml_file

PLACEHOLDER = re.compile(r"\[\[[^\[\]\n]+\]\]")
IMPRINT_SLUG = "impressum"
# The laws that ask a German-speaking site for an Impressum, by the country the site is for.
IMPRINT_LAWS = {
    "AT": "§ 5 ECG and § 25 MedienG in Austria",
    "CH": "Art. 3 Abs. 1 lit. s UWG in Switzerland",
    "DE": "§ 5 DDG and § 18 Abs. 2 MStV in Germany",
}


def placeholders(text: str) -> list[tuple[int, str]]:
    """The `[[...]]` fields in a page's text after its front matter, as (line in the file, field)."""
    match = FRONT_MATTER.match(text)
    start = match.end() if match else 0
    first_line = text.count("\n", 0, start) + 1
    return [
        (first_line + number, found)
        for number, line in enumerate(text[start:].splitlines())
        for found in PLACEHOLDER.findall(line)
    ]


def check_legal_pages(root: Path, site: Site) -> list[str]:
    """`affsite check`'s warnings: pages with fields still to fill, a German-speaking site without an Impressum."""
    out: list[str] = []
    for page in site.pages:
        try:
            found = placeholders(read_utf8(root / page.source, page.source))
        except ConfigError:  # read when the site was loaded a moment ago; gone or changed since: nothing to say
            continue
        if found:
            fields = ", ".join(dict.fromkeys(field for _, field in found))
            places = f" ({len(found)} places)" if len(found) > 1 else ""
            out.append(f"{page.source}:{found[0][0]}: warning: fill in before you publish{places}: {fields}")
    settings = site.config.site
    if _speaks_german(settings) and not any(p.slug == IMPRINT_SLUG for p in site.pages):  # or one of its editions
        out.append(
            f"{_language_line(root, settings)}: warning: a German-speaking site needs an Impressum "
            f"({IMPRINT_LAWS.get(_country(settings), IMPRINT_LAWS['DE'])}): add content/pages/{IMPRINT_SLUG}.md "
            f"(`affsite new --lang {settings.lang}` writes one to start from)"
        )
    return out


def _speaks_german(settings: SiteConfig) -> bool:
    """The site, or one of its editions (a `de` edition at /de/), is written in German."""
    if settings.editions:
        from .editions import editions_of

        return any(language_matches("de", e.lang) for e in editions_of(settings))
    return language_matches("de", settings.lang)


def _country(settings: SiteConfig) -> str:
    """The country the site is for: its language's (de-AT), else its marketplace's (EBAY_CH: de-CH)."""
    _, _, country = settings.lang.partition("-")
    return country or settings.market.locale.partition("-")[2]


def _language_line(root: Path, settings: SiteConfig) -> str:
    """`site.yaml:<line>` of what makes the site German-speaking: `language`, else `marketplace`."""
    key = "language" if settings.language else "marketplace"
    line = load_yaml_file(root / "site.yaml", "site.yaml").line_of((key,))
    return f"site.yaml:{line}" if line else "site.yaml"
