"""The names and paths of gatehouse's cookies, per tenant.

A browser sends a cookie to every path below the one it was set for, and Starlette keeps the
last of two cookies with one name: the default tenant's cookies (path "/") reach every
tenant's pages too. So each other tenant's cookies have names of their own (the default
name, then ``_{tenant}``) and live below its path (``/t/{tenant}``): a tenant's pages never
read another tenant's cookie. The default tenant's names and paths are what they always were.
Code reads the names from the app's ``CookieNames`` (``cookie_names(request)``), never from
a constant.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from gatehouse.tenancy import DEFAULT_TENANT, tenant_path


@dataclass(frozen=True)
class CookieNames:
    session: str = "gh_session"
    # Marks a browser a person has signed in from (accounts/known_browsers.py).
    device: str = "gh_device"
    # The user code the device page (web/device.py) keeps while the person signs in.
    user_code: str = "gh_user_code"
    csrf: str = "gh_csrf"
    # The account page's own sign-in (web/account.py), while it is under way.
    account_sign_in: str = "gh_account_signin"
    # The path every cookie of the tenant lives below: "" is the server's root.
    base: str = ""

    @classmethod
    def of_tenant(cls, tenant: str) -> CookieNames:
        if tenant == DEFAULT_TENANT:
            return cls()
        default = cls()
        return cls(
            session=f"{default.session}_{tenant}",
            device=f"{default.device}_{tenant}",
            user_code=f"{default.user_code}_{tenant}",
            csrf=f"{default.csrf}_{tenant}",
            account_sign_in=f"{default.account_sign_in}_{tenant}",
            base=tenant_path(tenant),
        )

    @property
    def path(self) -> str:
        """The path of the cookies every page of the tenant reads."""
        return self.base or "/"

    def below(self, path: str) -> str:
        """The path of a cookie only the pages at ``path`` (of the tenant) read."""
        return f"{self.base}{path}"


def cookie_names(request: Request) -> CookieNames:
    """The cookies of the tenant whose app serves ``request`` (kept by web/app.py)."""
    names: CookieNames = request.app.state.cookies
    return names
