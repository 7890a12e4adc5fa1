"""Assembling a running gatehouse from settings: database, keys, repositories, provider.

Shared by ``serve``, the CLI and tests, so there is one way to wire the parts together.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from gatehouse.accounts.passkey_factor import PasskeyFactor
from gatehouse.accounts.passkeys import PasskeyService
from gatehouse.accounts.passwords import Passwords
from gatehouse.accounts.recovery_codes import RecoveryCodes
from gatehouse.accounts.selfservice.delivery import MailDelivery, SmtpTransport
from gatehouse.accounts.selfservice.mail import MAIL_ENCRYPTION, MailQueue
from gatehouse.accounts.selfservice.service import SelfService
from gatehouse.accounts.totp import Totp
from gatehouse.accounts.webauthn import RelyingParty
from gatehouse.keys.encryption import KeyEncryptor
from gatehouse.keys.service import KeyService
from gatehouse.policy import email_not_configured
from gatehouse.protocol.backchannel_logout import DeliveryPolicy
from gatehouse.protocol.backchannel_worker import BackchannelLogoutWorker
from gatehouse.protocol.federation.sealed import FEDERATION_ENCRYPTION
from gatehouse.protocol.provider import Provider, ProviderConfig
from gatehouse.protocol.tenant_clients import TenantClients
from gatehouse.settings import Settings
from gatehouse.storage.sql.database import POOL_SIZE, Database
from gatehouse.storage.sql.purge import purge_expired
from gatehouse.storage.sql.store import SqlStore
from gatehouse.storage.store import Store
from gatehouse.storage.tenants import Tenant
from gatehouse.tenancy import DEFAULT_TENANT, TenantProfile, tenant_issuer

# Request threads (web/threads.py) are never more than the pooled database connections: each
# may hold one, and more would open and close overflow connections under load.
MAX_REQUEST_THREADS = POOL_SIZE


class ConfigurationError(Exception):
    """Settings that cannot work; the message tells the operator what to change."""


def resolve_secret_key(settings: Settings, database: Database) -> str:
    """GATEHOUSE_SECRET_KEY, or for SQLite a key generated once into a 0600 file beside the
    database."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if not database.is_sqlite or database.url.database in (None, "", ":memory:"):
        raise ConfigurationError(
            "GATEHOUSE_SECRET_KEY is required with this database: it encrypts the private "
            "signing keys at rest (use 32 or more random characters, the same on every server)"
        )
    key_file = Path(database.url.database).resolve().parent / "secret.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


def resolve_issuer(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> str:
    """GATEHOUSE_ISSUER, else the address the server listens on: right only on one's own
    machine, which is why `serve` warns when it listens on every interface without one."""
    if settings.issuer:
        return settings.issuer
    shown = f"[{host}]" if ":" in host else host  # an IPv6 literal in a URL (RFC 3986 §3.2.2)
    return f"http://{shown}:{port}"


def provider_config(
    settings: Settings, issuer: str, secret_key: str, tenant_id: str = DEFAULT_TENANT
) -> ProviderConfig:
    """``secret_key``: what the DPoP nonce key is derived from, the same on every server."""

    def seconds(value: timedelta) -> int:
        return int(value.total_seconds())

    return ProviderConfig(
        issuer=issuer,
        tenant_id=tenant_id,
        access_token_lifetime=seconds(settings.access_token_lifetime),
        id_token_lifetime=seconds(settings.id_token_lifetime),
        authorization_code_lifetime=seconds(settings.authorization_code_lifetime),
        refresh_token_idle_lifetime=seconds(settings.refresh_token_idle_lifetime),
        refresh_token_absolute_lifetime=seconds(settings.refresh_token_absolute_lifetime),
        refresh_token_retry_window=seconds(settings.refresh_token_retry_window),
        session_idle_lifetime=seconds(settings.session_idle_lifetime),
        session_absolute_lifetime=seconds(settings.session_absolute_lifetime),
        remember_me_idle_lifetime=seconds(settings.remember_me_idle_lifetime),
        remember_me_absolute_lifetime=seconds(settings.remember_me_absolute_lifetime),
        interaction_lifetime=seconds(settings.interaction_lifetime),
        pushed_request_lifetime=seconds(settings.pushed_request_lifetime),
        device_code_lifetime=seconds(settings.device_code_lifetime),
        device_poll_interval=seconds(settings.device_poll_interval),
        access_token_signing_alg=settings.access_token_signing_alg,
        id_token_signing_alg=settings.id_token_signing_alg,
        dpop_proof_max_age=seconds(settings.dpop_proof_max_age),
        dpop_clock_skew=seconds(settings.dpop_clock_skew),
        dpop_nonce_required=settings.dpop_nonce_required,
        dpop_nonce_key=_derived_key(secret_key, "dpop-nonce"),
    )


def _derived_key(secret_key: str, purpose: str) -> bytes:
    """A key for one purpose, derived from the secret key so it is the same on every server."""
    return hmac.new(secret_key.encode("utf-8"), purpose.encode("ascii"), hashlib.sha256).digest()


@dataclass
class Runtime:
    settings: Settings
    database: Database
    store: Store
    keys: KeyService
    provider: Provider
    passwords: Passwords
    selfservice: SelfService
    # False for a tenant's runtime over a database another runtime opened (TenantRuntimes).
    owns_database: bool = True
    # A tenant's profile (tenancy.py: lifetimes, already in ``settings``, and branding);
    # None for the default tenant, which keeps the server's settings and gatehouse's look.
    profile: TenantProfile | None = None

    @property
    def request_threads(self) -> int:
        """How many threads should run request work: as many as the database wants."""
        return min(self.database.request_threads, MAX_REQUEST_THREADS)

    def backchannel_worker(
        self, others: Callable[[], list[Provider]] | None = None
    ) -> BackchannelLogoutWorker:
        """The delivery worker of back-channel logouts for this runtime (not started): each
        server process runs one (web/serving.py); ``others``, the other tenants' providers
        with a delivery due (``TenantRuntimes.with_logouts_due``), whose queues it serves
        too."""
        settings = self.settings
        policy = DeliveryPolicy(
            timeout=settings.backchannel_logout_timeout.total_seconds(),
            give_up_after=int(settings.backchannel_logout_give_up_after.total_seconds()),
        )
        if others is None:
            return BackchannelLogoutWorker(self.provider, policy)
        return BackchannelLogoutWorker(self.provider, policy, others=others)

    def close(self) -> None:
        if self.owns_database:
            self.database.dispose()

    def check_email_policy(self) -> None:
        """ConfigurationError if the tenant's policy turns on what needs email and this
        server has no SMTP settings (checked at start-up and by `policy set`)."""
        problem = email_not_configured(self.store.policy.get(), self.settings.smtp_configured)
        if problem:
            raise ConfigurationError(problem)

    def mail_delivery(self) -> MailDelivery | None:
        """What sends the outgoing mail queue, or None without SMTP settings."""
        if not self.settings.smtp_configured:
            return None
        selfservice = self.selfservice
        return MailDelivery(selfservice.mail, SmtpTransport(self.settings), selfservice.clock)

    def purge(self, now: int, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
        """Delete what has expired (storage/sql/purge.py), by this server's settings; how
        many rows went from each table."""
        return purge_expired(
            self.database,
            now,
            self.provider.config.session_idle_lifetime,
            audit_retention=int(self.settings.audit_retention.total_seconds()),
            should_stop=should_stop,
        )


def build_runtime(
    settings: Settings,
    *,
    issuer: str | None = None,
    tenant_id: str = DEFAULT_TENANT,
    database: Database | None = None,
) -> Runtime:
    """A runtime of one tenant; over ``database`` if given (which it then does not close),
    else over a database of its own."""
    owns_database = database is None
    database = database or Database(settings.resolved_database_url)
    store = SqlStore(database, tenant_id)
    secret_key = resolve_secret_key(settings, database)
    keys = KeyService(store.keys, KeyEncryptor(secret_key))
    totp = Totp(store.second_factors, keys.encryptor)
    recovery_codes = RecoveryCodes(store.second_factors)
    config = provider_config(settings, issuer or resolve_issuer(settings), secret_key, tenant_id)
    relying_party = RelyingParty.for_issuer(config.issuer)
    passkeys = PasskeyService(store.passkeys, store.users, store.audit, store.atomic, relying_party)
    passwords = Passwords(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    provider = Provider(
        config=config,
        clients=TenantClients(store.clients, store.admin_consents, store.multi_tenant, tenant_id),
        users=store.users,
        scopes=store.scopes,
        sessions=store.sessions,
        consents=store.consents,
        admin_consents=store.admin_consents,
        interactions=store.interactions,
        codes=store.codes,
        refresh_tokens=store.refresh_tokens,
        revocations=store.revocations,
        apis=store.apis,
        client_assertions=store.client_assertions,
        logout_deliveries=store.logout_deliveries,
        keys=keys,
        audit=store.audit,
        policy=store.policy,
        second_factors=store.second_factors,
        totp=totp,
        recovery_codes=recovery_codes,
        passkeys=passkeys,
        attempts=store.attempts,
        known_browsers=store.known_browsers,
        trusted_issuers=store.trusted_issuers,
        pushed_requests=store.pushed_requests,
        device_authorizations=store.device_authorizations,
        passwords=passwords,
        dpop_proofs=store.dpop_proofs,
        groups=store.groups,
        upstreams=store.upstreams,
        federation=store.federation,
        federation_secrets=KeyEncryptor(secret_key, FEDERATION_ENCRYPTION),
        transaction=store.atomic,
        # In the order the verification page offers them: a passkey first, where the
        # person has one (phishing-resistant, and one touch).
        second_factor_methods=(PasskeyFactor(passkeys), totp, recovery_codes),
    )
    selfservice = SelfService(
        issuer=provider.config.issuer,
        users=store.users,
        sessions=store.sessions,
        tokens=store.email_tokens,
        requests=store.email_requests,
        mail=MailQueue(store.outbox, KeyEncryptor(secret_key, MAIL_ENCRYPTION)),
        audit=store.audit,
        policy=store.policy,
        passwords=passwords,
        transaction=store.atomic,
        clock=lambda: provider.clock(),
    )
    return Runtime(settings, database, store, keys, provider, passwords, selfservice, owns_database)


def tenant_runtime(default: Runtime, tenant: Tenant) -> Runtime:
    """The runtime of ``tenant`` beside the default tenant's ``default``: the same settings
    with the tenant's lifetimes over them, the same database, and the tenant's own issuer."""
    if tenant.id == DEFAULT_TENANT:
        return default
    settings = default.settings.with_overrides(**tenant.profile.lifetime_overrides())
    runtime = build_runtime(
        settings,
        issuer=tenant_issuer(default.provider.config.issuer, tenant.id),
        tenant_id=tenant.id,
        database=default.database,
    )
    runtime.profile = tenant.profile
    return runtime


# How often a name no tenant had at the last read makes the tenants be read again.
UNKNOWN_TENANT_RELOAD = 1.0


class TenantRuntimes:
    """Every tenant's runtime in one process, over the default tenant's database: built on
    first use (with the tenant's signing keys, should it have none), and built again when
    its tenant row's revision changes. Another process's change (`gatehouse tenant update`
    or `delete`) is seen within ``seconds``, as the client registry's are (storage/sql/
    cache.py): the revisions of every tenant are read again at most that often."""

    def __init__(
        self,
        default: Runtime,
        seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self._seconds = seconds
        self._clock = clock
        self._revisions: dict[str, int] = {}
        self._revisions_until = float("-inf")
        self._changes_seen = -1  # the default store's tenant changes when last read
        self._read_at = float("-inf")
        self._built: dict[str, tuple[int, Runtime]] = {}
        self._lock = threading.Lock()  # one build at a time: keys are made once

    def known(self, name: str) -> Runtime | None:
        """The runtime of ``name`` if this process has it and its view of the tenants is
        fresh, else None (then ``get``, which may read the database). No I/O: fit for the
        event loop."""
        if name == DEFAULT_TENANT:
            return self.default
        if not self._fresh():
            return None
        built = self._built.get(name)
        if built is None or self._revisions.get(name) != built[0]:
            return None
        return built[1]

    def get(self, name: str) -> Runtime | None:
        """The runtime of ``name``, built or rebuilt if need be; None if no such tenant."""
        if name == DEFAULT_TENANT:
            return self.default
        with self._lock:
            revision = self._current_revisions().get(name)
            if revision is None and self._clock() >= self._read_at + UNKNOWN_TENANT_RELOAD:
                # A tenant just created elsewhere need not wait out ``seconds``; a flood of
                # unknown names costs one small read a second.
                self._revisions_until = float("-inf")
                revision = self._current_revisions().get(name)
            built = self._built.get(name)
            if revision is None:
                self._built.pop(name, None)
                return None
            if built is not None and built[0] == revision:
                return built[1]
            tenant = self.default.store.tenants.get(name)
            if tenant is None:
                return None
            runtime = tenant_runtime(self.default, tenant)
            runtime.keys.ensure_signing_keys()
            self._built[name] = (tenant.revision, runtime)
            return runtime

    def with_logouts_due(self) -> list[Runtime]:
        """The runtimes of the tenants with a back-channel logout due now (the default one
        too, if it has one), found with one read however many tenants there are."""
        now = self.default.provider.clock()
        return self._runtimes(self.default.store.tenants.with_logouts_due(now))

    def with_mail_due(self) -> list[Runtime]:
        """The runtimes of the tenants with an email due to be sent now (one read)."""
        now = self.default.provider.clock()
        return self._runtimes(self.default.store.tenants.with_mail_due(now))

    def backchannel_worker(self) -> BackchannelLogoutWorker:
        """A server process's back-channel logout worker (not started): it serves the default
        tenant's queue and those of the other tenants with a delivery due, each signed with
        its own tenant's keys. Polling every tenant's queue in turn cost a few round trips
        per tenant every two seconds in every process (7 % of a core at 100 tenants)."""
        return self.default.backchannel_worker(
            others=lambda: [runtime.provider for runtime in self.with_logouts_due()]
        )

    def _runtimes(self, names: list[str]) -> list[Runtime]:
        found = (self.get(name) for name in names)
        return [runtime for runtime in found if runtime is not None]

    def _fresh(self) -> bool:
        """Whether the revisions read last still hold: within ``seconds``, and no tenant
        changed through this process's own store since."""
        changes = self.default.store.tenants.changes()
        return self._clock() < self._revisions_until and changes == self._changes_seen

    def _current_revisions(self) -> dict[str, int]:
        if not self._fresh():
            self._changes_seen = self.default.store.tenants.changes()
            self._revisions = self.default.store.tenants.revisions()
            self._read_at = self._clock()
            self._revisions_until = self._read_at + self._seconds
        return self._revisions
