"""The build summary: what was built, what was left out and why, warnings grouped rather than repeated."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class WarningGroup:
    message: str  # "products have no image"
    examples: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class BuildReport:
    source: str = ""
    demo: bool = False
    categories: int = 0
    """The site's categories. Every edition has them all (editions.py), so they are counted once, not per edition."""
    products: int = 0
    editions: dict[str, int] = field(default_factory=dict)
    """A site with editions: each edition's products, by key, the edition at / first (empty without editions)."""
    pages: int = 0
    written: int = 0
    unchanged: int = 0
    rendered: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, WarningGroup] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)  # category slug -> why its data is old
    affected: list[str] = field(default_factory=list)
    """The publish policy's lines: categories published without prices or listings, and why (publish.py)."""
    alerts: list[str] = field(default_factory=list)
    """eBay trouble the owner must hear of (breaker open, quota gone, deadline passed), once each."""
    seconds: float = 0.0

    def warn(self, message: str, example: str | None = None) -> None:
        """Add a warning; the same message again only counts (and keeps a few examples)."""
        group = self.warnings.setdefault(message, WarningGroup(message))
        group.count += 1
        if example is not None and len(group.examples) < 5:
            group.examples.append(example)

    def lines(self) -> list[str]:
        out = [
            f"built {self.pages} pages from {self.source}: {self.categories} categories, {self.products} products "
            f"({self.written} files written, {self.unchanged} unchanged) in {self.seconds:.2f}s"
        ]
        if self.editions:
            each = ", ".join(f"{key} {products} products" for key, products in self.editions.items())
            out.append(f"{len(self.editions)} editions, each with the {self.categories} categories: {each}")
        if self.dropped:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.dropped.items(), key=lambda kv: -kv[1]))
            out.append(f"left out {sum(self.dropped.values())} listings: {reasons}")
        for alert in self.alerts:
            out.append(f"warning: {alert}")
        out.extend(self.affected)
        for group in self.warnings.values():
            more = f" (and {group.count - len(group.examples)} more)" if group.count > len(group.examples) else ""
            shown = f": {', '.join(group.examples)}{more}" if group.examples else ""
            out.append(
                f"warning: {group.count} × {group.message}{shown}"
                if group.count > 1
                else f"warning: {group.message}{shown}"
            )
        out.extend(self.notes)
        return out

    def merge(self, other: BuildReport, edition: str) -> None:
        """Add another edition's report to this one, its examples and categories named `<edition>/<slug>`.

        Products, pages and listings left out add up (each edition has its own); the categories do not: they are the
        site's, which every edition publishes, so two editions of 4 categories are a site of 4 categories."""
        self.categories = max(self.categories, other.categories)
        self.editions.update(other.editions)
        self.products += other.products
        self.pages += other.pages
        self.rendered += other.rendered
        for reason, count in other.dropped.items():
            self.dropped[reason] = self.dropped.get(reason, 0) + count
        for message, group in other.warnings.items():
            mine = self.warnings.setdefault(message, WarningGroup(message))
            mine.count += group.count
            room = max(0, 5 - len(mine.examples))
            mine.examples.extend(f"{edition}/{example}" for example in group.examples[:room])
        self.stale.update({f"{edition}/{slug}": why for slug, why in other.stale.items()})
        self.affected.extend(f"edition {edition}: {line}" for line in other.affected)
        self.alerts.extend(alert for alert in other.alerts if alert not in self.alerts)
        self.notes.extend(f"edition {edition}: {note}" for note in other.notes)

    def owner_warnings(self) -> list[str]:
        """One line per thing the site owner should act on or know of (GitHub Actions annotations)."""
        out = list(self.alerts)
        out += [line for line in self.affected if line.startswith("published ")]
        for group in self.warnings.values():
            shown = f": {', '.join(group.examples)}" if group.examples else ""
            out.append(f"{group.count} × {group.message}{shown}" if group.count > 1 else f"{group.message}{shown}")
        return out

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()
