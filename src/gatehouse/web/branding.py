"""A tenant's branding on its pages (tenancy.py ``TenantProfile``): its name and logo in the
pages' header (templates/base.html), its colours in a style sheet of its own, and the one
origin its logo may come from in the Content-Security-Policy.

Nothing of it is written into a page unescaped or inline: the colours are #rrggbb (checked
when set) served as ``{base}/branding.css`` (style-src 'self'), and the logo URL is an https
URL of plain characters or a path, in an escaped ``src`` attribute.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.tenancy import TenantProfile, logo_origin
from gatehouse.web.context import context_of
from gatehouse.web.http import not_found
from gatehouse.web.security import CONTENT_SECURITY_POLICY, policy_with_image_origin


def content_security_policy(profile: TenantProfile | None) -> str:
    if profile is None or profile.logo_url is None:
        return CONTENT_SECURITY_POLICY
    return policy_with_image_origin(logo_origin(profile.logo_url))


def style_sheet(profile: TenantProfile) -> str:
    """The CSS variables of style.css that the tenant's colours replace."""
    rules = []
    if profile.accent_colour:
        rules.append(f"--accent: {profile.accent_colour};")
    if profile.background_colour:
        rules.append(f"--bg: {profile.background_colour};")
    return f":root {{ {' '.join(rules)} }}\n" if rules else ""


async def branding_css(request: Request) -> Response:
    brand = context_of(request).brand
    if brand is None:
        return not_found(request)
    # Short-lived: a changed colour shows within a minute.
    return Response(
        style_sheet(brand),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=60"},
    )
