"""A regular gift's life as a state machine: the phase it is in, and which changes each phase
accepts. No database and no Mollie here; `donations/services/changes.py` runs the changes.

The phase (`Subscription.phase`) is read from the gift's row: Mollie's status of its current
subscription, and whether the donor paused it.

| phase | Mollie's subscription | paused | the donor sees |
|---|---|---|---|
| RUNNING | active | no | active (at risk after failed charges) |
| WAITING | pending (no valid mandate yet) | no | active |
| PAUSED | active or pending, first charge after the pause | yes | paused |
| PAUSED_UNSCHEDULED | canceled; the one that resumes it is still to be made | yes | paused |
| SUSPENDED | suspended (its mandate stopped working) | no | at risk |
| HALTED | canceled by us: the bank said the account cannot be debited | no | at risk |
| STOPPED | canceled or completed | no | stopped |

Each change (a `GiftChange.Kind`) accepts some phases, leaves the gift unchanged in others (a
second stop, the end of a pause that is over already), and is refused with a reason in the
rest. `TRANSITIONS` is the table; `docs/architecture.md` draws it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import GiftChange, GiftPhase

Kind = GiftChange.Kind
Phase = GiftPhase

ALL = frozenset(Phase)
ALIVE = ALL - {Phase.STOPPED}


@dataclass(frozen=True)
class Transition:
    """A change's phases: where it acts, where it leaves the gift as it is, and, anywhere else,
    why not (a reason per phase, or the default one)."""

    accepts: frozenset[Phase]
    unchanged: frozenset[Phase] = frozenset()
    refusal: str = ""
    refusals: tuple[tuple[Phase, str], ...] = ()

    def refusal_in(self, phase: Phase) -> str:
        return str(dict(self.refusals).get(phase, self.refusal))


STOPPED_REFUSAL = _("This gift has stopped.")
HALTED_REFUSAL = _(
    "Your bank could not collect this gift. Give a new account or payment method first."
)

# How long a donor may pause a gift, in months (the choices the pause form offers).
PAUSE_MONTHS = (1, 2, 3)

TRANSITIONS: dict[str, Transition] = {
    Kind.PAUSE: Transition(
        accepts=frozenset({Phase.RUNNING}),
        refusal=_("Only a running gift can be paused."),
        refusals=(
            (Phase.PAUSED, _("This gift is paused already.")),
            (Phase.PAUSED_UNSCHEDULED, _("This gift is paused already.")),
            (Phase.HALTED, HALTED_REFUSAL),
        ),
    ),
    Kind.RESUME: Transition(
        accepts=frozenset({Phase.PAUSED, Phase.PAUSED_UNSCHEDULED}),
        unchanged=ALL - {Phase.PAUSED, Phase.PAUSED_UNSCHEDULED},
    ),
    Kind.SCHEDULE: Transition(
        accepts=frozenset({Phase.PAUSED_UNSCHEDULED}),
        unchanged=ALL - {Phase.PAUSED_UNSCHEDULED},
    ),
    Kind.STOP: Transition(accepts=ALIVE, unchanged=frozenset({Phase.STOPPED})),
    Kind.AMOUNT: Transition(
        accepts=frozenset({Phase.RUNNING, Phase.WAITING, Phase.PAUSED, Phase.SUSPENDED}),
        refusal=STOPPED_REFUSAL,
        refusals=(
            (
                Phase.PAUSED_UNSCHEDULED,
                _("This gift is paused; it can be changed again once it is scheduled to resume."),
            ),
            (Phase.HALTED, HALTED_REFUSAL),
        ),
    ),
    # A new mandate is taken in every phase; a stopped gift only gives back the check.
    Kind.MANDATE: Transition(accepts=ALL),
    Kind.COMPARE: Transition(accepts=ALL),
    # The bank said the account cannot be debited: collection stops until a new mandate.
    Kind.HALT: Transition(
        accepts=frozenset(
            {Phase.RUNNING, Phase.WAITING, Phase.PAUSED, Phase.PAUSED_UNSCHEDULED, Phase.SUSPENDED}
        ),
        unchanged=frozenset({Phase.HALTED, Phase.STOPPED}),
    ),
    # A debit returned for lack of funds is tried once more, if the gift still runs.
    Kind.RETRY: Transition(accepts=frozenset({Phase.RUNNING}), unchanged=ALL - {Phase.RUNNING}),
}

# Starting a payment-method change (the donor asks for one). Finishing it is Kind.MANDATE, which
# every phase takes: a check paid after the gift stopped is still given back.
MANDATE_START = Transition(
    accepts=ALIVE, refusal=_("Only a running gift can get a new payment method.")
)
