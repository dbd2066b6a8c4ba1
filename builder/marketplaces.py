"""The eBay marketplaces affsite can publish for: currency, locale, web domain and EPN rotation id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    id: str
    currency: str
    locale: str  # BCP 47, used for html lang and Accept-Language
    domain: str  # the eBay web host whose item URLs we accept and link to
    rotation_id: str  # EPN "mkrid"
    timezone: str  # IANA zone of the pages' dates unless site.yaml sets `timezone` (where most of its buyers live)
    languages: tuple[str, ...]  # the languages eBay's site for this marketplace is written in (`affsite check`)

    @property
    def country(self) -> str:
        """The ISO 3166 country the marketplace sells to (`DE` for EBAY_DE): an edition's `deliveryCountry`."""
        return "GB" if self.id == "EBAY_GB" else self.id.removeprefix("EBAY_")


MARKETPLACES: dict[str, Marketplace] = {
    m.id: m
    for m in (
        Marketplace("EBAY_US", "USD", "en-US", "www.ebay.com", "711-53200-19255-0", "America/New_York", ("en",)),
        Marketplace("EBAY_GB", "GBP", "en-GB", "www.ebay.co.uk", "710-53481-19255-0", "Europe/London", ("en",)),
        Marketplace("EBAY_DE", "EUR", "de-DE", "www.ebay.de", "707-53477-19255-0", "Europe/Berlin", ("de",)),
        Marketplace("EBAY_FR", "EUR", "fr-FR", "www.ebay.fr", "709-53476-19255-0", "Europe/Paris", ("fr",)),
        Marketplace("EBAY_IT", "EUR", "it-IT", "www.ebay.it", "724-53478-19255-0", "Europe/Rome", ("it",)),
        Marketplace("EBAY_ES", "EUR", "es-ES", "www.ebay.es", "1185-53479-19255-0", "Europe/Madrid", ("es",)),
        Marketplace("EBAY_AU", "AUD", "en-AU", "www.ebay.com.au", "705-53470-19255-0", "Australia/Sydney", ("en",)),
        Marketplace("EBAY_CA", "CAD", "en-CA", "www.ebay.ca", "706-53473-19255-0", "America/Toronto", ("en", "fr")),
        Marketplace("EBAY_AT", "EUR", "de-AT", "www.ebay.at", "5221-53469-19255-0", "Europe/Vienna", ("de",)),
        Marketplace(
            "EBAY_BE", "EUR", "fr-BE", "www.benl.ebay.be", "1553-53471-19255-0", "Europe/Brussels", ("fr", "nl")
        ),
        Marketplace(
            "EBAY_CH", "CHF", "de-CH", "www.ebay.ch", "5222-53480-19255-0", "Europe/Zurich", ("de", "fr", "it")
        ),
        Marketplace("EBAY_IE", "EUR", "en-IE", "www.ebay.ie", "5282-53468-19255-0", "Europe/Dublin", ("en",)),
        Marketplace("EBAY_NL", "EUR", "nl-NL", "www.ebay.nl", "1346-53482-19255-0", "Europe/Amsterdam", ("nl",)),
        Marketplace("EBAY_PL", "PLN", "pl-PL", "www.ebay.pl", "4908-226936-19255-0", "Europe/Warsaw", ("pl",)),
    )
}


# eBay's own registrable domains. A host is eBay's when it is one of these or a subdomain of one; look-alikes under
# public-registration suffixes (ebay.uk.com, ebay.de.com, ebay.com.evil.io) are not.
EBAY_DOMAINS = frozenset(
    {
        "ebay.com",
        "ebay.co.uk",
        "ebay.de",
        "ebay.fr",
        "ebay.it",
        "ebay.es",
        "ebay.com.au",
        "ebay.ca",
        "ebay.at",
        "ebay.be",
        "ebay.ch",
        "ebay.ie",
        "ebay.nl",
        "ebay.pl",
        "ebay.com.sg",
        "ebay.com.hk",
        "ebay.com.my",
        "ebay.ph",
    }
)


def is_ebay_host(host: str) -> bool:
    """True for eBay's own web hosts (www.ebay.com, www.ebay.co.uk, ...), false for look-alikes such as ebay.uk.com."""
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in EBAY_DOMAINS)
