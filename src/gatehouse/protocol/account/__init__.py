"""The account page's core: the person's side of gatehouse, for the signed-in person.

The page is a first-party client of gatehouse itself (``client.py``): a browser without a
live SSO session signs in through /authorize like for any application, so lockout, second
factors and step-up apply to it too (``signin.py``), and sensitive actions need a recent
sign-in. ``overview.py`` gathers what the page shows; ``profile.py``, ``security.py`` and
``access.py`` carry out what the person asks, each change recorded in the audit log in the
same transaction. The web adapter is web/account.py.
"""
