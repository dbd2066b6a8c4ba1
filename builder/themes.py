"""Where a site's templates and assets come from: its own `templates/` folder first, then the theme in the package.

The default theme ships inside affsite (`builder/theme/`: templates at its top, `assets/` inside). A site overrides
it file by file: `templates/product.html` in the site folder replaces the theme's product page and nothing else, so
the site keeps getting fixes to every template it did not change; `templates/assets/site.css` replaces the theme's
stylesheet, and any other file under `templates/assets/` is published next to the theme's assets. This is the search
path of MkDocs' themes (`jinja2.FileSystemLoader(dirs)`, first folder wins), with the same folder layout at every
level, so `affsite new --theme-copy` is just a copy of the theme into `templates/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

THEME_DIR = Path(__file__).resolve().parent / "theme"
SITE_TEMPLATES = "templates"  # the site's own folder, relative to its root
ASSETS = "assets"  # the asset folder inside the theme and inside the site's templates/
LOCALES = "locales"  # message catalogs (i18n.py): inputs of every page, neither templates nor published


@dataclass(frozen=True)
class Theme:
    """The search path of one site, site first: the folders that exist, in the order a file is looked up."""

    root: Path  # the site folder
    dirs: tuple[Path, ...]

    @classmethod
    def of_site(cls, root: Path, theme_dir: Path = THEME_DIR) -> Theme:
        site = root / SITE_TEMPLATES
        return cls(root, (site, theme_dir) if site.is_dir() else (theme_dir,))

    def files(self) -> dict[str, Path]:
        """Every file of the theme as the site sees it: relative name ("assets/site.css") -> the file used."""
        found: dict[str, Path] = {}
        for folder in self.dirs:
            for path in sorted(folder.rglob("*")):
                name = path.relative_to(folder).as_posix()
                if name not in found and path.is_file() and not _ignored(name):
                    found[name] = path
        return dict(sorted(found.items()))

    def assets(self) -> dict[str, Path]:
        """The files to publish under /assets/: name inside assets/ ("img/logo.png") -> the file used."""
        prefix = ASSETS + "/"
        return {name.removeprefix(prefix): path for name, path in self.files().items() if name.startswith(prefix)}

    def label(self, name: str) -> str:
        """A template's name as its editor knows the file: `templates/product.html` when the site has its own,
        otherwise the theme file's path (in the installed package)."""
        for folder in self.dirs:
            if (folder / name).is_file():
                return _shown(folder / name, self.root)
        return f"{SITE_TEMPLATES}/{name}"  # missing everywhere: the site's folder is where it would go

    def label_of_file(self, path: Path) -> str | None:
        """`label` for a file given by its path, or None when it is no file of the search path."""
        resolved = path.resolve()
        for folder in self.dirs:
            try:
                name = resolved.relative_to(folder.resolve()).as_posix()
            except ValueError:
                continue
            return f"{_shown(folder / name, self.root)}"
        return None


def is_template(name: str) -> bool:
    """Whether a file of the search path is a template (assets are published as they are, never rendered; message
    catalogs are read by i18n.py; editor leftovers are neither)."""
    return not name.startswith((ASSETS + "/", LOCALES + "/")) and not _ignored(name)


def _ignored(name: str) -> bool:
    # Editor and OS leftovers are never part of a theme: a half-saved `.product.html.swp` must not be published.
    return any(part.startswith(".") or part == "__pycache__" for part in name.split("/")) or name.endswith("~")


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
