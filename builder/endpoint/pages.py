"""The few HTML pages the endpoint serves itself: small, self-contained (inline CSS, no scripts),
autoescaped, in the site's language (the caller passes translated texts and the `lang`; language.py)."""

from __future__ import annotations

from jinja2 import Environment, select_autoescape

from ..i18n import gettext as _

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_LAYOUT = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{{ title }} · {{ site_name }}</title>
<style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.6rem
1.2rem;border:0;border-radius:.4rem;background:#0b57d0;color:#fff;cursor:pointer}
a{color:#0b57d0}</style></head>
<body><main><h1>{{ title }}</h1>{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}
{% if form_action %}<form method="post" action="{{ form_action }}">
{% for name, value in fields %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
{% for name, value, label, checked, kind in choices %}<p><label><input type="{{ kind }}" name="{{ name }}"
value="{{ value }}"{% if checked %} checked{% endif %}> {{ label }}</label></p>{% endfor %}
<button type="submit">{{ button }}</button></form>{% endif %}
{% if link %}<p><a href="{{ link[0] }}" rel="sponsored nofollow noopener"{% if ping %} ping="{{ ping }}"{% endif %}
style="font-size:1.2rem">{{ link[1] }}</a></p>{% endif %}
<p><a href="{{ site_url }}/">{{ back }}</a></p></main></body></html>
"""
_template = _env.from_string(_LAYOUT)


def render_page(
    *,
    lang: str,
    title: str,
    paragraphs: list[str],
    site_url: str,
    site_name: str,
    form_action: str = "",
    fields: list[tuple[str, str]] | None = None,
    button: str = "",
    link: tuple[str, str] | None = None,
    ping: str = "",
    choices: list[tuple[str, str, str, bool, str]] | None = None,
) -> str:
    """`choices`: (name, value, label, checked, input type) of each radio button or checkbox."""
    return _template.render(
        lang=lang,
        title=title,
        paragraphs=paragraphs,
        site_url=site_url,
        site_name=site_name,
        form_action=form_action,
        fields=fields or [],
        button=button,
        link=link,
        ping=ping,
        choices=choices or [],
        back=_("Back to %(site)s") % {"site": site_name},
    )
