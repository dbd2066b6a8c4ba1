"""A deterministic synthetic catalog: one Browse `item_summary/search` response per category, as JSON files.

    python bench/gen_catalog.py OUT --items 10000 --categories 50 --seed 1 [--now 2026-11-22T08:00:00Z]

writes OUT/<category-slug>.json, each shaped exactly like a real search answer (`href, total, next, limit,
offset, itemSummaries[]`, sometimes `warnings[]`). Items carry the fields the build reads, with the awkward
cases the build must handle: no image, no seller name, no affiliate URL, discounts, auctions, long Unicode
and hostile titles, items listed in two categories (deduplication), ended listings, adult-only listings,
http:// and non-eBay URLs.

The output depends only on (items, categories, seed, now, slugs, titles, profiles, tuning): the generator
uses its own random.Random(seed) and never reads the clock. The CLI's --now defaults to the current hour, so
that auctions are still running when a benchmark builds right after generating; pass --now for byte-
identical output.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

CURRENCY = "USD"
MARKETPLACE = "EBAY_US"
ROTATION_ID = "711-53200-19255-0"  # EPN mkrid for EBAY_US
CAMPAIGN_ID = "5338000000"
API_SEARCH = "https://api.ebay.com/buy/browse/v1/item_summary/search"
API_ITEM = "https://api.ebay.com/buy/browse/v1/item/"

HOSTILE_TITLES = (
    '{first} <script>alert(1)</script> & "quotes" {rest}',
    "{first} </script><!-- {rest}",
    "{first} 'single' & <b>bold</b> {{{{ 7*7 }}}} ${{7*7}} &amp; {rest}",
)
"""Title templates that must come out escaped: {first} is the product's first word, {rest} the others."""
UNICODE_PREFIXES = (
    "【美品】",
    "【N MINT+++】",
    "[Exc+5] ",
    "✨ MINT ✨ ",
    "★★★★★ ",
    "日本製 ",
    "Neu & OVP – ",
    "",
)
UNICODE_SUFFIXES = (
    " from JAPAN 🇯🇵",
    " 📷 très bon état",
    " – état neuf, livré avec étui",
    " ✅ Größe kompakt, geprüft",
    " 🎧 ¡Envío rápido!",
    " — ソニー 動作確認済み",
    " 完動品 付属品あり",
    " 💯 Ñandú señor Ærø Łódź",
)


@dataclass(frozen=True)
class CategoryProfile:
    """What listings of one kind look like: eBay categories, plausible products and prices, conditions."""

    q: str
    ebay_categories: tuple[tuple[str, str], ...]
    """(categoryId, categoryName), leaf first, as in `categories[]`."""
    price_range: tuple[float, float]
    products: tuple[tuple[str, float], ...] = ()
    """(title, typical price of a used one); titles at most 80 characters."""
    conditions: tuple[str, ...] = ("new", "open_box", "refurbished", "used", "for_parts")
    """affsite condition names; listings take one of these."""
    condition_weights: tuple[float, ...] = (0.3, 0.08, 0.1, 0.47, 0.05)
    auctions: bool = True
    """Whether some listings are auctions (only when the category's YAML asks for them)."""
    auction_share: float = 0.15
    shares_with: tuple[str, ...] = ()
    """Slugs whose listings this category's search may also return (preferred for the shared items)."""


@dataclass(frozen=True)
class Tuning:
    """Rates of the awkward cases; the exact counts (None: derived from the number of items)."""

    shared_rate: float = 0.02
    no_affiliate_rate: float = 0.20
    no_image_rate: float = 0.03
    no_thumbnails_rate: float = 0.15
    additional_images_rate: float = 0.4
    no_username_rate: float = 0.04
    discount_rate: float = 0.12
    best_offer_rate: float = 0.2
    free_shipping_rate: float = 0.45
    unicode_rate: float = 0.04
    fixed_price_end_date_rate: float = 0.25
    warnings_rate: float = 0.1
    shared: int | None = None
    ended: int | None = None
    adult: int | None = None
    http_url: int | None = None
    foreign_url: int | None = None
    hostile: int | None = None
    auction_end_days: tuple[float, float] = (0.05, 7.0)
    """Auctions (and fixed-price listings with an end date) end this many days after `now`."""
    creation_days: tuple[float, float] = (0.5, 60.0)
    """Listings were created this many days before `now`."""
    ended_days: tuple[float, float] = (1.0, 20.0)
    """Ended listings ended this many days before `now`."""


# --- product data -------------------------------------------------------------------------------------------

_PHOTO = ("625", "Cameras & Photo")
_AUDIO = (("15052", "Portable Audio & Headphones"), ("293", "Consumer Electronics"))

KINDS: dict[str, CategoryProfile] = {
    "mirrorless-cameras": CategoryProfile(
        q="mirrorless camera",
        ebay_categories=(("31388", "Digital Cameras"), _PHOTO),
        price_range=(300, 3500),
        conditions=("new", "open_box", "refurbished", "used"),
        condition_weights=(0.3, 0.1, 0.15, 0.45),
        auctions=False,
        products=(
            ("Sony Alpha a7 III Mirrorless Camera Body 24.2MP", 1100),
            ("Sony Alpha a7 IV 33MP Full Frame Mirrorless Camera Body Only", 1900),
            ("Sony Alpha a7R IV 61MP Full Frame Mirrorless Camera Body", 2100),
            ("Sony a7C Compact Full Frame Mirrorless Camera Body Silver", 1200),
            ("Sony a6400 Mirrorless Camera with 16-50mm Kit Lens", 750),
            ("Sony Alpha a6100 with 16-50mm and 55-210mm Lenses", 700),
            ("Sony ZV-E10 Vlog Camera with 16-50mm Lens Black", 550),
            ("Canon EOS R5 45MP 8K Mirrorless Camera Body", 2600),
            ("Canon EOS R6 Mark II Body 24.2MP Full-Frame Mirrorless", 1900),
            ("Canon EOS R8 Full Frame Mirrorless Camera Body", 1200),
            ("Canon EOS RP 26.2MP Full Frame Mirrorless Body", 650),
            ("Canon EOS R50 with RF-S 18-45mm IS STM Lens Kit", 620),
            ("Canon EOS M50 Mark II with EF-M 15-45mm Kit Lens", 500),
            ("Nikon Z8 Mirrorless Camera Body 45.7MP", 3000),
            ("Nikon Z6 II Mirrorless Camera Body FX 24.5MP", 1300),
            ("Nikon Z5 Full Frame Mirrorless Camera Body", 850),
            ("Nikon Z fc Silver with NIKKOR Z DX 16-50mm VR Lens", 800),
            ("Nikon Z50 DX Mirrorless Camera with 16-50mm Kit", 650),
            ("Fujifilm X-T5 Mirrorless Camera Body Silver 40MP", 1500),
            ("Fujifilm X-T4 Mirrorless Camera Body Black 26.1MP", 1050),
            ("Fujifilm X-S20 with XC 15-45mm Lens", 1200),
            ("Fujifilm X100V Silver 23mm f/2 Compact Digital Camera", 1500),
            ("Fujifilm X-E4 Mirrorless Camera Body Black", 800),
            ("Panasonic Lumix S5 II Full Frame Mirrorless Camera Body", 1700),
            ("Panasonic Lumix GH5 4K Mirrorless Camera Body", 650),
            ("Panasonic Lumix G9 20.3MP Micro Four Thirds Body", 700),
            ("OM System OM-5 Mirrorless Camera Body Silver", 1000),
            ("Olympus OM-D E-M10 Mark IV with 14-42mm EZ Lens", 550),
            ("Olympus OM-D E-M1 Mark II Mirrorless Camera Body", 650),
            ("Leica CL Mirrorless Digital Camera Body Black 24MP", 1900),
        ),
    ),
    "camera-lenses": CategoryProfile(
        q="lens",
        ebay_categories=(("3323", "Lenses"), ("78997", "Lenses & Filters"), _PHOTO),
        price_range=(40, 2000),
        auctions=False,
        products=(
            ("Canon EF 50mm f/1.8 STM Lens", 110),
            ("Canon RF 50mm f/1.8 STM Lens", 160),
            ("Canon RF 24-105mm f/4 L IS USM Lens", 800),
            ("Canon EF 70-200mm f/2.8L IS II USM Telephoto Zoom Lens", 1100),
            ("Canon EF 100mm f/2.8L Macro IS USM Lens", 650),
            ("Canon EF-S 10-18mm f/4.5-5.6 IS STM Wide Angle Lens", 200),
            ("Sony FE 85mm f/1.8 Lens SEL85F18", 480),
            ("Sony FE 24-70mm f/2.8 GM Lens SEL2470GM", 1300),
            ("Sony FE 90mm f/2.8 Macro G OSS Lens SEL90M28G", 800),
            ("Sony E 18-135mm f/3.5-5.6 OSS Lens SEL18135", 430),
            ("Sony FE 28-70mm f/3.5-5.6 OSS Kit Lens", 170),
            ("Nikon NIKKOR Z 24-70mm f/4 S Lens", 520),
            ("Nikon NIKKOR Z 50mm f/1.8 S Lens", 450),
            ("Nikon AF-S NIKKOR 50mm f/1.8G Lens", 140),
            ("Nikon AF-S NIKKOR 70-300mm f/4.5-5.6E ED VR Lens", 500),
            ("Sigma 35mm f/1.4 DG HSM Art Lens for Canon EF", 480),
            ("Sigma 18-35mm f/1.8 DC HSM Art Lens Nikon F Mount", 500),
            ("Sigma 24-70mm f/2.8 DG DN Art Lens Sony E", 900),
            ("Tamron 28-75mm f/2.8 Di III RXD Lens for Sony E", 550),
            ("Tamron 17-28mm f/2.8 Di III RXD Lens for Sony E", 600),
            ("Fujifilm Fujinon XF 35mm f/2 R WR Lens Black", 330),
            ("Fujifilm Fujinon XF 16-55mm f/2.8 R LM WR Lens", 800),
            ("Fujifilm Fujinon XF 56mm f/1.2 R Lens", 650),
            ("Samyang 14mm f/2.8 ED AS IF UMC Wide Angle Lens", 260),
            ("Rokinon 85mm f/1.4 Manual Focus Lens for Canon EF", 230),
            ("Viltrox 75mm f/1.2 Pro Autofocus Lens for Fujifilm X", 520),
            ("Panasonic Leica DG Summilux 25mm f/1.4 II ASPH Lens", 480),
            ("Olympus M.Zuiko Digital 45mm f/1.8 Lens Silver", 200),
            ("Helios 44-2 58mm f/2 M42 Vintage Lens Swirly Bokeh", 45),
            ("Canon FD 50mm f/1.4 S.S.C. Manual Focus Lens", 70),
        ),
    ),
    "film-cameras": CategoryProfile(
        q="film camera",
        ebay_categories=(("15230", "Film Cameras"), _PHOTO),
        price_range=(30, 4000),
        conditions=("used", "for_parts"),
        condition_weights=(0.9, 0.1),
        auction_share=0.35,
        products=(
            ("Canon AE-1 Program 35mm SLR Film Camera with 50mm f/1.8 Lens", 280),
            ("Canon AE-1 35mm SLR Film Camera Body Chrome", 180),
            ("Canon A-1 35mm SLR Film Camera Body", 200),
            ("Canon Canonet QL17 GIII Rangefinder 40mm f/1.7", 220),
            ("Pentax K1000 35mm SLR with SMC Pentax-M 50mm f/2 Lens", 230),
            ("Pentax ME Super 35mm SLR with 50mm f/1.7 Lens", 180),
            ("Pentax 67 Medium Format SLR with SMC Takumar 105mm f/2.4", 1500),
            ("Nikon FM2 35mm SLR Film Camera Body Black", 380),
            ("Nikon FE2 35mm SLR Film Camera Body Silver", 330),
            ("Nikon F3 HP 35mm SLR Film Camera Body", 350),
            ("Olympus OM-1 35mm SLR with Zuiko 50mm f/1.8 Lens", 250),
            ("Olympus Stylus Epic Mju-II 35mm Point and Shoot Camera", 240),
            ("Olympus XA 35mm Rangefinder Compact Film Camera", 160),
            ("Minolta X-700 35mm SLR with MD Rokkor 50mm f/1.7", 200),
            ("Minolta SRT 101 with MC Rokkor-PF 58mm f/1.4", 120),
            ("Yashica T4 Super Compact 35mm Film Camera Carl Zeiss Tessar", 700),
            ("Yashica Mat-124G TLR Medium Format Film Camera", 450),
            ("Contax T2 Titanium 35mm Compact Film Camera", 1400),
            ("Leica M6 Classic 0.72 Rangefinder Film Camera Body Black", 3500),
            ("Mamiya RB67 Pro S Medium Format with Sekor C 127mm Lens", 650),
            ("Hasselblad 500C/M with Carl Zeiss Planar 80mm f/2.8 C", 1800),
            ("Rolleicord V TLR 6x6 Medium Format Xenar 75mm f/3.5", 300),
            ("Polaroid SX-70 Land Camera Alpha 1 Folding Instant Camera", 300),
            ("Polaroid OneStep 2 i-Type Instant Camera White", 70),
            ("Konica C35 Automatic 38mm f/2.8 Rangefinder", 90),
            ("Ricoh GR1s 28mm f/2.8 Compact 35mm Film Camera", 900),
            ("Holga 120N Medium Format Plastic Toy Camera", 45),
            ("Lomography LC-A+ 35mm Compact Film Camera", 250),
            ("Kodak Retina IIIc Folding Rangefinder Camera", 150),
            ("Nikon FM3A 35mm SLR Film Camera Body Silver", 1000),
        ),
    ),
    "headphones": CategoryProfile(
        q="headphones",
        ebay_categories=(("112529", "Headphones"), *_AUDIO),
        price_range=(10, 1500),
        conditions=("new", "open_box", "refurbished"),
        condition_weights=(0.6, 0.2, 0.2),
        auctions=False,
        products=(
            ("Sony WH-1000XM5 Wireless Noise Canceling Headphones Black", 300),
            ("Sony WH-1000XM4 Wireless Noise Cancelling Over-Ear Headphones", 220),
            ("Sony WF-1000XM5 True Wireless Noise Canceling Earbuds", 230),
            ("Sony MDR-7506 Professional Large Diaphragm Headphones", 90),
            ("Bose QuietComfort 45 Bluetooth Headphones White Smoke", 230),
            ("Bose QuietComfort Ultra Wireless Headphones Black", 380),
            ("Bose QuietComfort Earbuds II Triple Black", 200),
            ("Apple AirPods Max Wireless Over-Ear Headphones Space Gray", 450),
            ("Apple AirPods Pro 2nd Generation with MagSafe Case USB-C", 190),
            ("Sennheiser HD 600 Open Back Audiophile Headphones", 330),
            ("Sennheiser HD 650 Open Back Reference Headphones", 400),
            ("Sennheiser Momentum 4 Wireless Headphones Black", 280),
            ("Audio-Technica ATH-M50x Professional Studio Monitor Headphones", 130),
            ("Audio-Technica ATH-M40x Professional Studio Headphones", 90),
            ("Beyerdynamic DT 770 PRO 80 Ohm Closed Studio Headphones", 150),
            ("Beyerdynamic DT 990 PRO 250 Ohm Open Studio Headphones", 150),
            ("AKG K371 Over-Ear Closed-Back Studio Headphones", 120),
            ("Shure SRH840A Professional Monitoring Headphones", 150),
            ("HiFiMAN Sundara Planar Magnetic Headphones", 300),
            ("HiFiMAN Edition XS Open-Back Planar Magnetic Headphones", 400),
            ("Philips Fidelio X2HR Open-Back Over-Ear Headphones", 120),
            ("Grado SR80x Prestige Series Wired Open Back Headphones", 125),
            ("Beats Studio Pro Wireless Noise Cancelling Headphones Sandstone", 220),
            ("JBL Tune 760NC Wireless Noise Cancelling Headphones Black", 70),
            ("Jabra Elite 85h Wireless Noise-Canceling Headphones", 120),
            ("Focal Clear MG Open-Back Dynamic Headphones", 1200),
            ("Koss Porta Pro Classic On-Ear Headphones", 40),
            ("Samsung Galaxy Buds2 Pro True Wireless Earbuds Graphite", 130),
            ("Replacement Ear Pads for Sony WH-1000XM4 Protein Leather", 15),
            ("Hard Carrying Case for Bose QC45 Headphones Travel Bag", 18),
        ),
    ),
    "portable-speakers": CategoryProfile(
        q="portable bluetooth speaker",
        ebay_categories=(("111694", "Portable Speakers"), *_AUDIO),
        price_range=(25, 500),
        condition_weights=(0.55, 0.12, 0.13, 0.18, 0.02),
        auctions=False,
        products=(
            ("JBL Flip 6 Portable Waterproof Bluetooth Speaker Black", 100),
            ("JBL Charge 5 Portable Waterproof Bluetooth Speaker Blue", 140),
            ("JBL Xtreme 3 Portable Waterproof Bluetooth Speaker", 250),
            ("JBL Clip 4 Ultra-Portable Waterproof Bluetooth Speaker", 55),
            ("JBL Go 3 Mini Bluetooth Speaker Red", 35),
            ("JBL PartyBox 110 Portable Party Speaker with Light Show", 350),
            ("Bose SoundLink Flex Bluetooth Speaker Stone Blue", 120),
            ("Bose SoundLink Revolve+ II Portable Bluetooth Speaker", 230),
            ("Bose SoundLink Micro Bluetooth Speaker Black", 90),
            ("Bose SoundLink Max Portable Speaker Black", 350),
            ("Sonos Roam Portable Smart Speaker Black", 150),
            ("Sonos Move 2 Portable Smart Speaker Olive", 400),
            ("Ultimate Ears BOOM 3 Portable Waterproof Bluetooth Speaker", 110),
            ("Ultimate Ears MEGABOOM 3 Portable Speaker Night Black", 160),
            ("Ultimate Ears WONDERBOOM 3 Waterproof Speaker Active Black", 70),
            ("Anker Soundcore Motion+ Bluetooth Speaker 30W Hi-Res", 80),
            ("Anker Soundcore 2 Portable Bluetooth Speaker", 35),
            ("Soundcore Boom 2 Outdoor Bluetooth Speaker 80W", 110),
            ("Marshall Emberton II Portable Bluetooth Speaker Black & Brass", 140),
            ("Marshall Kilburn II Portable Bluetooth Speaker Black", 250),
            ("Marshall Middleton Portable Bluetooth Speaker Cream", 260),
            ("Sony SRS-XB13 Extra Bass Compact Waterproof Speaker", 45),
            ("Sony SRS-XE300 X-Series Portable Wireless Speaker", 150),
            ("Sony ULT Field 1 Wireless Portable Bluetooth Speaker", 100),
            ("Bang & Olufsen Beosound A1 2nd Gen Portable Speaker Grey Mist", 220),
            ("Bang & Olufsen Beoplay P2 Portable Bluetooth Speaker", 110),
            ("Tribit StormBox Micro 2 Portable Bluetooth Speaker", 50),
            ("Harman Kardon Onyx Studio 7 Portable Bluetooth Speaker", 150),
            ("Beats Pill Portable Bluetooth Speaker Matte Black", 120),
            ("Bose SoundLink Color II Portable Bluetooth Speaker Coral Red", 90),
        ),
    ),
    "mechanical-keyboards": CategoryProfile(
        q="mechanical keyboard",
        ebay_categories=(
            ("33963", "Keyboards & Keypads"),
            ("3676", "Keyboards, Mice & Pointers"),
            ("58058", "Computers/Tablets & Networking"),
        ),
        price_range=(30, 400),
        condition_weights=(0.45, 0.1, 0.05, 0.37, 0.03),
        auctions=False,
        products=(
            ("Keychron K2 Pro QMK/VIA Wireless Mechanical Keyboard Hot-Swap", 100),
            ("Keychron Q1 Pro Wireless Custom Mechanical Keyboard 75%", 180),
            ("Keychron K8 Tenkeyless Wireless Mechanical Keyboard Gateron Brown", 80),
            ("Keychron V1 Knob Custom Mechanical Keyboard Frosted Black", 80),
            ("Logitech G915 TKL Lightspeed Wireless RGB Mechanical Keyboard", 170),
            ("Logitech MX Mechanical Wireless Illuminated Keyboard Tactile", 140),
            ("Logitech G Pro X TKL Gaming Keyboard GX Blue Clicky", 110),
            ("Razer BlackWidow V4 Pro Mechanical Gaming Keyboard Green Switch", 180),
            ("Razer Huntsman Mini 60% Optical Gaming Keyboard", 80),
            ("Corsair K70 RGB PRO Mechanical Gaming Keyboard Cherry MX Red", 120),
            ("Corsair K65 RGB Mini 60% Mechanical Keyboard Cherry MX Speed", 80),
            ("SteelSeries Apex Pro TKL OmniPoint Adjustable Switch Keyboard", 170),
            ("Ducky One 3 TKL Daybreak Mechanical Keyboard Cherry MX Brown", 120),
            ("Ducky One 2 Mini RGB 60% Keyboard Cherry MX Silent Red", 90),
            ("Leopold FC900R PD Full Size Mechanical Keyboard Cherry MX Brown", 130),
            ("Varmilo VA87M Sakura Tenkeyless Keyboard Cherry MX Red", 140),
            ("HHKB Professional Hybrid Type-S Topre Keyboard Black", 300),
            ("Realforce R3 Hybrid Full Size Topre Keyboard 45g", 280),
            ("Filco Majestouch 2 Tenkeyless Mechanical Keyboard Cherry MX Blue", 120),
            ("Das Keyboard 4 Professional Mechanical Keyboard Cherry MX Brown", 150),
            ("Glorious GMMK Pro 75% Barebone Mechanical Keyboard Black Slate", 130),
            ("NuPhy Air75 V2 Low Profile Wireless Mechanical Keyboard", 110),
            ("Akko 5075B Plus Hot-Swap RGB Mechanical Keyboard", 80),
            ("Wooting 60HE Analog Hall Effect Gaming Keyboard", 180),
            ("Drop CTRL High-Profile Mechanical Keyboard Halo True", 180),
            ("IBM Model M 1391401 Buckling Spring Keyboard 1989", 140),
            ("Cherry G80-3000 Vintage Mechanical Keyboard Blue Switches", 90),
            ("Royal Kludge RK61 Wireless 60% Mechanical Keyboard", 40),
            ("Redragon K552 Kumara RGB Mechanical Gaming Keyboard", 35),
            ("ASUS ROG Strix Scope II 96 Wireless Gaming Keyboard", 150),
        ),
    ),
}

# (display name, conditionId, price factor against a used one) per affsite condition name
_CONDITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "new": (("New", "1000"),),
    "open_box": (("Open box", "1500"),),
    "refurbished": (
        ("Certified - Refurbished", "2000"),
        ("Excellent - Refurbished", "2010"),
        ("Very Good - Refurbished", "2020"),
        ("Seller refurbished", "2500"),
    ),
    "used": (("Used", "3000"), ("Used", "3000"), ("Used", "3000"), ("Very Good", "4000"), ("Good", "5000")),
    "for_parts": (("For parts or not working", "7000"),),
}
_PRICE_FACTOR = {"new": 1.45, "open_box": 1.25, "refurbished": 1.1, "used": 1.0, "for_parts": 0.35}
_TITLE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "new": ("", "", " NEW", " - Brand New Sealed", " NIB", " New in Box"),
    "open_box": (" Open Box", " - Open Box Mint", " Open Box Never Used"),
    "refurbished": (" - Certified Refurbished", " Refurbished", " Renewed"),
    "used": ("", "", " - Excellent", " Used", " - Tested & Working", " w/ Box", " [Near Mint]", " Mint-"),
    "for_parts": (" - For Parts or Repair", " AS-IS Untested", " Parts Only"),
}
_SELLER_WORDS_A = (
    "camera",
    "photo",
    "audio",
    "gear",
    "lens",
    "sound",
    "vintage",
    "pro",
    "tech",
    "retro",
    "hifi",
)
_SELLER_WORDS_B = (
    "exchange",
    "depot",
    "outlet",
    "world",
    "shop",
    "deals",
    "trader",
    "store",
    "direct",
    "hub",
)
_COUNTRIES = (
    ("US", 0.78),
    ("JP", 0.08),
    ("GB", 0.04),
    ("DE", 0.03),
    ("CN", 0.03),
    ("HK", 0.02),
    ("CA", 0.02),
)
_WARNING = {
    "errorId": 12016,
    "domain": "API_BROWSE",
    "category": "REQUEST",
    "message": "The 'sort' value is invalid and was ignored; results are in Best Match order.",
    "parameters": [{"name": "sort", "value": "bestMatch"}],
}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _money(value: float) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": CURRENCY}


def _fit_title(title: str, suffix: str = "") -> str:
    """Title + suffix when that fits in eBay's 80 characters; else the title, cut at a word boundary."""
    if len(title) + len(suffix) <= 80:
        return title + suffix
    if len(title) <= 80:
        return title
    cut = title[:80]
    return cut.rsplit(" ", 1)[0] if " " in cut[40:] else cut


def _default_slugs(count: int) -> list[str]:
    kinds = list(KINDS)
    return [kinds[i % len(kinds)] + ("" if i < len(kinds) else f"-{i // len(kinds) + 1}") for i in range(count)]


def _profile_for(slug: str, profiles: Mapping[str, CategoryProfile] | None) -> CategoryProfile:
    if profiles and slug in profiles:
        return profiles[slug]
    kinds = list(KINDS)
    base = next((k for k in kinds if slug == k or slug.startswith(k + "-")), None)
    if base is not None:
        return KINDS[base]
    return KINDS[kinds[sum(slug.encode()) % len(kinds)]]


@dataclass
class _Category:
    slug: str
    profile: CategoryProfile
    pool: list[tuple[str, float | None]]
    entries: int
    own: list[dict[str, Any]] = field(default_factory=list)


class _Generator:
    def __init__(self, rng: random.Random, now: datetime, tuning: Tuning) -> None:
        self.rng = rng
        self.now = now
        self.t = tuning
        countries, weights = zip(*_COUNTRIES, strict=True)
        self.countries: tuple[str, ...] = countries
        self.country_cum = list(_cumulative(weights))
        self.sellers = [self._seller_name() for _ in range(997)]

    def _seller_name(self) -> str:
        r = self.rng
        name = f"{r.choice(_SELLER_WORDS_A)}{r.choice(('', '_', '-', '.'))}{r.choice(_SELLER_WORDS_B)}"
        return name + (str(r.randrange(1, 999)) if r.random() < 0.6 else "")

    def _image_id(self) -> str:
        text = base64.b64encode(self.rng.getrandbits(72).to_bytes(9, "big"), altchars=b"-~").decode()
        return text[:3] + "AAOSw" + text[3:11]

    def _days(self, bounds: tuple[float, float]) -> timedelta:
        return timedelta(seconds=round(self.rng.uniform(bounds[0], bounds[1]) * 86400))

    def item(
        self, category: _Category, legacy_id: int, title: str, base_price: float | None, special: str | None
    ) -> dict[str, Any]:
        r, t, p = self.rng, self.t, category.profile
        condition = r.choices(p.conditions, weights=p.condition_weights[: len(p.conditions)] or None)[0]
        condition_name, condition_id = r.choice(_CONDITIONS[condition])
        low, high = p.price_range
        if base_price is None:
            price = math.exp(r.uniform(math.log(max(low, 1.0)), math.log(max(high, 1.0))))
        else:
            price = base_price * _PRICE_FACTOR[condition] * r.uniform(0.82, 1.18)
            if price > high:
                price = high * r.uniform(0.85, 0.99)
            elif price < low:
                price = low * r.uniform(1.01, 1.25)
        price = round(price) - 0.01 if price > 20 and r.random() < 0.5 else round(price, 2)

        if special == "hostile":
            first, _, rest = title.partition(" ")
            title = _fit_title(r.choice(HOSTILE_TITLES).format(first=first, rest=rest))
        elif r.random() < t.unicode_rate:
            title = _fit_title(r.choice(UNICODE_PREFIXES) + title, r.choice(UNICODE_SUFFIXES))
        else:
            title = _fit_title(title, r.choice(_TITLE_SUFFIXES[condition]))

        sid = str(legacy_id)
        is_auction = p.auctions and special != "ended" and r.random() < p.auction_share
        created = self.now - self._days(t.creation_days)
        item: dict[str, Any] = {
            "itemId": f"v1|{sid}|0",
            "title": title,
            "leafCategoryIds": [p.ebay_categories[0][0]],
            "categories": [{"categoryId": cid, "categoryName": name} for cid, name in p.ebay_categories],
        }
        if r.random() >= t.no_image_rate:
            image_id = self._image_id()
            item["image"] = {"imageUrl": f"https://i.ebayimg.com/images/g/{image_id}/s-l225.jpg"}
        else:
            image_id = None
        bid_price = None
        if is_auction:
            bids = r.choice((0, 0, 1, 2, 3, 5, 8, 12, 17, 24))
            bid_price = round(price * r.uniform(0.35, 0.9), 2) if bids else round(price * 0.3, 2) + 0.99
            buy_now = r.random() < 0.25
            options = ["AUCTION", "FIXED_PRICE"] if buy_now else ["AUCTION"]
            item["price"] = _money(price if buy_now else bid_price)
        else:
            options = ["FIXED_PRICE", "BEST_OFFER"] if r.random() < t.best_offer_rate else ["FIXED_PRICE"]
            item["price"] = _money(price)
        item["itemHref"] = f"{API_ITEM}v1%7C{sid}%7C0"
        seller: dict[str, Any] = {}
        if r.random() >= t.no_username_rate:
            seller["username"] = r.choice(self.sellers)
        seller["feedbackPercentage"] = r.choice(("100.0", "100.0", "99.9", "99.8", "99.5", "98.7", "97.1", "0.0"))
        seller["feedbackScore"] = int(math.exp(r.uniform(0, 11.5)))
        item["seller"] = seller
        if not is_auction and r.random() < t.discount_rate:
            percent = r.choice((5, 10, 10, 15, 20, 20, 25, 30, 40, 50))
            original = round(price / (1 - percent / 100), 2)
            marketing: dict[str, Any] = {
                "originalPrice": _money(original),
                "discountPercentage": str(percent),
                "discountAmount": _money(original - price),
            }
            if r.random() < 0.5:
                marketing["priceTreatment"] = "LIST_PRICE"
            item["marketingPrice"] = marketing
        item["condition"] = condition_name
        item["conditionId"] = condition_id
        if image_id is not None and r.random() >= t.no_thumbnails_rate:
            size = "s-l1600" if r.random() < 0.7 else "s-l500"
            item["thumbnailImages"] = [{"imageUrl": f"https://i.ebayimg.com/images/g/{image_id}/{size}.jpg"}]
        if r.random() < 0.99:
            free = r.random() < t.free_shipping_rate
            cost = 0.0 if free else r.choice((4.99, 5.99, 7.5, 8.95, 9.99, 12.0, 14.99, 19.99, 35.0))
            kind = "FIXED" if free or r.random() < 0.7 else "CALCULATED"
            item["shippingOptions"] = [{"shippingCostType": kind, "shippingCost": _money(cost)}]
        item["buyingOptions"] = options
        if is_auction and bid_price is not None:
            item["currentBidPrice"] = _money(bid_price)
            item["bidCount"] = bids
        if r.random() < 0.4:
            item["epid"] = str(r.randrange(1_000_000_000, 30_000_000_000))
        if special == "http":
            web_url = f"http://www.ebay.com/itm/{sid}"
            item["itemAffiliateWebUrl"] = web_url + self._epn_query(category.slug)
        elif special == "foreign":
            web_url = f"https://www.ebay.com.deals-outlet.example/itm/{sid}"
            item["itemAffiliateWebUrl"] = web_url + self._epn_query(category.slug)
        else:
            web_url = f"https://www.ebay.com/itm/{sid}"
            if r.random() >= t.no_affiliate_rate:
                item["itemAffiliateWebUrl"] = web_url + self._epn_query(category.slug)
        item["itemWebUrl"] = web_url
        country = self.countries[_pick(self.country_cum, r.random())]
        location: dict[str, str] = {"country": country}
        if country == "US":
            location["postalCode"] = f"{r.randrange(10, 999):03d}**"
        elif country == "GB":
            location["postalCode"] = f"{r.choice(('SW', 'M', 'B', 'LS', 'EH'))}{r.randrange(1, 20)} ***"
        item["itemLocation"] = location
        if image_id is not None and r.random() < t.additional_images_rate:
            item["additionalImages"] = [
                {"imageUrl": f"https://i.ebayimg.com/images/g/{self._image_id()}/s-l225.jpg"}
                for _ in range(r.randrange(1, 6))
            ]
        item["adultOnly"] = special == "adult"
        item["legacyItemId"] = sid
        item["availableCoupons"] = False
        if special == "ended":
            end = self.now - self._days(t.ended_days)
            item["itemCreationDate"] = _iso(end - self._days((7.0, 30.0)))
            item["itemEndDate"] = _iso(end)
        else:
            item["itemCreationDate"] = _iso(created)
            if is_auction or r.random() < t.fixed_price_end_date_rate:
                item["itemEndDate"] = _iso(self.now + self._days(t.auction_end_days))
        item["topRatedBuyingExperience"] = r.random() < 0.2
        item["priorityListing"] = r.random() < 0.5
        item["listingMarketplaceId"] = MARKETPLACE
        return item

    @staticmethod
    def _epn_query(slug: str) -> str:
        return f"?mkevt=1&mkcid=1&mkrid={ROTATION_ID}&campid={CAMPAIGN_ID}&customid={slug}&toolid=10049"


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return [v / total for v in out]


def _pick(cumulative: list[float], x: float) -> int:
    for i, v in enumerate(cumulative):
        if x < v:
            return i
    return len(cumulative) - 1


def _count(explicit: int | None, items: int, per: int, cap: int) -> int:
    """An odd case's count: explicit, or one per `per` items (at least one from 100 items), at most `cap`."""
    if explicit is not None:
        return explicit
    return 0 if items < 100 else min(cap, max(1, items // per))


def generate_catalog(
    out_dir: Path,
    items: int,
    categories: int,
    seed: int = 1,
    *,
    now: datetime,
    slugs: list[str] | None = None,
    titles: dict[str, list[str]] | None = None,
    profiles: Mapping[str, CategoryProfile] | None = None,
    tuning: Tuning | None = None,
    indent: int | None = None,
) -> list[str]:
    """Write `categories` Browse search responses with `items` item summaries in all to `out_dir`/<slug>.json.

    `items` counts every summary written; about 2% of them repeat an item of another category (same
    legacyItemId) so that deduplication is exercised. `slugs` names the categories (default: gear kinds such
    as "mirrorless-cameras", "camera-lenses-2"); `titles` gives per-slug product titles to use instead of
    the built-in ones (prices are then drawn from the profile's range); `profiles` sets per-slug eBay
    categories, prices and conditions; `tuning` the rates and exact counts of the awkward cases. Returns the
    slugs, in order.
    """
    if categories < 1 or items < categories:
        raise ValueError("need at least one category and one item per category")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    if slugs is None:
        slugs = _default_slugs(categories)
    if len(slugs) != categories or len(set(slugs)) != len(slugs):
        raise ValueError("slugs must be `categories` distinct names")
    tuning = tuning or Tuning()
    rng = random.Random(seed)
    gen = _Generator(rng, now, tuning)

    cats: list[_Category] = []
    for index, slug in enumerate(slugs):
        profile = _profile_for(slug, profiles)
        pool: list[tuple[str, float | None]]
        if titles and slug in titles:
            pool = [(title, None) for title in titles[slug]]
        else:
            pool = [(title, price) for title, price in profile.products] or [(slug.replace("-", " ").title(), None)]
        entries = items // categories + (1 if index < items % categories else 0)
        cats.append(_Category(slug, profile, pool, entries))

    shared = tuning.shared if tuning.shared is not None else round(items * tuning.shared_rate)
    shared = shared if categories >= 2 else 0
    # Which categories receive a repeated item: spread evenly, never emptying a category of its own items.
    receivers = [cats[i % categories] for i in rng.sample(range(items), shared)] if shared else []
    receivers = [c for c in receivers if c.entries > 1]
    shared_in: dict[str, int] = {}
    for c in receivers:
        if shared_in.get(c.slug, 0) < c.entries - 1:
            shared_in[c.slug] = shared_in.get(c.slug, 0) + 1
    unique = items - sum(shared_in.values())

    specials: dict[int, str] = {}
    hostile_default = min(20, max(len(HOSTILE_TITLES), items // 2500))
    wanted = (
        ("ended", _count(tuning.ended, items, 2000, 10)),
        ("adult", _count(tuning.adult, items, 5000, 5)),
        ("http", _count(tuning.http_url, items, 10**9, 1)),
        ("foreign", _count(tuning.foreign_url, items, 10**9, 1)),
        ("hostile", tuning.hostile if tuning.hostile is not None else (0 if items < 100 else hostile_default)),
    )
    chosen = iter(rng.sample(range(unique), min(unique, sum(n for _, n in wanted))))
    for name, n in wanted:
        for _ in range(n):
            index = next(chosen, None)
            if index is not None:
                specials[index] = name

    legacy_ids = rng.sample(range(110_000_000_000, 406_000_000_000), unique)
    special_ids = {str(legacy_ids[index]) for index in specials}
    position = 0
    for c in cats:
        own = c.entries - shared_in.get(c.slug, 0)
        picks = rng.sample(c.pool, own) if len(c.pool) >= own else [rng.choice(c.pool) for _ in range(own)]
        for title, base_price in picks:
            c.own.append(gen.item(c, legacy_ids[position], title, base_price, specials.get(position)))
            position += 1

    # Repeat ordinary items of other categories (eBay returns the same listing to two searches).
    taken: set[str] = set()
    for c in cats:
        for _ in range(shared_in.get(c.slug, 0)):
            # Prefer a related category (same top-level eBay category) and a listing the receiving
            # category's search could really return: its price range, conditions and buying options.
            top = c.profile.ebay_categories[-1]
            donors = [d for d in cats if d is not c and d.own]
            donors = (
                [d for d in donors if d.slug in c.profile.shares_with]
                or [d for d in donors if d.profile.ebay_categories[-1] == top]
                or donors
            )
            low, high = c.profile.price_range
            condition_ids = {cid for name in c.profile.conditions for _, cid in _CONDITIONS[name]}
            for _attempt in range(200):
                if not donors:
                    break
                candidate = rng.choice(rng.choice(donors).own)
                lid = candidate["legacyItemId"]
                fits = (
                    low <= float(candidate["price"]["value"]) <= high
                    and candidate["conditionId"] in condition_ids
                    and (c.profile.auctions or "AUCTION" not in candidate["buyingOptions"])
                )
                if lid in taken or lid in special_ids or not fits:
                    continue
                taken.add(lid)
                copy = json.loads(json.dumps(candidate))
                if "itemAffiliateWebUrl" in copy:
                    copy["itemAffiliateWebUrl"] = copy["itemWebUrl"] + gen._epn_query(c.slug)
                c.own.insert(rng.randrange(len(c.own) + 1), copy)
                break

    out_dir.mkdir(parents=True, exist_ok=True)
    for c in cats:
        (out_dir / f"{c.slug}.json").write_text(
            json.dumps(_response(rng, c, tuning), indent=indent, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return slugs


def _response(rng: random.Random, c: _Category, tuning: Tuning) -> dict[str, Any]:
    count = len(c.own)
    params = [("q", c.profile.q), ("category_ids", c.profile.ebay_categories[0][0]), ("limit", str(count))]
    total = count * rng.randrange(3, 60) + rng.randrange(count)
    response: dict[str, Any] = {
        "href": f"{API_SEARCH}?{urlencode([*params, ('offset', '0')])}",
        "total": total,
        "next": f"{API_SEARCH}?{urlencode([*params, ('offset', str(count))])}",
        "limit": count,
        "offset": 0,
        "itemSummaries": c.own,
    }
    if rng.random() < tuning.warnings_rate:
        response["warnings"] = [_WARNING]
    return response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic catalog of Browse search responses.")
    parser.add_argument("out", type=Path, help="output directory (one <slug>.json per category)")
    parser.add_argument("--items", type=int, default=10_000, help="item summaries in all (default 10000)")
    parser.add_argument("--categories", type=int, default=50, help="number of categories (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--indent", type=int, default=None, help="pretty-print JSON (slower); default compact")
    parser.add_argument(
        "--now",
        help="the moment the catalog is 'fetched' (ISO 8601, e.g. 2026-11-22T08:00:00Z); default: this hour",
    )
    args = parser.parse_args(argv)
    if args.now:
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    else:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    slugs = generate_catalog(args.out, args.items, args.categories, args.seed, now=now, indent=args.indent)
    elapsed = time.perf_counter() - started
    print(f"{args.items} items in {len(slugs)} categories -> {args.out} ({elapsed:.2f}s, now={_iso(now)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
