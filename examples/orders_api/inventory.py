"""Asking the inventory API on the user's behalf: on-behalf-of, an RFC 8693 token exchange.

The token the orders API received is for the orders API (its ``aud``); the inventory API
refuses it. So the orders API authenticates at gatehouse as its own client, exchanges the
user's token for one for the inventory API, and calls with that. The inventory API sees the
same user, with ``act`` naming the orders API. gatehouse allows it only for pairs an operator
granted (`gatehouse grant token-exchange`) and only for scopes the user consented to.

A real API would keep each exchanged token until shortly before it expires instead of
exchanging on every call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
TIMEOUT = 10.0


class ExchangeRefused(Exception):
    """gatehouse refused the exchange: its JSON error (RFC 8693 §2.2.2) is in ``answer``."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer.get("error_description") or answer.get("error"))
        self.answer = answer


class Inventory:
    """The inventory API at ``url`` (identifier ``audience``), called as the user."""

    def __init__(
        self, issuer: str, url: str, audience: str, client_id: str, client_secret: str
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.url = url.rstrip("/")
        self.audience = audience
        self._credentials = (client_id, client_secret)
        self._http = httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)
        self._token_endpoint: str | None = None

    async def stock(self, user_token: str, item: str) -> httpx.Response:
        token = await self.exchange(user_token)
        return await self._http.get(
            f"{self.url}/stock/{quote(item, safe='')}",
            headers={"Authorization": f"Bearer {token}"},
        )

    async def exchange(self, user_token: str) -> str:
        """RFC 8693 §2.1: the user's token in, a token for the inventory API out."""
        response = await self._http.post(
            await self._endpoint(),
            data={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": user_token,
                "subject_token_type": ACCESS_TOKEN,
                "audience": self.audience,
                "scope": "inventory.read",
            },
            auth=self._credentials,
        )
        answer: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise ExchangeRefused(answer)
        return str(answer["access_token"])

    async def _endpoint(self) -> str:
        """The token endpoint, from the issuer's discovery document (RFC 8414 §3)."""
        if self._token_endpoint is None:
            metadata = await self._http.get(f"{self.issuer}/.well-known/openid-configuration")
            metadata.raise_for_status()
            self._token_endpoint = str(metadata.json()["token_endpoint"])
        return self._token_endpoint

    async def aclose(self) -> None:
        await self._http.aclose()
