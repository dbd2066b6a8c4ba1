"""The click and subscribe endpoint: the one server a static affiliate site needs (`affsite endpoint`).

One concept per module: `settings` (environment), `store` (database, SQLAlchemy Core), `migrate` (Alembic),
`clickwriter` (group commit of clicks), `manifest_source` (the build's manifest, reloaded), `tokens`, `mail`,
`visitors` (client IP, visitor hash, bot flag), `ratelimit`, `netlify` (proxy signature), `middleware`,
`problems`
(JSON error bodies), `pages` (the few HTML pages), `logs` (JSON logs), `app` (routes), `commands` (CLI).
Nothing here is imported by `builder.cli` at start except `commands`, which only touches argparse.
"""
