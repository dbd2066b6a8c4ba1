"""Netlify's signed proxy requests: with a secret set on a Netlify rewrite (`signed = "..."`), Netlify adds an
`X-Nf-Sign` header, a JWT (HS256) with `iss: netlify` and a short expiry. When AFFSITE_NETLIFY_PROXY_SECRET
is set,
the endpoint accepts requests only with a valid signature, and then trusts `X-Nf-Client-Connection-Ip`."""

from __future__ import annotations

import jwt

MAX_SIGNATURE_LENGTH = 2048


def verify_netlify_signature(token: str | None, secret: str) -> bool:
    if not token or len(token) > MAX_SIGNATURE_LENGTH:
        return False
    try:
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer="netlify",
            options={"require": ["exp", "iss"]},
            leeway=5,
        )
    except jwt.PyJWTError:
        return False
    return True
