"""web.selfservice.messages: every refusal the self-service core can return has a message a
page can show, with the numbers its text names (a refused password is worded by
templates/_password_problem.html: tests/unit/web/test_account_text.py)."""

from __future__ import annotations

import re

import pytest

from gatehouse.accounts.identifiers import IdentifierProblem
from gatehouse.accounts.passwords import PasswordProblem, PasswordRule
from gatehouse.accounts.selfservice.service import LinkState
from gatehouse.web.i18n import Message
from gatehouse.web.selfservice.messages import LINK_PROBLEMS, field_message


def _placeholders(message: Message) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", message.text))


@pytest.mark.parametrize(
    "problem",
    list(IdentifierProblem),
    ids=str,
)
def test_every_field_problem_has_a_message_with_its_values(problem: IdentifierProblem) -> None:
    message = field_message(problem)
    assert isinstance(message, Message)
    assert message.text.endswith(".")
    assert _placeholders(message) <= set(message.values)
    assert message.text % message.values


def test_the_numbers_are_the_rules() -> None:
    name = field_message(IdentifierProblem.NAME_TOO_LONG)
    assert isinstance(name, Message) and name.values == {"max": 255}
    too_short = PasswordProblem(PasswordRule.TOO_SHORT, 12)
    assert field_message(too_short) is too_short  # for _password_problem.html


def test_every_unusable_link_state_is_explained() -> None:
    assert set(LINK_PROBLEMS) == set(LinkState) - {LinkState.VALID}
    assert {problem.status for problem in LINK_PROBLEMS.values()} == {400, 410}
