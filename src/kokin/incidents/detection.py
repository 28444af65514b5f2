"""What the logins and downloads call so the rules can count (the arithmetic is :mod:`kokin.incidents.rules`).

- :func:`login_event` after each failed or refused login step (password, unknown ID, second factor,
  lockout, throttled address, terminal refused), with the operation-log entry that recorded it;
- :func:`banned` before checking a login: a key under a ban is refused without being checked;
- :func:`download_event` after each download of a file (web page, API, package).

Counts live in the database (:class:`DefenderEvent`, :class:`DefenderBan`, :class:`DownloadEvent`), so
every worker and app server sees the same; each call removes what its key no longer needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.incidents import configured
from kokin.incidents.models import DefenderBan, DefenderEvent, DownloadEvent, Incident, Severity
from kokin.incidents.rules import DefenderRule, LoginEvent, usual_level, window_score
from kokin.incidents.services import lock, raise_incident

#: the how-many-th ban from which a key's incident is 高 instead of 中
HIGH_FROM_BAN = 3


def _keys(kind: LoginEvent, account: str, address: str) -> list[str]:
    # an unknown ID has no account to protect: it counts on the address alone
    keys = [f"account:{account}"] if account and kind != LoginEvent.UNKNOWN_ACCOUNT else []
    return keys + ([f"address:{address}"] if address else [])


def banned(*, account: str = "", address: str = "", at: dt.datetime | None = None) -> DefenderBan | None:
    """The ban in force on the account or the address (the one that lasts longest), or ``None``."""
    keys = _keys(LoginEvent.FAILED_PASSWORD, account, address)
    now = at or timezone.now()
    return DefenderBan.objects.filter(key__in=keys, started_at__lte=now, until__gt=now).order_by("-until").first()


def login_event(
    *, kind: LoginEvent | str, account: str = "", address: str = "", evidence: int = 0, at: dt.datetime | None = None
) -> list[DefenderBan]:
    """Score one failed or refused login step for ``account`` (an existing ID) and ``address``; a key
    whose score reaches the threshold is banned and an incident raised. Returns the bans started."""
    rule = configured.rules().login_defender
    kind = LoginEvent(kind)
    if not rule.enabled:
        return []
    now = at or timezone.now()
    started = []
    with transaction.atomic():
        lock()
        for key in _keys(kind, account, address):
            if DefenderBan.objects.filter(key=key, started_at__lte=now, until__gt=now).exists():
                continue  # refused by the caller while the ban lasts, and not scored (as SFTPGo does)
            since = now - dt.timedelta(minutes=rule.observation_minutes)
            DefenderEvent.objects.filter(key=key, at__lt=since).delete()
            DefenderEvent.objects.create(key=key, at=now, score=rule.score(kind), kind=kind, evidence=evidence)
            events = list(DefenderEvent.objects.filter(key=key, at__gte=since, at__lte=now))
            score = window_score(((e.at, e.score) for e in events), now=now, since=since)
            if rule.bans(score):
                started.append(_ban(key, now, rule, score, events))
    return started


def _ban(key: str, now: dt.datetime, rule: DefenderRule, score: int, events: list[DefenderEvent]) -> DefenderBan:
    memory = now - dt.timedelta(hours=rule.ban_memory_hours)
    DefenderBan.objects.filter(key=key, until__lt=memory).delete()
    nth = DefenderBan.objects.filter(key=key).count() + 1
    ban = DefenderBan.objects.create(key=key, started_at=now, until=now + rule.ban_length(nth), nth=nth)
    # the scores are spent on this ban: the next one needs a threshold of new failures
    DefenderEvent.objects.filter(key=key, at__lte=now).delete()
    minutes = round(rule.ban_length(nth).total_seconds() / 60, 1)
    kind, _, who = key.partition(":")
    what = "アカウント" if kind == "account" else "接続元"
    entry = record(
        action="defender_ban",
        actor=Actor.system(),
        object=key,
        outcome="denied",
        detail={"until": ban.until.isoformat(), "nth": nth, "score": score, "minutes": minutes},
    )
    raise_incident(
        rule="login_defender",
        severity=Severity.HIGH if nth >= HIGH_FROM_BAN else Severity.MEDIUM,
        subject=key,
        title=f"ログイン失敗の多発: {what} {who}",
        summary=(
            f"{what} {who} のログイン失敗が {rule.observation_minutes} 分間に {score} 点"
            f" (しきい値 {rule.threshold} 点) に達したため、{minutes:g} 分間ログインを止めました"
            f" (この{what}の {nth} 回目の停止)。"
        ),
        evidence=[e.evidence for e in events if e.evidence] + [entry.seq],
        actor=Actor.system(),
    )
    return ban


def download_event(
    *, business: str, file: Mapping[str, Any] | str, size: int, evidence: int = 0, at: dt.datetime | None = None
) -> Incident | None:
    """Count one download of ``file`` (an id, or ``{"id", "data_kind", "records"}``) of ``size`` bytes
    from ``business``; raise (or add to) a mass-download incident when the window is over the limit."""
    rule = configured.rules().mass_download
    if not rule.enabled:
        return None
    now = at or timezone.now()
    ref = {"id": file} if isinstance(file, str) else dict(file)
    window_start = now - dt.timedelta(minutes=rule.window_minutes)
    with transaction.atomic():
        lock()
        DownloadEvent.objects.filter(business=business, at__lt=now - dt.timedelta(days=rule.baseline_days)).delete()
        DownloadEvent.objects.create(
            business=business,
            at=now,
            size=size,
            file=str(ref["id"])[:64],
            data_kind=ref.get("data_kind"),
            records=ref.get("records"),
            evidence=evidence,
        )
        rows = DownloadEvent.objects.filter(business=business)
        current = list(rows.filter(at__gt=window_start, at__lte=now).order_by("at"))
        past = rows.filter(at__lte=window_start).values_list("at", "size")
        usual = usual_level(((at.timestamp(), n) for at, n in past), width=rule.window_minutes * 60)
        total = sum(e.size for e in current)
        if not rule.exceeds(files=len(current), size=total, usual=usual):
            return None
        return _mass_download(business, current, total, usual, rule.window_minutes)


def _mass_download(
    business: str, current: list[DownloadEvent], total: int, usual: tuple[int, int], minutes: int
) -> Incident:
    seqs = [e.evidence for e in current if e.evidence]
    actors = sorted(set(AuditEntry.objects.filter(seq__in=seqs).values_list("actor", flat=True)))
    files = {e.file: {"id": e.file, "data_kind": e.data_kind, "records": e.records} for e in current}
    return raise_incident(
        rule="mass_download",
        severity=Severity.HIGH,
        subject=f"business:{business}",
        title=f"大量のダウンロード: 業務 {business}",
        summary=(
            f"業務 {business} のファイルが {minutes} 分間に {len(current)} 件 ({total:,} バイト) 取得されました"
            f" (通常の最大は {usual[0]} 件・{usual[1]:,} バイト)。取得した操作者: {'、'.join(actors) or '不明'}。"
        ),
        evidence=seqs,
        personal_data=True,
        businesses=[business],
        files=list(files.values()),
        actor=Actor.system(),
    )
