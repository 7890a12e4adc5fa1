"""What browsers fetch besides the pages: the stylesheet and the icon."""

from __future__ import annotations

import struct

from starlette.testclient import TestClient


def test_the_favicon_is_served(http: TestClient) -> None:
    """Browsers ask for /favicon.ico on every page; it was a 404 (and an error in the log)."""
    response = http.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.headers["cache-control"].startswith("public")
    reserved, kind, count = struct.unpack("<HHH", response.content[:6])
    assert (reserved, kind) == (0, 1) and count >= 1  # an ICO file's header


def test_every_page_names_the_icon(http: TestClient) -> None:
    page = http.get("/")
    assert '<link rel="icon" href="/favicon.ico"' in page.text
    assert http.head("/favicon.ico").status_code == 200
