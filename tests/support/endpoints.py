"""Every page and API endpoint of the hub with what it needs: the role × endpoint registry.

``tests/hub/test_role_matrix.py`` calls each entry as every demo role, as anonymous and as an
operator of another business, and computes allowed/denied from
:data:`kokin.accounts.permissions.ROLE_ACTIONS`. The same suite walks the URLconf: a URL pattern
that is neither here nor in :data:`EXCLUDED` (with the reason it needs no entry) fails it, so a new
endpoint cannot ship without saying who may call it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from django.utils.module_loading import import_string

from kokin.accounts.permissions import BUSINESS_ACTIONS, Action


class Access(StrEnum):
    """Needs that are not an :class:`Action`."""

    PUBLIC = "public"  # anyone, without logging in; shows no data
    AUTHENTICATED = "authenticated"  # any logged-in user; shows only the caller's own things


#: route parameters that name an object of the business under test: what → the function (dotted path)
#: that makes one in that business and returns what goes in the URL
SAMPLES: dict[str, str] = {
    "file": "support.exchange.sample_file",  # a file from the bank, available
    "pending_file": "support.exchange.pending_file",  # a debit request awaiting approval
    "certificate": "support.exchange.sample_certificate",  # the deletion certificate of an erased file
    "incident": "support.incidents.sample_incident",  # an incident about the business, with personal data
    "compliance_report": "support.compliance.sample_report",  # a kept compliance report (the ward's)
}
#: a route parameter ``pk:<app_label.model>`` is the primary key of that model's first row (the demo
#: ward has one of each): the admin site's change pages
OBJECT = "pk:"


def _first_pk(label: str) -> str:
    from django.apps import apps

    return str(apps.get_model(label)._default_manager.order_by("pk").values_list("pk", flat=True)[0])


@dataclass(frozen=True)
class Endpoint:
    route: str  # as the URLconf spells it, e.g. "api/businesses/<code>/data-kinds"
    kind: Literal["page", "api"]
    needs: Action | Access
    #: route parameter → what to put there; "business" is the code of the business under test, a key
    #: of :data:`SAMPLES` an object of that business made for the call
    params: dict[str, str] = field(default_factory=dict)
    method: str = "GET"

    @property
    def business_scoped(self) -> bool:
        return any(v == "business" or v in SAMPLES for v in self.params.values())

    def label(self, business: str | None = None) -> str:
        """The URL for ``business`` with sample parameters shown as ``<what>`` (no database needed)."""

        def fill(match: re.Match[str]) -> str:
            what = self.params[match.group(1)]
            return f"<{what}>" if what in SAMPLES or what.startswith(OBJECT) else (business or "")

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, self.route)

    def path(self, business: str | None = None) -> str:
        """The URL for ``business``; a sample parameter makes its object now (needs the database)."""
        values = {"business": business or ""}

        def fill(match: re.Match[str]) -> str:
            what = self.params[match.group(1)]
            if what in SAMPLES:
                return str(import_string(SAMPLES[what])(business or ""))
            if what.startswith(OBJECT):
                return _first_pk(what.removeprefix(OBJECT))
            return values[what]

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, self.route)

    def __post_init__(self) -> None:
        if isinstance(self.needs, Action) and self.needs in BUSINESS_ACTIONS and not self.business_scoped:
            raise ValueError(f"{self.route}: a business action needs a business parameter")


ENDPOINTS: list[Endpoint] = [
    Endpoint("", "page", Access.AUTHENTICATED),
    Endpoint("accounts/security/", "page", Access.AUTHENTICATED),
    Endpoint("accounts/password/", "page", Access.AUTHENTICATED),
    Endpoint("accounts/security/totp/", "page", Access.AUTHENTICATED),
    # the second factor asked again before an approval that needs it (kokin.exchange.stepup)
    Endpoint("accounts/step-up/", "page", Access.AUTHENTICATED),
    Endpoint("audit/", "page", Action.READ_AUDIT),
    Endpoint("manage/", "page", Action.ADMIN_ACCOUNTS),
    # role grant requests (kokin.accounts.grants): the 業務管理 of a business or a system administrator
    Endpoint("accounts/grants/", "page", Action.APPROVE_GRANTS),
    Endpoint("api/openapi.json", "api", Access.PUBLIC),
    Endpoint("api/me", "api", Access.AUTHENTICATED),
    Endpoint("api/businesses", "api", Access.AUTHENTICATED),
    Endpoint("api/businesses/<code>/data-kinds", "api", Action.VIEW_FILES, {"code": "business"}),
    Endpoint("api/audit/entries", "api", Action.READ_AUDIT),
    # the file exchange (kokin.exchange, docs/exchange.md); the pages that change a file answer GET with
    # a confirmation page and POST with the change, under the same permission
    Endpoint("files/", "page", Access.AUTHENTICATED),  # only files of the caller's businesses
    Endpoint("files/upload/<slug:business>/", "page", Action.UPLOAD_FILE, {"business": "business"}),
    Endpoint("files/certificates/", "page", Access.AUTHENTICATED),  # only the caller's businesses
    Endpoint("files/certificates/<slug:number>/", "page", Action.VIEW_FILES, {"number": "certificate"}),
    Endpoint("files/quarantine/", "page", Action.VIEW_INCIDENTS),
    Endpoint("files/<uuid:file_id>/", "page", Action.VIEW_FILES, {"file_id": "file"}),
    Endpoint("files/<uuid:file_id>/approve/", "page", Action.APPROVE_FILE, {"file_id": "pending_file"}),
    Endpoint("files/<uuid:file_id>/withdraw/", "page", Action.UPLOAD_FILE, {"file_id": "pending_file"}),
    Endpoint("files/<uuid:file_id>/download/", "page", Action.DOWNLOAD_FILE, {"file_id": "file"}),
    Endpoint("files/<uuid:file_id>/inspect/", "page", Action.DOWNLOAD_FILE, {"file_id": "file"}),
    # GET lists (view_files); POST on the same route uploads (upload_file): tests/hub/exchange/test_api.py
    Endpoint("api/businesses/<code>/files", "api", Action.VIEW_FILES, {"code": "business"}),
    Endpoint("api/files/<file_id>", "api", Action.VIEW_FILES, {"file_id": "file"}),
    Endpoint("api/files/<file_id>/original", "api", Action.DOWNLOAD_FILE, {"file_id": "file"}, method="POST"),
    Endpoint("api/files/<file_id>/csv", "api", Action.DOWNLOAD_FILE, {"file_id": "file"}, method="POST"),
    Endpoint("api/files/<file_id>/package", "api", Action.DOWNLOAD_FILE, {"file_id": "file"}, method="POST"),
    # incidents (kokin.incidents, docs/incidents.md): the system administrator and the auditor see them, the
    # administrator acts on them; a POST without its fields shows the page again (200) with the reasons
    Endpoint("incidents/", "page", Action.VIEW_INCIDENTS),
    *[
        Endpoint(f"incidents/<int:number>/{tail}", "page", Action.VIEW_INCIDENTS, {"number": "incident"})
        for tail in ("", "report/", "report.pdf", "report.txt")
    ],
    *[
        Endpoint(f"incidents/<int:number>/{tail}", "page", Action.HANDLE_INCIDENTS, {"number": "incident"}, "POST")
        for tail in ("advance/", "notes/", "report/")
    ],
    # the compliance reports (kokin.compliance, docs/compliance-report.md): the system administrator and the
    # auditor list them, make one (a POST without a month or period shows the page again, 200) and download them
    Endpoint("compliance/", "page", Action.COMPLIANCE_REPORTS),
    Endpoint("compliance/", "page", Action.COMPLIANCE_REPORTS, method="POST"),
    Endpoint("compliance/<int:pk>/report.pdf", "page", Action.COMPLIANCE_REPORTS, {"pk": "compliance_report"}),
    # the operator roster and the equipment register (kokin.registers, docs/registers.md): the system
    # administrator and the auditor read them, the administrator signs a version off; a POST without the
    # version's SHA-256 shows the page again (200) with the reason
    Endpoint("registers/", "page", Action.VIEW_REGISTERS),
    *[
        Endpoint(
            f"registers/<int:pk>/{tail}", "page", Action.VIEW_REGISTERS, {"pk": f"{OBJECT}registers.registerversion"}
        )
        for tail in ("", "pdf/", "csv/")
    ],
    Endpoint(
        "registers/<int:pk>/signoff/",
        "page",
        Action.SIGN_OFF_REGISTERS,
        {"pk": f"{OBJECT}registers.registerversion"},
        "POST",
    ),
    # training and the handling rules (kokin.training, docs/training.md): the administrator and the auditor see
    # them, the administrator records training (a POST without its fields shows the page again, 200); everyone
    # logged in may read and acknowledge the rules
    Endpoint("training/", "page", Action.VIEW_TRAINING),
    Endpoint("training/", "page", Action.RECORD_TRAINING, method="POST"),
    Endpoint("training/report.pdf", "page", Action.VIEW_TRAINING),
    Endpoint("training/report.csv", "page", Action.VIEW_TRAINING),
    Endpoint("training/acknowledge/", "page", Access.AUTHENTICATED),
]


def admin_pages() -> list[Endpoint]:
    """The list, add and change pages of every model on the system administrator's site (``/manage/``)."""
    from kokin.accounts.admin import site

    pages = []
    for model in site._registry:
        base = f"manage/{model._meta.app_label}/{model._meta.model_name}/"
        first = {"object_id": f"{OBJECT}{model._meta.label_lower}"}
        pages += [
            Endpoint(base, "page", Action.ADMIN_ACCOUNTS),
            Endpoint(f"{base}add/", "page", Action.ADMIN_ACCOUNTS),
            Endpoint(f"{base}<path:object_id>/change/", "page", Action.ADMIN_ACCOUNTS, first),
        ]
    return pages


def registry() -> list[Endpoint]:
    """Every registered endpoint: :data:`ENDPOINTS` and the admin site's model pages."""
    return [*ENDPOINTS, *admin_pages()]


#: URL patterns with no entry above (regular expressions over the route), and why none is needed
EXCLUDED: list[tuple[str, str]] = [
    (r"accounts/(login|logout|verify)/", "the login flow itself: reached before (or to end) a session"),
    (
        r"accounts/(enrol|reauth|locked)/",
        "the login flow: first-login enrolment, password re-entry, the lockout page; each view checks the "
        "session itself (tests/hub/accounts/test_accounts.py)",
    ),
    (
        r"accounts/enrolment/<uidb64>/<token>/",
        "the one-time enrolment link: reached without a session, the signed token is the permission "
        "(kokin.accounts.enrolment; tests/hub/accounts/test_admin_powers.py)",
    ),
    (
        r"accounts/security/(recovery-codes/|keys/<int:pk>/delete/)",
        "POST-only changes to one's own second factors; login, second factor and a recent password entry "
        "are checked in the view (tests/hub/accounts/test_accounts.py)",
    ),
    (
        r"accounts/webauthn/.+",
        "POST-only JSON WebAuthn ceremonies on one's own keys; each checks the session itself "
        "(tests/hub/accounts/test_webauthn.py)",
    ),
    (
        r"banklink/v1/.+",
        "the bank link (docs/banklink.md): bank system accounts only (client certificate + kb_ token + address), "
        "no operator role may call it; tests/hub/banklink/test_api.py calls every route as every demo role "
        "(session and API token) and as anonymous, and checks that each is refused",
    ),
    (
        r"banklink/history/",
        "the transfer history page is for the system administrator and the auditor (two hub-wide roles, one "
        "Action per entry here); tests/hub/banklink/test_api.py calls it as every demo role",
    ),
    (r"static/.*", "static assets (WhiteNoise), no data"),
    (r"api/", "django-ninja's root: always 404, it only names the API's base path"),
    (
        r"manage/(login|logout|password_change|password_change/done|autocomplete|jsi18n)/",
        "Django admin's own plumbing: login and password change send to the hub's own pages; autocomplete "
        "and jsi18n serve the admin's forms; the admin site's permission check (has_permission) guards them",
    ),
    (
        r"manage/\w+/\w+/<path:object_id>/(|delete/|history/)",
        "one object's other admin pages: the same admin site check as its change page (registered by "
        "admin_pages()); the bare object URL redirects to the change page",
    ),
    (
        r"accounts/grants/<int:pk>/decide/",
        "POST-only decision on one grant request: the same check as accounts/grants/ and, per request, who "
        "may decide it (tests/hub/accounts/test_admin_powers.py)",
    ),
    (r"manage/r/<path:content_type_id>/<path:object_id>/", "the admin's 'view on site' redirect"),
    (r"manage/\^\(\?P<app_label>.*", "the admin's per-app index, guarded like the admin index"),
    (r"manage/\(\?P<url>\.\*\)\$", "the admin's catch-all: 404 for unknown admin URLs"),
]


def excluded(route: str) -> str | None:
    """The reason ``route`` has no entry, or ``None`` if it needs one."""
    for pattern, reason in EXCLUDED:
        if re.fullmatch(pattern, route):
            return reason
    return None
