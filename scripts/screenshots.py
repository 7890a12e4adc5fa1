"""Screenshots of gatehouse's pages for the docs, taken with the end-to-end test harness: a
real server, Debian's headless Chromium, and Authlib building the authorization requests.

    .venv/bin/python scripts/screenshots.py [output directory, default docs/screenshots]

Writes login.png, consent.png and demo-result.png from a sign-in to the demo app, as
docs/demo.md walks through it, error.png from a request with an unregistered redirect URI,
account.png, the account page (docs/account.md) of a person who uses one application and
whose organisation allowed another,
totp-enroll.png and verify.png from a two-step sign-in (docs/mfa.md), passkeys.png and
login-passkey.png (docs/passkeys.md) from a server at http://localhost, with Chromium's
virtual authenticators as the person's devices, and register.png, forgot-password.png and
reset-password.png from a server with self-service accounts on (docs/self-service.md), its
email going to an SMTP server on loopback; logout.png and signed-out.png from an
RP-initiated logout of an application with a front-channel logout URI (docs/logout.md), and
login-de.png, the demo's sign-in page in a German browser (docs/translations.md); device.png
and device-confirm.png, the device page with the code a TV shows and its question
(docs/device-flow.md); form-post.png, a form_post response as a browser without JavaScript
shows it (docs/flows.md); admin-approval.png, the page that says an administrator must
approve an application (docs/admin-consent.md); login-federation.png, the login page with
the button of an upstream identity provider (docs/federation.md); tenant-login.png, the
sign-in page of a tenant with its own name and colours (docs/tenants.md); find-organisation.png
and not-available.png, a multi-tenant application's "Find your organisation" page at the
common authority and the page of an organisation it is not available in
(docs/multi-tenant-apps.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyotp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from tests.support.browser import (  # noqa: E402
    PLATFORM_AUTHENTICATOR,
    VIEWPORT,
    LoopbackSite,
    answer_consent,
    launch_chromium,
    sign_in,
)
from tests.support.live_server import LiveServer, start_server  # noqa: E402
from tests.support.relying_party import RelyingParty  # noqa: E402
from tests.support.smtp import Mailbox, link_in, serve_mailbox  # noqa: E402


def _shoot(page: Page, path: Path, *, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def error_page(browser: Browser, server: LiveServer, out: Path) -> None:
    callback = LoopbackSite().start()
    try:
        client = server.create_client(
            "notes", [callback.url("/callback")], name="Acme Notes", scope="openid profile email"
        )
        stranger = RelyingParty(server, client, callback.url("/somewhere-else"))
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(stranger.start().url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _shoot(page, out / "error.png")
        context.close()
        stranger.close()
    finally:
        callback.stop()


def account_page(browser: Browser, server: LiveServer, out: Path) -> None:
    """The account page of a person signed in in two browsers who allowed one application,
    and whose organisation allowed another for everyone (admin consent)."""
    callback = LoopbackSite().start()
    try:
        client = server.create_client(
            "journal",
            [callback.url("/callback")],
            name="Acme Journal",
            scope="openid profile email",
        )
        server.create_user(
            "alice", "correct horse battery staple", email="alice@example.com", name="Alice Liddell"
        )
        server.create_client(
            "directory", [callback.url("/callback")], name="Acme Directory", scope="openid profile"
        )
        server.cli("consent", "grant-admin", "--client", "directory")
        contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
        for context in contexts:
            page = context.new_page()
            page.goto(server.url("/account"))
            sign_in(page, "alice", "correct horse battery staple")
            expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        notes = RelyingParty(server, client, callback.url("/callback"))
        page.goto(notes.start().url)
        answer_consent(page, "Allow")
        page.wait_for_url(lambda url: url.startswith(callback.url("/callback")))
        notes.close()
        page.goto(server.url("/account"))
        expect(page.get_by_role("heading", name="Applications you allowed")).to_be_visible()
        _shoot(page, out / "account.png", full_page=True)
        for context in contexts:
            context.close()
    finally:
        callback.stop()


def mfa_pages(browser: Browser, server: LiveServer, out: Path) -> None:
    """A client that requires a second factor: setting up the app, then the code step."""
    callback = LoopbackSite().start()
    password = "correct horse battery staple"
    try:
        client = server.create_client(
            "bank", [callback.url("/callback")], name="Acme Bank", extra=("--require-mfa",)
        )
        server.create_user("alice", password, email="alice@example.com", name="Alice Liddell")
        rp = RelyingParty(server, client, callback.url("/callback"))
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(rp.start().url)
        sign_in(page, "alice", password)
        expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
        _shoot(page, out / "totp-enroll.png", full_page=True)
        totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
        first = totp.now()
        page.get_by_label("Code the app shows now").fill(first)
        page.get_by_role("button", name="Turn on").click()
        expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
        context.close()

        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(rp.start().url)
        sign_in(page, "alice", password)
        expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
        _shoot(page, out / "verify.png")
        while totp.now() == first:  # a code is accepted once: wait for the next one
            time.sleep(0.5)
        page.get_by_label("Code from your authenticator app").fill(totp.now())
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
        context.close()
        rp.close()
    finally:
        callback.stop()


def logout_pages(browser: Browser, server: LiveServer, out: Path) -> None:
    """Signing out of an application that registered a front-channel logout URI: the
    confirmation, then the signed-out page, whose frame tells the application."""
    site = LoopbackSite().start()
    try:
        callback = site.url("/callback")
        server.create_client(
            "wiki", [callback], name="Acme Wiki",
            extra=("--frontchannel-logout-uri", site.url("/frontchannel-logout")),
        )  # fmt: skip
        server.create_user("bob", "correct horse battery staple")
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(
            server.url("/authorize?response_type=code&client_id=wiki&scope=openid&state=s")
            + f"&redirect_uri={callback}&code_challenge={'a' * 43}&code_challenge_method=S256"
        )
        sign_in(page, "bob", "correct horse battery staple")
        answer_consent(page, "Allow")
        page.wait_for_url(lambda url: url.startswith(callback))
        page.goto(server.url("/logout?client_id=wiki"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _shoot(page, out / "logout.png")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
        _shoot(page, out / "signed-out.png")
        context.close()
    finally:
        site.stop()


def device_pages(browser: Browser, server: LiveServer, out: Path) -> None:
    """A TV app's code entered from its QR code, then the question, for alice (whom
    account_page created)."""
    server.cli(
        "client", "create", "--client-id", "tv", "--type", "public", "--name", "Living-room TV",
        "--grant-type", "urn:ietf:params:oauth:grant-type:device_code",
        "--grant-type", "refresh_token", "--scope", "openid profile offline_access",
    )  # fmt: skip
    with httpx.Client(trust_env=False, timeout=10) as http:
        codes = http.post(
            server.url("/device_authorization"),
            data={"client_id": "tv", "scope": "openid profile offline_access"},
        ).json()
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(codes["verification_uri_complete"])
    expect(page.get_by_label("Code")).to_have_value(codes["user_code"])
    _shoot(page, out / "device.png")
    page.get_by_role("button", name="Continue").click()
    sign_in(page, "alice", "correct horse battery staple")
    expect(page.get_by_role("heading", name="Allow this device?")).to_be_visible()
    _shoot(page, out / "device-confirm.png")
    context.close()


def demo_pages(browser: Browser, demo: LiveServer, out: Path) -> None:
    """The demo's sign-in, step by step: the pages docs/demo.md shows."""
    assert demo.demo_credentials is not None
    username, password = demo.demo_credentials
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(demo.url("/demo/"))
    page.get_by_role("button", name="Sign in with gatehouse").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _shoot(page, out / "login.png")

    sign_in(page, username, password)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    _shoot(page, out / "consent.png")
    answer_consent(page, "Allow")
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    _shoot(page, out / "demo-result.png", full_page=True)
    context.close()

    german = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    page = german.new_page()
    page.goto(demo.url("/demo/"))
    page.locator("form button").first.click()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    _shoot(page, out / "login-de.png")
    german.close()


def passkey_pages(browser: Browser, server: LiveServer, out: Path) -> None:
    """The passkeys page with two passkeys, and the sign-in page's passkey button."""
    callback = LoopbackSite().start()
    try:
        client = server.create_client(
            "notes", [callback.url("/callback")], name="Acme Notes", scope="openid profile email"
        )
        server.create_user("alice", "correct horse battery staple", name="Alice Liddell")
        rp = RelyingParty(server, client, callback.url("/callback"))
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
        page.goto(rp.start().url)
        sign_in(page, "alice", "correct horse battery staple")
        answer_consent(page, "Allow")
        page.wait_for_url(lambda url: url.startswith(callback.url("/callback")))
        for name, synced in (("Work laptop", False), ("Phone", True)):
            device = cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {"options": {**PLATFORM_AUTHENTICATOR, "defaultBackupEligibility": synced}},
            )["authenticatorId"]
            page.goto(server.url("/passkeys"))
            page.get_by_label("Name it after the device").fill(name)
            page.get_by_role("button", name="Add a passkey").click()
            expect(page.get_by_role("status")).to_be_visible()
            cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": device})
        page.goto(server.url("/passkeys"))
        _shoot(page, out / "passkeys.png")

        context.clear_cookies()
        page.goto(rp.start().url)
        expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
        _shoot(page, out / "login-passkey.png")
        context.close()
        rp.close()
    finally:
        callback.stop()


def self_service_pages(browser: Browser, work: Path, out: Path) -> None:
    """Registration (with the errors a person sees next to their fields) and reset."""
    with serve_mailbox() as mailbox:
        server = _self_service_server(work, mailbox)
        try:
            server.create_user("alice", "alice's long passphrase", email="alice@example.com")
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.goto(server.url("/register"))
            page.get_by_label("Username").fill("alice")
            page.get_by_label("Email address").fill("carol@example")
            page.get_by_label("Your name").fill("Carol Danvers")
            page.get_by_label("Password").fill("password1")
            page.get_by_role("button", name="Create account").click()
            expect(page.get_by_role("alert")).to_be_visible()
            _shoot(page, out / "register.png", full_page=True)
            page.goto(server.url("/password/forgot"))
            page.get_by_label("Email address").fill("alice@example.com")
            _shoot(page, out / "forgot-password.png")
            page.get_by_role("button", name="Send me a link").click()
            expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
            page.goto(link_in(mailbox.wait_for("alice@example.com"), "/password/reset"))
            expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
            _shoot(page, out / "reset-password.png")
            context.close()
        finally:
            server.stop()


def _self_service_server(work: Path, mailbox: Mailbox) -> LiveServer:
    mail = {f"GATEHOUSE_{k.upper()}": str(v) for k, v in mailbox.settings().items()}
    server = start_server(f"sqlite:///{work / 'self.db'}", work / "self", settings=mail)
    server.cli("policy", "set", "self_service_registration=true", "password_reset=true")
    server.stop()  # started again, so that it reads the policy now rather than in 5 seconds
    return start_server(f"sqlite:///{work / 'self.db'}", work / "self", settings=mail)


def admin_approval_page(browser: Browser, server: LiveServer, out: Path) -> None:
    """An application asking for a scope its API reserves for administrators, which no
    admin consent covers: the page that says an administrator must approve
    (docs/admin-consent.md)."""
    callback = LoopbackSite().start()
    try:
        server.cli(
            "api", "create", "--identifier", "https://payroll.example.com", "--name", "Payroll",
            "--scope", "payslips.read=Read your payslips",
            "--scope", "payroll.export=Export the payroll of everyone in the organisation",
            "--admin-consent-required", "payroll.export",
        )  # fmt: skip
        server.create_client(
            "reports", [callback.url("/callback")], name="Acme Reports",
            scope="openid profile payslips.read payroll.export",
        )  # fmt: skip
        server.create_user("carol", "correct horse battery staple", email="carol@example.com")
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(
            server.url("/authorize?response_type=code&client_id=reports&state=s")
            + "&scope=openid%20payslips.read%20payroll.export"
            + f"&redirect_uri={callback.url('/callback')}&code_challenge={'a' * 43}"
            + "&code_challenge_method=S256"
        )
        sign_in(page, "carol", "correct horse battery staple")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "An administrator must approve this application"
        )
        _shoot(page, out / "admin-approval.png")
        context.close()
    finally:
        callback.stop()


def form_post_page(browser: Browser, server: LiveServer, out: Path) -> None:
    """The page of a form_post response (docs/flows.md) in a browser without JavaScript,
    where the person presses Continue."""
    callback = LoopbackSite().start()
    try:
        client = server.create_client(
            "intranet",
            [callback.url("/signin-oidc")],
            name="Acme Intranet",
            scope="openid profile email",
            extra=("--response-type", "code", "--response-type", "code id_token"),
        )
        server.create_user("grace", "correct horse battery staple", name="Grace Hopper")
        intranet = RelyingParty(server, client, callback.url("/signin-oidc"))
        context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
        page = context.new_page()
        page.goto(intranet.start(response_type="code id_token", response_mode="form_post").url)
        sign_in(page, "grace", "correct horse battery staple")
        answer_consent(page, "Allow")
        expect(page.get_by_role("button", name="Continue")).to_be_visible()
        _shoot(page, out / "form-post.png")
        context.close()
        intranet.close()
    finally:
        callback.stop()


def tenant_login_page(browser: Browser, server: LiveServer, out: Path) -> None:
    """The sign-in page of tenant acme, in its name and colours (docs/tenants.md)."""
    from tests.support.tenant_server import tenant_of

    acme = tenant_of(
        server,
        "acme",
        "display_name=Acme Corporation",
        "accent_colour=#7a1fa2",
        "background_colour=#f4eef8",
    )
    callback = LoopbackSite().start()
    try:
        client = acme.create_client("intranet", [callback.url("/callback")], name="Acme Intranet")
        rp = RelyingParty(acme, client, callback.url("/callback"))
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(rp.start().url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        _shoot(page, out / "tenant-login.png")
        page.close()
        rp.close()
    finally:
        callback.stop()


def federation_page(browser: Browser, server: LiveServer, out: Path) -> None:
    """The login page with a "Sign in with ..." button of an upstream identity provider
    (docs/federation.md); the upstream itself need not answer for the page to show it."""
    callback = LoopbackSite().start()
    try:
        server.cli(
            "federation", "add", "corp", "--display-name", "Example Corp",
            "--discovery", "https://login.example.com/.well-known/openid-configuration",
            "--client-id", "gatehouse", "--client-secret-stdin", stdin="s3cret\n",
        )  # fmt: skip
        client = server.create_client(
            "wiki", [callback.url("/callback")], name="Acme Wiki", scope="openid profile email"
        )
        wiki = RelyingParty(server, client, callback.url("/callback"))
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(wiki.start().url)
        expect(page.get_by_role("button", name="Sign in with Example Corp")).to_be_visible()
        _shoot(page, out / "login-federation.png")
        context.close()
        wiki.close()
    finally:
        callback.stop()


def multi_tenant_pages(browser: Browser, server: LiveServer, out: Path) -> None:
    """A multi-tenant application through the common authority (docs/multi-tenant-apps.md):
    the "Find your organisation" page, listing the organisations where it can be used, and
    the page a person of an organisation that has not let it in sees."""
    import dataclasses

    from tests.support.tenant_server import tenant_of

    home = tenant_of(server, "northwind", "display_name=Northwind Traders")
    contoso = tenant_of(server, "contoso", "display_name=Contoso", "domains=contoso.example")
    tenant_of(server, "fabrikam", "display_name=Fabrikam", "domains=fabrikam.example")
    callback = LoopbackSite().start()
    try:
        client = home.create_client(
            "timesheets", [callback.url("/callback")], name="Timesheets", extra=("--multi-tenant",)
        )
        server.cli("--tenant", "fabrikam", "consent", "grant-admin", "--client", "timesheets")
        contoso.create_user("megan", "correct horse battery staple", email="megan@contoso.example")
        common = dataclasses.replace(server, base_url=f"{server.base_url}/t/common")
        rp = RelyingParty(common, client, callback.url("/callback"))
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(rp.start().url)
        expect(page.get_by_role("button", name="Fabrikam")).to_be_visible()
        page.get_by_label("Email address").fill("megan@contoso.example")
        _shoot(page, out / "find-organisation.png")
        page.get_by_role("button", name="Next").click()
        sign_in(page, "megan@contoso.example", "correct horse battery staple")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Timesheets is not available in Contoso"
        )
        _shoot(page, out / "not-available.png")
        page.close()
        rp.close()
    finally:
        callback.stop()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gatehouse-screenshots-") as tmp:
        work = Path(tmp)
        servers = [
            start_server(f"sqlite:///{work / 'serve.db'}", work / "serve"),
            # The account page's alice and the two-step sign-in's alice are two people.
            start_server(f"sqlite:///{work / 'mfa.db'}", work / "mfa"),
            start_server(f"sqlite:///{work / 'demo.db'}", work / "demo", demo=True),
            # Passkeys need a domain name for their RP ID: the issuer is http://localhost.
            start_server(
                f"sqlite:///{work / 'passkeys.db'}", work / "passkeys", public_host="localhost"
            ),
        ]
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    error_page(browser, servers[0], out)
                    account_page(browser, servers[0], out)
                    mfa_pages(browser, servers[1], out)
                    logout_pages(browser, servers[0], out)
                    device_pages(browser, servers[0], out)
                    form_post_page(browser, servers[0], out)
                    admin_approval_page(browser, servers[0], out)
                    federation_page(browser, servers[0], out)
                    tenant_login_page(browser, servers[0], out)
                    multi_tenant_pages(browser, servers[0], out)
                    demo_pages(browser, servers[2], out)
                    passkey_pages(browser, servers[3], out)
                    self_service_pages(browser, work, out)
                finally:
                    browser.close()
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
