"""The gating audit: proof that a satisfaction answer never decides who is invited to review.

For a period (by the day the order entered a review-request campaign, i.e. its first message was planned,
in the merchant's time zone), the orders of the merchant's review-request campaigns are split by their
buyer's satisfaction answer (none, happy, neutral, unhappy). Held-out orders (the random control group)
are left out. For each group: orders, invited (a first request or its reminder was sent or delivered),
still waiting, and not invited by reason code. Planning and dispatch never read the answers, so any
difference between the groups' rates comes from these delivery reasons, which are listed beside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .codes import label
from .models import Message, MessageStatus, Purpose, SatisfactionAnswer
from .windows import zone

GROUPS = [
    ("none", _("No answer")),
    ("happy", _("Happy")),
    ("neutral", _("Neutral")),
    ("unhappy", _("Unhappy")),
]
INVITED = (MessageStatus.SENT, MessageStatus.DELIVERED)
WAITING = (MessageStatus.PLANNED, MessageStatus.SENDING)


@dataclass
class GroupRow:
    key: str
    label: str
    orders: int = 0
    invited: int = 0
    waiting: int = 0
    not_invited: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.invited / self.orders if self.orders else None

    @property
    def rate_percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f} %"

    @property
    def reason_rows(self) -> list[tuple[str, str, int]]:
        return sorted(((c, label(c), n) for c, n in self.reasons.items()), key=lambda r: (-r[2], r[0]))


@dataclass
class GatingAudit:
    date_from: dt.date
    date_to: dt.date
    groups: list[GroupRow]
    campaigns: list[dict]

    @property
    def total_orders(self) -> int:
        return sum(g.orders for g in self.groups)

    @property
    def answered_rates_equal(self) -> bool:
        """True when every group that has orders has the same invitation rate."""
        rates = {(g.invited, g.orders) for g in self.groups if g.orders}
        return len({(i * 10**6) // o for i, o in rates}) <= 1


def gating_audit(merchant, *, date_from: dt.date, date_to: dt.date, campaign=None) -> GatingAudit:
    tz = zone("", merchant.default_time_zone)
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    firsts = Message.objects.filter(
        merchant_id=merchant.pk,
        campaign__purpose=Purpose.REVIEW_REQUEST,
        step=1,
        created_at__gte=start,
        created_at__lt=end,
    ).exclude(status=MessageStatus.HELD_OUT)
    if campaign is not None:
        firsts = firsts.filter(campaign=campaign)
    cohort = list(firsts.values_list("campaign_id", "campaign__name", "order_id"))
    pairs = {(c, o) for c, _n, o in cohort}
    names = {c: n for c, n, _o in cohort}
    order_ids = {o for _c, o in pairs}
    # every message (first and reminder) of those campaign x order pairs
    statuses: dict[tuple[int, int], list[tuple[int, str, str]]] = {}
    for campaign_id, order_id, step, status, code in Message.objects.filter(
        merchant_id=merchant.pk, campaign_id__in={c for c, _o in pairs}, order_id__in=order_ids
    ).values_list("campaign_id", "order_id", "step", "status", "reason_code"):
        if (campaign_id, order_id) in pairs:
            statuses.setdefault((campaign_id, order_id), []).append((step, status, code))
    answers = dict(
        SatisfactionAnswer.objects.filter(merchant_id=merchant.pk, order_id__in=order_ids).values_list(
            "order_id", "answer"
        )
    )
    labels = {key: str(text) for key, text in GROUPS}
    groups = {key: GroupRow(key, labels[key]) for key, _t in GROUPS}
    per_campaign: dict[int, dict[str, GroupRow]] = {}
    for (campaign_id, order_id), rows in sorted(statuses.items()):
        group = answers.get(order_id, "none")
        targets = [
            groups[group],
            per_campaign.setdefault(campaign_id, {}).setdefault(group, GroupRow(group, labels[group])),
        ]
        first = next((r for r in rows if r[0] == 1), rows[0])
        invited = any(status in INVITED for _s, status, _c in rows)
        for row in targets:
            row.orders += 1
            if invited:
                row.invited += 1
            elif first[1] in WAITING:
                row.waiting += 1
            else:
                row.not_invited += 1
                code = first[2] or first[1]
                row.reasons[code] = row.reasons.get(code, 0) + 1
    campaigns = [
        {
            "id": campaign_id,
            "name": names[campaign_id],
            "groups": [by_group.get(key) or GroupRow(key, labels[key]) for key, _t in GROUPS],
        }
        for campaign_id, by_group in sorted(per_campaign.items(), key=lambda kv: names[kv[0]])
    ]
    return GatingAudit(date_from, date_to, [groups[key] for key, _t in GROUPS], campaigns)
