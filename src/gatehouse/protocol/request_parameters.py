"""The effective parameters of an authorization request (RFC 9126 §4, RFC 9101 §5).

A request to /authorize carries its parameters in one of three ways: plainly; in a signed
request object (``request``); or by reference to a request the client pushed to /par
(``request_uri``). This step, before any validation, turns the last two into plain
parameters; the authorization endpoint's steps then validate them as if they had been sent
plainly. Its errors stay at gatehouse (an error page): until the parameters are known, no
redirect URI is trusted.

gatehouse does not fetch request objects from URLs: a ``request_uri`` must be one its own
pushed authorization request endpoint issued (discovery says so with
``request_uri_parameter_supported: false``; RFC 9126 §4 needs no more).
"""

from __future__ import annotations

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidRequest, InvalidRequestUri
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.request_object import request_object_parameters
from gatehouse.storage.records import Client, PushedRequest

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


def effective_parameters(provider: Provider, params: Parameters) -> Parameters:
    """``params`` with a request object or a pushed request resolved; plain parameters as
    they are. RFC 9126 §6: a client registered with require_pushed_authorization_requests
    must use a request_uri."""
    if "request" not in params and "request_uri" not in params:
        client = _client(provider, params, required=False)
        if client is not None and client.require_pushed_authorization_requests:
            raise InvalidRequest(
                "this client must push its authorization request to the pushed authorization "
                "request endpoint (/par) first, and send only client_id and the request_uri"
            )
        return params
    client = _client(provider, params, required=True)
    assert client is not None
    if "request" in params and "request_uri" in params:
        raise InvalidRequest("send either request or request_uri, not both")
    if "request_uri" in params:
        return pushed_parameters(provider, client, params["request_uri"])
    if client.require_pushed_authorization_requests:
        raise InvalidRequest(
            "this client must push its authorization request (and its request object) to "
            "/par first, and send only client_id and the request_uri"
        )
    resolved = request_object_parameters(provider, client, params["request"])
    return _with_client_id(resolved, client.client_id)


def pushed_parameters(provider: Provider, client: Client, request_uri: str) -> Parameters:
    """RFC 9126 §4: the parameters of the request pushed under ``request_uri``, spent by this
    use (one conditional UPDATE). Only a request_uri /par issued to this client, not used
    and not expired, is accepted: otherwise invalid_request_uri (RFC 9101 §6.2)."""
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        raise InvalidRequestUri(
            "request_uri must be one issued by this server's pushed authorization request "
            "endpoint (/par); gatehouse does not fetch request objects from URLs"
        )
    digest = sha256_digest(request_uri)
    now = provider.clock()
    pushed = provider.pushed_requests.consume(digest, client.client_id, now)
    if pushed is None:
        raise _refusal(provider.pushed_requests.get(digest), client, now)
    return Parameters(
        {name: values[0] for name, values in pushed.parameters.items() if values},
        {name: tuple(values) for name, values in pushed.parameters.items() if len(values) > 1},
    )


def _refusal(pushed: PushedRequest | None, client: Client, now: int) -> InvalidRequestUri:
    """Why a request_uri was refused, in words a developer can act on."""
    if pushed is None:
        return InvalidRequestUri("request_uri was not issued by this server's /par endpoint")
    if pushed.client_id != client.client_id:
        return InvalidRequestUri("request_uri was not issued to this client")
    if pushed.used_at is not None:
        return InvalidRequestUri("request_uri was already used: push the request again")
    return InvalidRequestUri("request_uri has expired: push the request again")


def _client(provider: Provider, params: Parameters, *, required: bool) -> Client | None:
    """RFC 9126 §4, RFC 9101 §5: client_id is sent beside request or request_uri, to say
    whose keys and pushed requests to look at. An unknown client is left to the trust step
    when the parameters are plain."""
    client_id = params.get("client_id")
    if client_id is None:
        if required:
            raise InvalidRequest("the client_id parameter is required with request or request_uri")
        return None
    client = provider.clients.get(client_id)
    if client is None and required:
        raise InvalidRequest(f"no application is registered with client_id {client_id[:100]!r}")
    return client


def _with_client_id(params: Parameters, client_id: str) -> Parameters:
    """The request object's parameters, with the client_id it was verified for when the
    object left it out (the one outside counts then, RFC 9101 §5)."""
    if params.get("client_id") == client_id:
        return params
    return Parameters({**params.entries, "client_id": client_id}, params.repeated)
