"""eBay application credentials, read from the environment only and kept in a type that never shows them."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import UsageError
from ..secret import Secret

CLIENT_ID_ENV = "EBAY_CLIENT_ID"
CLIENT_SECRET_ENV = "EBAY_CLIENT_SECRET"  # noqa: S105 (a variable name)


@dataclass(frozen=True)
class Credentials:
    """An eBay application's keyset (the OAuth client-credentials grant needs nothing else)."""

    client_id: Secret
    client_secret: Secret

    def basic_auth_header(self) -> str:
        """The `Authorization` header value for the token endpoint; never log it."""
        raw = f"{self.client_id.reveal()}:{self.client_secret.reveal()}".encode()
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
