"""What each kind of notice says, rendered in the reader's language at display or sending time.

A notice stores its kind and plain parameters (names, figures); `render(notice)` turns them into a title
and a body with gettext, so the same notice reads in Chinese for one member and English for another.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import BreakerRule, NoticeKind


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def _rule_label(rule: str) -> str:
    return str(BreakerRule(rule).label) if rule in BreakerRule.values else rule


def breaker_reason(params: dict) -> str:
    """One sentence naming the rule and its figures (also stored as the campaigns' pause reason)."""
    if params.get("rule") == BreakerRule.UNSUBSCRIBE_SPIKE:
        return (
            _(
                "%(account)s: %(events)s unsubscribes since %(since)s, more than %(factor)s times the usual "
                "%(baseline)s."
            )
            % params
        )
    return _("%(account)s: %(rule)s %(rate)s is above %(threshold)s (%(events)s of %(sample)s since %(since)s).") % {
        **params,
        "rule": _rule_label(params.get("rule", "")),
    }


def _breaker(p: dict) -> Rendered:
    campaigns = ", ".join(p.get("campaigns") or []) or _("none was active")
    return Rendered(
        title=_("Circuit breaker: %(account)s paused") % p,
        body=breaker_reason(p)
        + " "
        + _("Campaigns paused: %(campaigns)s. Find the cause, then resume each campaign yourself.")
        % {"campaigns": campaigns},
    )


def _budget(p: dict) -> Rendered:
    from billing.models import Channel

    channel = str(Channel(p["channel"]).label) if p.get("channel") in Channel.values else _("all channels")
    p = {**p, "scope": {"day": _("daily"), "month": _("monthly")}.get(p.get("scope"), p.get("scope", ""))}
    if int(p.get("threshold", 0)) >= 100:
        return Rendered(
            title=_("Budget cap reached"),
            body=_("The %(scope)s cap for %(channel)s (%(limit)s) is reached: paid messages are paused.")
            % {**p, "channel": channel},
        )
    return Rendered(
        title=_("%(threshold)s%% of a budget cap spent") % p,
        body=_("%(spent)s of the %(scope)s cap for %(channel)s (%(limit)s) is spent or reserved.")
        % {**p, "channel": channel},
    )


def _template(p: dict) -> Rendered:
    return Rendered(
        title=_("Template rejected: %(template)s") % p,
        body=_("Version %(version)s of %(template)s was rejected: %(reason)s") % p,
    )


def _store(p: dict) -> Rendered:
    return Rendered(
        title=_("Store connection failing: %(store)s") % p,
        body=_("%(failures)s attempts in a row failed. Last error: %(error)s") % p,
    )


def _account(p: dict) -> Rendered:
    return Rendered(
        title=_("Channel account failing: %(account)s") % p,
        body=_("The provider refused our credentials. Last error: %(error)s") % p,
    )


def _digest(p: dict) -> Rendered:
    body = (
        _(
            "%(start)s to %(end)s: %(sent)s messages sent, %(review_clicks)s review-link clicks, %(complaints)s "
            "complaints, cost %(cost)s %(currency)s, %(trips)s circuit breaker trips."
        )
        % p
    )
    if p.get("tickets") is not None:
        body += " " + _("%(tickets)s service-recovery tickets opened.") % p
    return Rendered(title=_("Your week on Linkstar: %(start)s to %(end)s") % p, body=body)


RENDERERS = {
    NoticeKind.BREAKER_TRIP: _breaker,
    NoticeKind.BUDGET_ALERT: _budget,
    NoticeKind.TEMPLATE_REJECTED: _template,
    NoticeKind.STORE_FAILING: _store,
    NoticeKind.ACCOUNT_FAILING: _account,
    NoticeKind.WEEKLY_DIGEST: _digest,
}


def render(notice) -> Rendered:
    try:
        return RENDERERS[notice.kind](notice.params or {})
    except (KeyError, TypeError, ValueError):  # a notice written by an older version: show what we can
        return Rendered(title=notice.get_kind_display(), body="")
