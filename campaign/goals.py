"""A campaign's goal, and how far the campaign has come toward it.

The campaign app counts its own objections. Gifts it cannot count: the campaign knows no gift
(see docs/architecture.md), so the donations app registers the counters for the goals that are
about money when it starts (`counter_register` in its `AppConfig.ready`). The figure is read
when the page is made (and kept 20 seconds); the page itself stays in each cache for at most
20 seconds when it shows a goal, so a paid gift shows on the bar within a minute
(`GOAL_PAGE_SECONDS`).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from .models import Campaign, GoalKind

# Each cache in front (the app's page cache, then nginx) keeps a page with a goal this long,
# and the figure itself is counted at most this often (an address with a query string, which
# no cache keeps, must not make every request count the gifts again): at most a minute behind.
GOAL_PAGE_SECONDS = 20

Counter = Callable[[Campaign, datetime.date | None, datetime.date | None], int]
_counters: dict[str, Counter] = {}


def counter_register(kind: str, counter: Counter) -> None:
    """Let another app count a kind of goal: `counter(campaign, first_day, last_day)`."""
    _counters[kind] = counter


def _objections(campaign: Campaign, first: datetime.date | None, last: datetime.date | None) -> int:
    # The objection counter is one running total: it has no dates to count from.
    return campaign.objection_count


counter_register(GoalKind.OBJECTIONS, _objections)


@dataclass(frozen=True)
class GoalProgress:
    kind: str
    target: int
    reached: int
    ends_on: datetime.date | None
    reached_before: int | None  # the goal staff raised after the campaign reached it

    @property
    def percent(self) -> int:
        return min(100, self.reached * 100 // self.target)

    @property
    def is_reached(self) -> bool:
        return self.reached >= self.target

    @property
    def is_money(self) -> bool:
        return self.kind == GoalKind.AMOUNT

    @property
    def has_ended(self) -> bool:
        return self.ends_on is not None and self.ends_on < timezone.localdate()


def goal_progress(campaign: Campaign) -> GoalProgress | None:
    """The campaign's goal and the figure reached so far, or None without a goal (or while the
    app that counts it is not installed)."""
    if not campaign.has_goal or campaign.goal_kind not in _counters:
        return None
    first = campaign.goal_starts_on or campaign.created_at.date()
    key = f"campaign-goal:{campaign.pk}:{campaign.goal_kind}:{first}:{campaign.goal_ends_on}"
    reached = cache.get(key)
    if reached is None:
        reached = _counters[campaign.goal_kind](campaign, first, campaign.goal_ends_on)
        cache.set(key, reached, timeout=GOAL_PAGE_SECONDS)
    return GoalProgress(
        kind=campaign.goal_kind,
        target=campaign.goal_target,
        reached=reached,
        ends_on=campaign.goal_ends_on,
        reached_before=campaign.goal_reached_target,
    )


def goal_raised(
    campaign: Campaign,
    *,
    kind_before: str,
    target_before: int | None,
    starts_before: datetime.date | None = None,
) -> None:
    """Remember the goal a campaign reached when staff raise it, so the page can say so; a goal
    of another kind, or counted from another day, starts afresh. Call before saving `campaign`
    with its new goal."""
    if campaign.goal_kind != kind_before or campaign.goal_starts_on != starts_before:
        campaign.goal_reached_target = None
        return
    if not (target_before and campaign.goal_target and campaign.goal_target > target_before):
        return
    progress = goal_progress(campaign)
    if progress is not None and progress.reached >= target_before:
        campaign.goal_reached_target = target_before
