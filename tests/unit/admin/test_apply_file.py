"""admin/apply_file: reading a `gatehouse apply` file, and where its errors point."""

from __future__ import annotations

import pytest

from gatehouse.admin.apply_file import parse_apply_file, reported_at
from gatehouse.admin.errors import AdminError

FILE = """\
scopes:
  - name: orders.read
    description: Read your orders
clients:
  - client_id: web
    secret: ${WEB_SECRET}
    redirect_uris: [https://app.example.com/cb]
  - client_id: spa
    type: public
"""


def test_entries_keep_their_values_and_their_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_SECRET", "s" * 40)
    parsed = parse_apply_file(FILE, "config.yaml")
    assert [e.values["name"] for e in parsed.scopes] == ["orders.read"]
    web, spa = parsed.clients
    assert web.values["secret"] == "s" * 40
    assert web.where == "config.yaml, line 5: clients[0] (client_id 'web')"
    assert spa.where == "config.yaml, line 8: clients[1] (client_id 'spa')"
    assert (parsed.apis, parsed.app_role_grants, parsed.users) == ([], [], [])


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "scopes:\nusers: []\n"])
def test_an_empty_file_has_no_entries(text: str) -> None:
    parsed = parse_apply_file(text, "config.yaml")
    assert parsed.scopes == parsed.clients == parsed.users == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (FILE, "config.yaml, line 5: clients[0] (client_id 'web'): environment variable "),
        ("users: [\n", "config.yaml, line 2, column 1: not valid YAML: while parsing a flow "),
        ("a: !!python/name:os.system x\n", "config.yaml, line 1, column 4: not valid YAML: "),
        ("[1, 2]\n", "config.yaml: the file must be a mapping with scopes, apis, clients"),
        (
            "users:\n  - {username: a}\n  - {username: A}\n",
            "config.yaml, line 3: users[1] (username 'A'): 'A' appears more than once "
            "(also users[0])",
        ),
        (
            # Grants may share a client_id; an entry that is not a mapping may not.
            "app_role_grants:\n  - {client_id: a}\n  - {client_id: a}\n  - 7\n",
            "config.yaml, line 4: app_role_grants[2] must be a mapping with a client_id",
        ),
    ],
)
def test_errors_name_the_file_and_the_line(text: str, message: str) -> None:
    with pytest.raises(AdminError) as raised:
        parse_apply_file(text, "config.yaml")
    assert str(raised.value).startswith(message)


def test_reported_at_puts_the_place_first() -> None:
    with pytest.raises(AdminError) as raised, reported_at("f.yaml, line 3: users[0]"):
        raise AdminError("a password must be at least 8 characters long")
    assert str(raised.value) == (
        "f.yaml, line 3: users[0]: a password must be at least 8 characters long"
    )
