"""Every tenant's signing keys in one read (``TenantRepository.signing_keys``): what the
common authority's JWK Set is made of, without building any tenant's runtime."""

from __future__ import annotations

from gatehouse.runtime import Runtime
from tests.support.tenants import tenant_runtimes


def test_every_tenant_s_keys_by_tenant_oldest_first(runtime: Runtime) -> None:
    tenants = tenant_runtimes(runtime, "acme", "beta")  # each made with its own keys
    acme = tenants.get("acme")
    assert acme is not None
    runtime.keys.ensure_signing_keys()

    found = runtime.store.tenants.signing_keys()

    assert set(found) == {"default", "acme", "beta"}
    assert [k.kid for k in found["default"]] == [k.kid for k in runtime.store.keys.all()]
    assert [k.kid for k in found["acme"]] == [k.kid for k in acme.store.keys.all()]
    assert not {k.kid for k in found["acme"]} & {k.kid for k in found["default"]}
    # The public halves only: what a JWK Set publishes.
    assert all("d" not in k.public_jwk for keys in found.values() for k in keys)
