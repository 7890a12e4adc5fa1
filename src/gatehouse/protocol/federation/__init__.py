"""Federation to upstream OpenID Connect identity providers (docs/federation.md).

- ``start.py`` (with keys/discovery.py, the upstream's discovery document, cached):
  "Sign in with ..." sends the browser upstream (code flow, PKCE S256, state
  and nonce bound to the browser's paused request, one-time);
- ``code_exchange.py`` and ``id_token.py``: the callback's code exchanged at the upstream's
  token endpoint, and its ID token checked (pinned algorithms, exact iss, aud/azp, nonce,
  times) before its subject is trusted;
- ``accounts.py``: which local account the upstream subject is (linked, created just in
  time, or an existing account the person must first prove);
- ``pending.py``: what is finished when the sign-in that follows ends (the link, the
  federated session), inside protocol/sign_in_flow.py's transaction;
- ``logout.py``: the upstream's end-session endpoint after gatehouse's own sign-out.

protocol/federated_sign_in.py ties the callback to the sign-in flow.
"""
