"""The names of what the audit trail records (`core.AuditEvent.action`), each registered by
the app whose services do it, with a label for staff. Core itself knows none of them."""

_LABELS: dict[str, str] = {}


def actions_register(labels: dict[str, str]) -> None:
    """Register `{"app.action": label}`; done once, at import, by each app's `audit` module."""
    _LABELS.update(labels)


def action_choices() -> list[tuple[str, str]]:
    """The registered actions, for the model field's choices (and the admin's filter)."""
    return sorted(_LABELS.items())
