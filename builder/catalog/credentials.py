"""eBay application credentials, read from the environment only and kept in a type that never shows them."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import UsageError

CLIENT_ID_ENV = "EBAY_CLIENT_ID"
CLIENT_SECRET_ENV = "EBAY_CLIENT_SECRET"  # noqa: S105 (a variable name)

_MASK = "**********"


class Secret:
    """A string that does not print itself: `str()`, `repr()` and f-strings show a mask, never the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str:  # refuse pickling: a pickle would carry the value to wherever it is written
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Credentials:
    """An eBay application's keyset (the OAuth client-credentials grant needs nothing else)."""

    client_id: Secret
    client_secret: Secret

    def basic_auth_header(self) -> str:
        """The `Authorization` header value for the token endpoint; never log it."""
        raw = f"{self.client_id.get_secret_value()}:{self.client_secret.get_secret_value()}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """EBAY_CLIENT_ID and EBAY_CLIENT_SECRET from the environment.

    None when neither is set (or both are empty, as CI sets variables whose secret is missing); a UsageError
    naming the missing one when only one is set.
    """
    env = os.environ if environ is None else environ
    client_id = env.get(CLIENT_ID_ENV, "").strip()
    client_secret = env.get(CLIENT_SECRET_ENV, "").strip()
    if not client_id and not client_secret:
        return None
    missing = [name for name, value in ((CLIENT_ID_ENV, client_id), (CLIENT_SECRET_ENV, client_secret)) if not value]
    if missing:
        present = CLIENT_SECRET_ENV if missing[0] == CLIENT_ID_ENV else CLIENT_ID_ENV
        raise UsageError(
            f"{present} is set but {missing[0]} is not: set both to your eBay application's keyset "
            "(developer.ebay.com, Application Keys), or neither to build from the demo catalog"
        )
    return Credentials(Secret(client_id), Secret(client_secret))
