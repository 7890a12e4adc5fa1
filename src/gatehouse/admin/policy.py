"""The tenant's policy (`gatehouse policy show|set`): lockout thresholds and, as they come,
the other rules an operator sets per organisation (policy.py holds the fields)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.policy import PolicyError, TenantPolicy, email_not_configured
from gatehouse.runtime import Runtime


def _shown(value: Any) -> Any:
    return int(value.total_seconds()) if isinstance(value, timedelta) else value


def policy_to_json(policy: TenantPolicy) -> dict[str, Any]:
    """Every key with its value (durations in seconds), and which differ from the default."""
    changed = policy.as_stored()
    return {
        "policy": {name: _shown(getattr(policy, name)) for name in TenantPolicy.model_fields},
        "changed_from_default": sorted(changed),
    }


def describe_policy() -> list[dict[str, Any]]:
    """Each key with its default and meaning (`gatehouse policy show --describe`)."""
    defaults = TenantPolicy()
    return [
        {"key": name, "default": _shown(getattr(defaults, name)), "description": field.description}
        for name, field in TenantPolicy.model_fields.items()
    ]


def show_policy(runtime: Runtime) -> dict[str, Any]:
    return policy_to_json(runtime.store.policy.get())


def set_policy(
    runtime: Runtime, assignments: tuple[str, ...], reset: tuple[str, ...]
) -> dict[str, Any]:
    """Apply KEY=VALUE ``assignments`` and put the ``reset`` keys back to their defaults."""
    changes: dict[str, str] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key.strip():
            raise AdminError(f"{assignment!r} is not KEY=VALUE (for example lockout_duration=600)")
        changes[key.strip()] = value.strip()
    current = runtime.store.policy.get()
    try:
        updated = current.with_changes(changes)
        if reset:
            kept = {k: v for k, v in updated.as_stored().items() if k not in reset}
            unknown = sorted(set(reset) - set(TenantPolicy.model_fields))
            if unknown:
                raise PolicyError(f"unknown policy key {unknown[0]!r}")
            updated = TenantPolicy.from_stored(kept)
    except (PolicyError, ValueError) as exc:
        raise AdminError(str(exc)) from None
    # Only a switch being turned on is refused: other keys stay changeable from a shell that
    # lacks the servers' SMTP settings (the servers themselves check at start-up).
    turned_on = TenantPolicy(
        self_service_registration=updated.self_service_registration
        and not current.self_service_registration,
        password_reset=updated.password_reset and not current.password_reset,
    )
    problem = email_not_configured(turned_on, runtime.settings.smtp_configured)
    if problem:
        raise AdminError(problem)
    keys = sorted(set(changes) | set(reset))
    with runtime.database.atomic():
        runtime.store.policy.update(updated)
        record_admin_change(runtime, "admin.policy.updated", details={"keys": keys})
    return policy_to_json(updated)
