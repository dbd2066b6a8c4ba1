"""Signed tokens for the links in mails: compact, tamper-proof, expiring, bound to one purpose.

`<payload>.<signature>`, both base64url; the payload is JSON `{"p": purpose, "s": subscriber id, "n": nonce,
"e": expiry (unix seconds, 0 = never)}`; the signature is HMAC-SHA256 under a key derived from
AFFSITE_SECRET_KEY and
the purpose, so a token for one purpose is worthless for another. Single use is the store's part: a
confirmation
token carries the nonce stored with the subscriber, cleared when it is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Purpose = Literal["confirm", "unsubscribe", "preferences"]
MAX_TOKEN_LENGTH = 400


class TokenError(ValueError):
    """The token is malformed, forged, for another purpose, or expired."""


@dataclass(frozen=True)
class TokenClaims:
    purpose: Purpose
    subscriber_id: int
    nonce: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"affsite:{purpose}".encode(), hashlib.sha256).digest()


class Signer:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def _mac(self, purpose: str, payload: str) -> str:
        return _b64(
            hmac.new(derive_key(self._secret, f"token:{purpose}"), payload.encode("ascii"), hashlib.sha256).digest()
        )

    def make(self, purpose: Purpose, subscriber_id: int, *, nonce: str = "", expires: datetime | None = None) -> str:
        claims = {
            "p": purpose,
            "s": subscriber_id,
            "n": nonce,
            "e": int(expires.timestamp()) if expires else 0,
        }
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._mac(purpose, payload)}"

    def read(self, token: str, purpose: Purpose, now: datetime) -> TokenClaims:
        # non-ASCII would crash the MAC (encode) and compare_digest (TypeError): a malformed link, not a 500
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii() or token.count(".") != 1:
            raise TokenError("malformed token")
        payload, signature = token.split(".")
        if not hmac.compare_digest(signature, self._mac(purpose, payload)):
            raise TokenError("bad signature")
        try:
            claims = json.loads(_unb64(payload))
            subscriber_id, nonce, expires = int(claims["s"]), str(claims["n"]), int(claims["e"])
            if claims["p"] != purpose:
                raise TokenError("wrong purpose")
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("malformed token") from exc
        if expires and now.timestamp() > expires:
            raise TokenError("expired")
        return TokenClaims(purpose, subscriber_id, nonce, expires)


def keyed_hash(secret: str, scope: str, value: str, length: int = 32) -> str:
    """A stable keyed hash (hex) of a personal value (IP, address) for proofs and rate limits: not reversible
    without the secret key, and different per scope."""
    digest = hmac.new(derive_key(secret, f"hash:{scope}"), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:length]
