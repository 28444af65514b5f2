"""What a register lists now, as plain JSON data (the ``snapshot`` of a version), and its digest.

A snapshot holds only what the written report shows, so a change that alters nothing in it (a login,
a password, a user with no role) makes no new version. Lists are sorted, so the same register gives
the same canonical bytes (:func:`canonical`) and the same SHA-256 on any database.

Roster (従事者名簿)::

    {"responsible": {"name", "title", "contact", "since"} | None,
     "businesses": [{"code", "name", "department_code", "department",
                     "operators": [{"username", "name", "roles": [role codes]}]}],
     "hub": [{"username", "name", "role": "system_admin" | "auditor"}]}

Equipment (情報処理機器届出台帳)::

    {"terminals": [{"number", "name", "kind", "place", "address", "cert_fingerprint", "owner",
                    "department", "registered"}]}
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Q
from django.utils import timezone

from kokin.accounts.models import Business, Role, RoleAssignment, User
from kokin.accounts.terminals import in_use
from kokin.registers.models import Kind, ResponsiblePerson

Snapshot = dict[str, Any]

#: a register with nothing in it: what the first version is compared with
EMPTY: dict[str, Snapshot] = {
    Kind.ROSTER: {"responsible": None, "businesses": [], "hub": []},
    Kind.EQUIPMENT: {"terminals": []},
}
#: the business roles in the order the reports list them
ROLE_ORDER = {code: n for n, code in enumerate(Role.values)}


def canonical(snapshot: Snapshot) -> bytes:
    """The bytes the SHA-256 covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def digest(snapshot: Snapshot) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def build(kind: str) -> Snapshot:
    """The register ``kind`` as it stands in the database now."""
    return roster() if kind == Kind.ROSTER else equipment()


def responsible() -> dict[str, str] | None:
    person = ResponsiblePerson.current()
    if person is None:
        return None
    return {"name": person.name, "title": person.title, "contact": person.contact, "since": person.since.isoformat()}


def roster() -> Snapshot:
    """Every business with the active operators who hold a role on it, and the hub-wide accounts."""
    operators: dict[int, dict[str, dict[str, Any]]] = {}
    assignments = RoleAssignment.objects.filter(user__is_active=True).select_related("user")
    for a in assignments.order_by("business_id", "user__username", "role"):
        entry = operators.setdefault(a.business_id, {}).setdefault(
            a.user.username, {"username": a.user.username, "name": a.user.display_name, "roles": []}
        )
        entry["roles"].append(a.role)
    businesses = []
    for business in Business.objects.select_related("department").order_by("department__code", "code"):
        found = sorted(operators.get(business.pk, {}).values(), key=lambda o: o["username"])
        for entry in found:
            entry["roles"].sort(key=lambda code: ROLE_ORDER.get(code, len(ROLE_ORDER)))
        businesses.append(
            {
                "code": business.code,
                "name": business.name,
                "department_code": business.department.code,
                "department": business.department.name,
                "operators": found,
            }
        )
    hub = [
        {"username": u.username, "name": u.display_name, "role": "system_admin" if u.is_system_admin else "auditor"}
        for u in User.objects.filter(Q(is_system_admin=True) | Q(is_auditor=True), is_active=True).order_by("username")
    ]
    return {"responsible": responsible(), "businesses": businesses, "hub": hub}


def equipment() -> Snapshot:
    """Every terminal and server registered and not retired."""
    terminals = [
        {
            "number": t.pk,
            "name": t.name,
            "kind": t.kind,
            "place": t.place,
            "address": t.address,
            "cert_fingerprint": t.cert_fingerprint,
            "owner": t.owner,
            "department": t.department.name if t.department is not None else "",
            "registered": timezone.localtime(t.registered_at).date().isoformat(),
        }
        for t in in_use().order_by("pk")
    ]
    return {"terminals": terminals}
