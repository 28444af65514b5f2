"""What changed between two snapshots of a register, as Japanese lines for the written report.

A pure function of the two snapshots (:mod:`kokin.registers.snapshot`): entries are matched by their
key (a business by its code, an operator by username, a terminal by its number), so a reordering is
no change and every difference of two sorted snapshots gives at least one line.

>>> old = {"terminals": []}
>>> new = {"terminals": [{"number": 1, "name": "窓口端末1", "kind": "terminal", "place": "税務課 窓口",
...        "address": "10.1.2.3", "cert_fingerprint": "", "owner": "", "department": "税務課",
...        "registered": "2025-04-01"}]}
>>> changes("equipment", old, new)
['機器を登録: 管理番号 1 窓口端末1 (端末、税務課 窓口)']
>>> changes("equipment", new, new)
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kokin.accounts.models import Role, Terminal

Snapshot = dict[str, Any]

HUB_ROLE_LABELS = {"system_admin": "システム管理者", "auditor": "監査者"}
RESPONSIBLE_FIELDS = {"name": "氏名", "title": "役職", "contact": "連絡先", "since": "就任日"}
TERMINAL_FIELDS = {
    "name": "機器名",
    "kind": "種別",
    "place": "設置場所",
    "address": "IP アドレス・範囲",
    "cert_fingerprint": "証明書の指紋",
    "owner": "管理者",
    "department": "管理する課",
    "registered": "登録日",
}
NONE = "(なし)"


def changes(kind: str, old: Snapshot, new: Snapshot) -> list[str]:
    """The lines saying what changed from ``old`` to ``new`` (empty when nothing did)."""
    if kind == "roster":
        return roster_changes(old, new)
    return equipment_changes(old, new)


# --- labels --------------------------------------------------------------------------------------


def role_labels(codes: list[str]) -> str:
    return "・".join(Role(code).label if code in Role.values else code for code in codes) or NONE


def person(entry: dict[str, Any]) -> str:
    """An operator as the register shows them: 氏名 (利用者ID)."""
    return f"{entry['name'] or entry['username']} ({entry['username']})"


def business_label(entry: dict[str, Any]) -> str:
    return f"{entry['department']} {entry['name']}"


def kind_label(code: Any) -> str:
    return Terminal.Kind(code).label if code in Terminal.Kind.values else _value(code)


def _value(value: Any) -> str:
    return str(value) if value not in ("", None) else NONE


# --- the roster ----------------------------------------------------------------------------------


def _paired(
    old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]], key: str
) -> Iterator[tuple[Any, dict[str, Any] | None, dict[str, Any] | None]]:
    """The entries of two versions matched by ``key``: ``(key, was, now)``, those of the new version in its
    order first, then those removed (``now`` is None); ``was`` is None for an added entry."""
    before = {e[key]: e for e in old}
    after = {e[key]: e for e in new}
    for k in [*after, *(k for k in before if k not in after)]:
        yield k, before.get(k), after.get(k)


def roster_changes(old: Snapshot, new: Snapshot) -> list[str]:
    lines = _responsible_changes(old.get("responsible"), new.get("responsible"))
    lines += _business_changes(old.get("businesses", []), new.get("businesses", []))
    lines += _hub_changes(old.get("hub", []), new.get("hub", []))
    lines += _name_changes(old, new)
    return lines


def _responsible_changes(old: dict[str, str] | None, new: dict[str, str] | None) -> list[str]:
    if old == new:
        return []
    if old is None:
        assert new is not None
        return [f"個人情報保護管理責任者を登録: {new['name']} ({new['title']})"]
    if new is None:
        return [f"個人情報保護管理責任者の登録がなくなりました: {old['name']} ({old['title']})"]
    if old["name"] != new["name"]:
        return [f"個人情報保護管理責任者を変更: {old['name']} ({old['title']}) → {new['name']} ({new['title']})"]
    return [
        f"個人情報保護管理責任者の{label}を変更: {_value(old.get(field))} → {_value(new.get(field))}"
        for field, label in RESPONSIBLE_FIELDS.items()
        if old.get(field) != new.get(field)
    ]


def _business_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for code, was, now in _paired(old, new, "code"):
        if was is None:
            assert now is not None
            lines.append(f"業務を追加: {business_label(now)} ({code})")
        elif now is None:
            lines.append(f"業務を削除: {business_label(was)} ({code})")
        elif (was["department_code"], was["department"], was["name"]) != (
            now["department_code"],
            now["department"],
            now["name"],
        ):
            lines.append(
                f"業務を変更 ({code}): {business_label(was)} [{was['department_code']}] → "
                f"{business_label(now)} [{now['department_code']}]"
            )
        lines += _operator_changes(was, now)
    return lines


def _operator_changes(was: dict[str, Any] | None, now: dict[str, Any] | None) -> list[str]:
    where = business_label(now or was or {"department": "", "name": ""})
    lines: list[str] = []
    for _, old, new in _paired((was or {}).get("operators", []), (now or {}).get("operators", []), "username"):
        if old is None:
            assert new is not None
            lines.append(f"従事者を追加: {where} — {person(new)} {role_labels(new['roles'])}")
        elif new is None:
            lines.append(f"従事者を削除: {where} — {person(old)} {role_labels(old['roles'])}")
        elif old["roles"] != new["roles"]:
            lines.append(
                f"従事者の役割を変更: {where} — {person(new)} {role_labels(old['roles'])} → {role_labels(new['roles'])}"
            )
    return lines


def _hub_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for _, was, now in _paired(old, new, "username"):
        if was is None:
            assert now is not None
            lines.append(f"{HUB_ROLE_LABELS.get(now['role'], now['role'])}を追加: {person(now)}")
        elif now is None:
            lines.append(f"{HUB_ROLE_LABELS.get(was['role'], was['role'])}を削除: {person(was)}")
        elif was["role"] != now["role"]:
            lines.append(
                f"ハブ全体の役割を変更: {person(now)} "
                f"{HUB_ROLE_LABELS.get(was['role'], was['role'])} → {HUB_ROLE_LABELS.get(now['role'], now['role'])}"
            )
    return lines


def _names(snapshot: Snapshot) -> dict[str, str]:
    found: dict[str, str] = {}
    for business in snapshot.get("businesses", []):
        for operator in business.get("operators", []):
            found[operator["username"]] = operator["name"]
    for entry in snapshot.get("hub", []):
        found[entry["username"]] = entry["name"]
    return found


def _name_changes(old: Snapshot, new: Snapshot) -> list[str]:
    before, after = _names(old), _names(new)
    return [
        f"氏名を変更: {username} {_value(before[username])} → {_value(name)}"
        for username, name in after.items()
        if username in before and before[username] != name
    ]


# --- the equipment register ----------------------------------------------------------------------


def terminal_label(entry: dict[str, Any]) -> str:
    return f"管理番号 {entry['number']} {entry['name']}"


def equipment_changes(old: Snapshot, new: Snapshot) -> list[str]:
    lines: list[str] = []
    for _, was, now in _paired(old.get("terminals", []), new.get("terminals", []), "number"):
        if was is None:
            assert now is not None
            lines.append(f"機器を登録: {terminal_label(now)} ({kind_label(now['kind'])}、{now['place']})")
        elif now is None:
            lines.append(f"機器を廃止: {terminal_label(was)} ({kind_label(was['kind'])}、{was['place']})")
        else:
            for field, label in TERMINAL_FIELDS.items():
                if was.get(field) != now.get(field):
                    shown = kind_label if field == "kind" else _value
                    lines.append(
                        f"機器の{label}を変更: {terminal_label(now)} {shown(was.get(field))} → {shown(now.get(field))}"
                    )
    return lines
