"""Brute-force protection: failed attempts at a secret are counted, and further attempts wait
or are refused for a while (docs/lockout.md).

An attempt is at one *factor* (a password, a TOTP code, a recovery code, a passkey, a
client secret, a device flow's user code) of one *subject* (the login typed, a user, a
client) from one *source* (the client address, or the browser when it is one the person
signed in from before). Each failure is counted on up to three counters:

- (subject, source): after ``login_delay_after_failures`` failures every further attempt
  from that source waits, twice as long after each failure, up to ``login_max_delay``; at
  ``source_lockout_threshold`` the subject is locked for that source only. The attacker
  locks himself out first.
- (subject, every source): at ``account_lockout_threshold`` the subject is locked for every
  source except the browsers it has signed in from before, so a person is not locked out of
  their own account by someone else's guessing.
- (every subject, address): at ``address_failure_limit`` the address is locked for every
  subject (password spraying), again except known browsers.

Client secrets count the first only: a daemon with the right secret is never locked out by
someone else's guessing from another address.

Locks last ``lockout_duration``; a counter quiet for as long starts again. The decision is
taken before the secret is checked (``Guard.refusal``): a refused attempt is not verified,
so it tells nothing about the secret, and costs no password hash. Nothing here sleeps.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from gatehouse.crypto import sha256_digest
from gatehouse.policy import TenantPolicy
from gatehouse.storage.attempts import AttemptRepository, CounterKey
from gatehouse.storage.records import FailureCounter, normalized_login
from gatehouse.storage.repositories import TenantPolicyRepository

Factor = Literal["password", "totp", "recovery_code", "webauthn", "client_secret", "user_code"]
#: Which counter refused an attempt, or which was locked: the (subject, source) pair's delay
#: or lock, the subject's for every source, or the address's for every subject.
Scope = Literal["delay", "source", "account", "address"]

Counters = Sequence[FailureCounter]

EVERY = ""  # the subject or source part of a counter that stands for all of them
IPV6_PREFIX = 64  # one subscriber's usual IPv6 allocation: its addresses are one source


@functools.lru_cache(maxsize=4096)  # parsing costs more than the rest of a token request's check
def address_key(address: str | None) -> str:
    """The source key of a client address: an IPv4 address as it is, an IPv6 address by its
    /64 (an attacker has all of it), anything else (no address at all) as given."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return f"ip:{(address or 'unknown')[:64]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False)}"
    return f"ip:{ip}"


def login_subject(login: str) -> str:
    """The subject of a password sign-in: the login as typed, normalized as logins are
    matched. Not the account it names: a username and an email address of one account are
    counted apart, as two unknown logins would be, so that a lock never tells whether a
    login exists or which logins belong together."""
    return f"login:{normalized_login(login)[:320]}"


def user_subject(user_id: str) -> str:
    """The subject of a second factor (TOTP, recovery code): the user, known by then."""
    return f"user:{user_id}"


def client_subject(client_id: str) -> str:
    return f"client:{client_id}"


# The subject of a user code typed on the device page (RFC 8628 §5.1): every code is one
# secret space, guessed at from an address; the code typed is not the subject, or each
# guess would count on a counter of its own.
USER_CODE_SUBJECT = "user_code:"


def device_source(device_cookie: str) -> str:
    """The source key of a known browser: the hash of its device cookie."""
    return f"device:{sha256_digest(device_cookie)}"


class Attempt(NamedTuple):
    """One try at a secret. ``device`` is the source key of the browser when the subject
    signed in from it before (``device_source``): that browser is then its own source,
    and spared the account-wide and address-wide locks. (A named tuple: the token endpoint
    builds one per request, and a frozen dataclass costs several times as much.)"""

    factor: Factor
    subject: str
    address: str  # address_key(client address)
    device: str | None = None

    @property
    def source(self) -> str:
        return self.device or self.address


@dataclass(frozen=True)
class Limits:
    """The policy's thresholds for one factor, in failures and seconds; None: no such lock."""

    delay_after: int
    max_delay: int
    source_lock: int
    account_lock: int | None
    address_lock: int | None
    duration: int

    @classmethod
    def of(cls, policy: TenantPolicy, factor: Factor) -> Limits:
        people = factor != "client_secret"
        # A user code (RFC 8628 §5.1) names no account: a lock of its subject for every
        # source would shut everyone out of the device page.
        accounts = people and factor != "user_code"
        return cls(
            delay_after=policy.login_delay_after_failures,
            max_delay=int(policy.login_max_delay.total_seconds()),
            source_lock=policy.source_lockout_threshold,
            account_lock=policy.account_lockout_threshold if accounts else None,
            address_lock=policy.address_failure_limit if people else None,
            duration=int(policy.lockout_duration.total_seconds()),
        )

    def delay(self, failures: int) -> int:
        """Seconds the next attempt waits after ``failures`` failures: 1 at the threshold,
        doubled with each further failure, at most ``max_delay``."""
        if failures < self.delay_after:
            return 0
        doubling: int = 2 ** min(failures - self.delay_after, 30)
        return min(self.max_delay, doubling)

    def counters(self, attempt: Attempt) -> list[tuple[CounterKey, int, Scope]]:
        """The counters a failure of ``attempt`` counts on: key, threshold, scope."""
        found: list[tuple[CounterKey, int, Scope]] = [
            ((attempt.subject, attempt.source), self.source_lock, "source")
        ]
        if self.account_lock is not None:
            found.append(((attempt.subject, EVERY), self.account_lock, "account"))
        if self.address_lock is not None:
            found.append(((EVERY, attempt.address), self.address_lock, "address"))
        return found


@dataclass(frozen=True)
class Refusal:
    """An attempt refused before its secret was checked, and when to try again. The same
    words whatever the scope and whether or not the account exists."""

    scope: Scope
    retry_after: int

    @property
    def wait(self) -> Wait:
        return wait_of(self.retry_after)

    @property
    def message(self) -> str:
        return f"Too many failed attempts. Try again in {wait_text(self.retry_after)}."


@dataclass(frozen=True)
class Wait:
    """A wait as people say it, for the pages to put in words in the person's language."""

    count: int
    unit: Literal["seconds", "minutes"]


def wait_of(seconds: int) -> Wait:
    """Seconds under two minutes (at least 1), then whole minutes, rounded up."""
    if seconds < 120:
        return Wait(max(seconds, 1), "seconds")
    return Wait(-(-seconds // 60), "minutes")


def wait_text(seconds: int) -> str:
    wait = wait_of(seconds)
    return f"{wait.count} {wait.unit.removesuffix('s') if wait.count == 1 else wait.unit}"


def refusal(limits: Limits, attempt: Attempt, counters: Counters, now: int) -> Refusal | None:
    """Why ``attempt`` may not go ahead at ``now`` given the live ``counters``, or None."""
    own = (attempt.subject, attempt.source)
    # The account's and the address's locks: known browsers are spared them.
    shared = () if attempt.device else ((attempt.subject, EVERY), (EVERY, attempt.address))
    waits: list[Refusal] = []
    for counter in counters:
        key, locked_for = (counter.subject, counter.source), counter.locked_for(now)
        if key == own and locked_for:
            waits.append(Refusal("source", locked_for))
        elif key == own:
            ready_at = counter.last_failed_at + limits.delay(counter.failures)
            if ready_at > now:
                waits.append(Refusal("delay", ready_at - now))
        elif key in shared and locked_for:
            waits.append(Refusal("account" if counter.source == EVERY else "address", locked_for))
    return max(waits, key=lambda r: r.retry_after, default=None)


@dataclass(frozen=True)
class Lock:
    """A lock a failure has just started (what the audit log records)."""

    scope: Scope
    until: int


@dataclass(frozen=True)
class Failure:
    """A failure counted: the locks it started, and what the next attempt will meet."""

    locks: tuple[Lock, ...]
    refusal: Refusal | None


@dataclass
class Guard:
    """One attempt under brute-force protection: ``refusal`` says whether it may go ahead
    (decided before the secret is checked); then exactly one of ``failed`` or
    ``succeeded`` records how it went."""

    attempts: AttemptRepository
    policy: TenantPolicyRepository
    attempt: Attempt
    refusal: Refusal | None
    # Whether a counter of this (subject, source) exists: a success then clears it.
    counted_before: bool = False

    @functools.cached_property
    def limits(self) -> Limits:
        # Worked out only when needed: a client nobody failed as never needs them.
        return Limits.of(self.policy.get(), self.attempt.factor)

    def failed(self, now: int) -> Failure:
        counters = self.limits.counters(self.attempt)
        counted = self.attempts.count_failure(
            self.attempt.factor,
            [(key, threshold) for key, threshold, _ in counters],
            now,
            self.limits.duration,
        )
        by_key = {(c.subject, c.source): c for c in counted}
        locks = tuple(
            Lock(scope, now + by_key[key].locked_for(now))
            for key, threshold, scope in counters
            if by_key[key].failures == threshold and by_key[key].locked_for(now)
        )
        return Failure(locks, refusal(self.limits, self.attempt, counted, now))

    def succeeded(self) -> None:
        """A success forgets this source's failures (not the account's or the address's:
        those stay until they expire, whoever succeeds)."""
        if self.counted_before:
            self.attempts.clear(self.attempt.factor, (self.attempt.subject, self.attempt.source))


class Throttle:
    """Guards attempts with the tenant's policy (``Provider.throttle``)."""

    def __init__(self, attempts: AttemptRepository, policy: TenantPolicyRepository) -> None:
        self.attempts = attempts
        self.policy = policy

    def guard(self, attempt: Attempt, now: int) -> Guard:
        """Read the attempt's counters (one statement) and decide whether it may go ahead."""
        guard = Guard(self.attempts, self.policy, attempt, None)
        keys = [key for key, _, _ in guard.limits.counters(attempt)]
        return self._decide(guard, self.attempts.counters(attempt.factor, keys, now), now)

    def guard_client(self, attempt: Attempt, now: int) -> Guard:
        """``guard`` for the token endpoint's hot path: the client's counters come from the
        per-process cache (``AttemptRepository.counters_of_subject``), so a client nobody
        has failed as lately costs no round trip and nothing else. Failures counted by
        another process are seen within the cache's few seconds."""
        guard = Guard(self.attempts, self.policy, attempt, None)
        counters = self.attempts.counters_of_subject(attempt.factor, attempt.subject, now)
        if counters == ():
            return guard
        if counters is None:  # many sources failed lately: look this one up
            keys = [key for key, _, _ in guard.limits.counters(attempt)]
            counters = tuple(self.attempts.counters(attempt.factor, keys, now))
        return self._decide(guard, counters, now)

    @staticmethod
    def _decide(guard: Guard, counters: Counters, now: int) -> Guard:
        attempt = guard.attempt
        guard.refusal = refusal(guard.limits, attempt, counters, now)
        guard.counted_before = any(
            c.subject == attempt.subject and c.source == attempt.source for c in counters
        )
        return guard
