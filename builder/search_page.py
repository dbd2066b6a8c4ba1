"""The search page type: /search/, where the header's search box leads (`?q=`), answered in the browser by
Pagefind over the index that search_index.py makes at the end of the build. Not indexed itself and not in the
sitemap (a results page has nothing of its own for search engines)."""

from __future__ import annotations

from .i18n import gettext as _
from .render import PageJob, Planner

SEARCH_PATH = "/search/"


class SearchPage:
    def jobs(self, planner: Planner) -> list[PageJob]:
        return [
            PageJob(
                SEARCH_PATH.lstrip("/") + "index.html",
                "search.html",
                {
                    "canonical": SEARCH_PATH,
                    "noindex": True,
                    "title": _("Search"),
                    "description": _("Search the listings of %(site)s.") % {"site": planner.config.site.title},
                    "og_image": planner.default_image,
                    "categories": planner.build.site.categories,
                },
                "the search page",
                [planner.default_image],
            )
        ]
