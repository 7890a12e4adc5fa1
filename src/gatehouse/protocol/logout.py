"""RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0).

A client sends the browser to the end-session endpoint, ideally with the ID token it got
(``id_token_hint``). gatehouse ends the SSO session — which also ends every refresh token
tied to it — and sends the browser back to a *registered* post-logout redirect URI with
``state``. Without a hint that matches the current session the person is asked to confirm,
so a third-party page cannot sign people out behind their back.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.accounts import sessions
from gatehouse.errors import InvalidRequest
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import with_query
from gatehouse.storage.records import Client, EndedSession, SessionSelector
from gatehouse.tokens.id_token import read_id_token_hint


@dataclass(frozen=True)
class LogoutRequest:
    client: Client | None
    post_logout_redirect_uri: str | None
    state: str | None
    hint_sid: str | None

    def redirect_location(self) -> str | None:
        if self.post_logout_redirect_uri is None:
            return None
        params = {"state": self.state} if self.state is not None else {}
        return (
            with_query(self.post_logout_redirect_uri, params)
            if params
            else self.post_logout_redirect_uri
        )


def validate_logout(provider: Provider, params: Parameters) -> LogoutRequest:
    """§2 and §3: the client comes from client_id or the hint's aud; a post-logout redirect
    URI must be registered for it, exactly."""
    hint_claims = None
    hint = params.get("id_token_hint")
    if hint is not None:
        issuer = provider.config.issuer
        hint_claims = read_id_token_hint(hint, provider.keys.keyring(), issuer=issuer)
        if hint_claims is None and (reloaded := provider.keys.reloaded_for_unknown_kid(hint)):
            hint_claims = read_id_token_hint(hint, reloaded, issuer=issuer)
        if hint_claims is None:
            raise InvalidRequest("id_token_hint is not an ID token issued by this server")
    client_id = params.get("client_id")
    if hint_claims is not None:
        aud = hint_claims["aud"]
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id is not None and client_id not in audiences:
            raise InvalidRequest("client_id does not match the audience of id_token_hint")
        client_id = client_id or (audiences[0] if len(audiences) == 1 else None)
    client = provider.clients.get(client_id) if client_id is not None else None
    if client_id is not None and client is None:
        raise InvalidRequest(f"no application is registered with client_id {client_id[:100]!r}")
    uri = params.get("post_logout_redirect_uri")
    if uri is not None:
        if client is None:
            raise InvalidRequest(
                "post_logout_redirect_uri needs client_id or id_token_hint to say which "
                "application it belongs to"
            )
        if uri not in client.post_logout_redirect_uris:
            raise InvalidRequest(
                f"post_logout_redirect_uri {uri[:200]!r} is not registered for this application"
            )
    sid = hint_claims.get("sid") if hint_claims is not None else None
    return LogoutRequest(
        client=client,
        post_logout_redirect_uri=uri,
        state=params.get("state"),
        hint_sid=sid if isinstance(sid, str) else None,
    )


def end_session(
    provider: Provider, session_cookie: str | None, request: LogoutRequest
) -> list[EndedSession]:
    """§2: end the browser's live SSO session (``session_cookie``), which ends every refresh
    token tied to it and tells every client that took part. When none came with the request
    (a cross-site POST leaves the SameSite=Lax cookie behind) but the verified ID token
    names its session, end that one, or the client would believe the person signed out
    while the session and its refresh tokens live."""
    which = sessions.browser_session(session_cookie)
    if which is None and request.hint_sid is not None:
        which = SessionSelector(sid=request.hint_sid)
    if which is None:
        return []
    return sessions.sign_out(provider.sessions, which, provider.clock(), "logout")


@dataclass(frozen=True)
class LogoutFrame:
    """One client's front-channel logout page, to load in an iframe (Front-Channel Logout
    1.0 §2): ``uri`` with ``iss`` and ``sid`` when the client asked for them."""

    client_name: str
    uri: str


def frontchannel_frames(provider: Provider, ended: list[EndedSession]) -> list[LogoutFrame]:
    """Front-Channel Logout 1.0 §2 and §4: a frame for every client that took part in an
    ended session and registered a frontchannel_logout_uri, loaded by the page the person
    sees after signing out, before the browser goes on to the post-logout redirect URI."""
    frames = []
    for session in ended:
        for client_id in session.client_ids:
            client = provider.clients.get(client_id)
            if client is None or client.frontchannel_logout_uri is None:
                continue
            uri = client.frontchannel_logout_uri
            if client.frontchannel_logout_session_required:
                uri = with_query(uri, {"iss": provider.config.issuer, "sid": session.sid})
            frames.append(LogoutFrame(client.name, uri))
    return frames
