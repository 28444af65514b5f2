"""The demo ward, built from the seed (別紙1): four departments, their businesses and data kinds, the
operators, the responsible person and the equipment register (so the registers have content; the
terminal rule ``KOKIN_TERMINAL_REGISTER`` stays off, so the demo logins work from any machine).

Idempotent: running it again changes nothing. Demo logins are created with a random initial password
(to be changed at first login) and a TOTP secret; both are returned once, on creation (or on reset).
The demo's handling rules and training course come with them, and each demo operator created (or
reset) is recorded as trained and as having acknowledged the rules (by the command, as the operation
log says), so the demo logins reach their pages at once (docs/training.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import Business, DataKind, Department, Role, RoleAssignment, Terminal, User
from kokin.audit.actor import Actor
from kokin.training import selectors as training
from kokin.training import services as training_services
from kokin.training.models import Course, HandlingRules

IN, OUT = DataKind.Direction.INBOUND, DataKind.Direction.OUTBOUND

#: department code, name, [(business code, name, [(format, direction, label, yearly volume)])]
WARD: list[tuple[str, str, list[tuple[str, str, list[tuple[str, str, str, int]]]]]] = [
    ("zeimu", "税務課", [
        ("zeimu-shuno", "住民税・軽自動車税 収納", [
            ("mpn-receipt", IN, "MPN済通収納データ (住民税)", 5_742),
            ("mpn-receipt", IN, "MPN済通収納データ (軽自動車税)", 1_807),
            ("general-receipt", IN, "汎用収納データ (OCR分・手書分)", 1_430),
            ("special-receipt", IN, "特別徴収収納データ (OCR分・手書分)", 182_893),
            ("special-breakdown", IN, "特別徴収納入明細データ", 174_402),
        ]),
        ("zeimu-furikae", "住民税 口座振替", [
            ("zengin-debit", OUT, "口座振替請求データ", 46_872),
            ("zengin-debit", IN, "口座振替結果データ", 46_872),
        ]),
    ]),
    ("kokuho", "国保年金課", [
        ("kokuho-shuno", "国民健康保険料・後期高齢者医療保険料 収納", [
            ("mpn-receipt", IN, "MPN済通収納データ (国民健康保険)", 3_692),
            ("general-receipt", IN, "汎用収納データ (国民健康保険)", 1_405),
            ("general-receipt", IN, "汎用収納データ (後期高齢者医療)", 12_559),
        ]),
        ("kokuho-furikae", "国保・後期高齢 口座振替", [
            ("zengin-debit", OUT, "口座振替請求データ (国民健康保険)", 184_222),
            ("zengin-debit", OUT, "口座振替請求データ (後期高齢者医療)", 71_902),
            ("zengin-debit", IN, "口座振替結果データ (国民健康保険)", 184_222),
            ("zengin-debit", IN, "口座振替結果データ (後期高齢者医療)", 71_902),
        ]),
    ]),
    ("kaigo", "介護保険課", [
        ("kaigo-shuno", "介護保険料 収納", [("general-receipt", IN, "汎用収納データ (OCR分)", 15_515)]),
        ("kaigo-furikae", "介護保険料 口座振替", [
            ("zengin-debit", OUT, "口座振替請求データ", 11_105),
            ("zengin-debit", IN, "口座振替結果データ", 11_105),
        ]),
    ]),
    ("seiso", "清掃リサイクル課", [
        ("seiso-shuno", "廃棄物処理手数料 収納", [
            ("general-receipt-waste", IN, "汎用収納データ (廃棄物処理手数料)", 669),
        ]),
    ]),
]  # fmt: skip

#: each 口座振替 business's 委託者コード (the demo's sample request is 税務課's: kokin.formats.synth)
CONSIGNOR_CODES: dict[str, str] = {
    "zeimu-furikae": "1310500001",
    "kokuho-furikae": "1310500002",
    "kaigo-furikae": "1310500003",
}

#: username, display name, department, {business: roles}, system admin, auditor
OPERATORS: list[tuple[str, str, str | None, dict[str, list[str]], bool, bool]] = [
    ("zeimu-view", "税務 閲覧担当", "zeimu", {"zeimu-shuno": [Role.VIEW], "zeimu-furikae": [Role.VIEW]}, False, False),
    ("zeimu-get", "税務 取得担当", "zeimu", {"zeimu-shuno": [Role.DOWNLOAD], "zeimu-furikae": [Role.DOWNLOAD]},
     False, False),
    ("zeimu-send", "税務 送信担当", "zeimu", {"zeimu-furikae": [Role.UPLOAD, Role.DOWNLOAD]}, False, False),
    ("zeimu-approve", "税務 承認担当", "zeimu", {"zeimu-furikae": [Role.APPROVE]}, False, False),
    ("zeimu-manage", "税務 業務管理者", "zeimu", {"zeimu-shuno": [Role.MANAGE], "zeimu-furikae": [Role.MANAGE]},
     False, False),
    ("kokuho-send", "国保 送信担当", "kokuho",
     {"kokuho-shuno": [Role.DOWNLOAD], "kokuho-furikae": [Role.UPLOAD, Role.DOWNLOAD]}, False, False),
    ("kokuho-approve", "国保 承認担当", "kokuho", {"kokuho-furikae": [Role.APPROVE]}, False, False),
    ("kaigo-send", "介護 送信担当", "kaigo",
     {"kaigo-shuno": [Role.DOWNLOAD], "kaigo-furikae": [Role.UPLOAD, Role.DOWNLOAD]}, False, False),
    ("kaigo-approve", "介護 承認担当", "kaigo", {"kaigo-furikae": [Role.APPROVE]}, False, False),
    ("seiso-get", "清掃 取得担当", "seiso", {"seiso-shuno": [Role.VIEW, Role.DOWNLOAD]}, False, False),
    ("sysadmin", "システム管理者", None, {}, True, False),
    ("auditor", "監査担当", None, {}, False, True),
]  # fmt: skip


#: the responsible person (個人情報保護管理責任者): name, title, contact, since
RESPONSIBLE = ("デモ 管理責任者", "情報システム部長", "03-0000-0000 / privacy@example.jp", dt.date(2025, 4, 1))
TERMINAL, SERVER = Terminal.Kind.TERMINAL, Terminal.Kind.SERVER
#: the equipment register: name, kind, place, address, department (or None), owner; the last is known
#: by its client certificate (:func:`demo_fingerprint`) instead of an address
TERMINALS: list[tuple[str, str, str, str, str | None, str]] = [
    ("公金収納ハブ サーバ", SERVER, "データセンター ラック A-3", "10.20.0.10", None, "システム管理者"),
    ("税務課 窓口端末 1", TERMINAL, "本庁舎 2階 税務課", "10.10.2.11", "zeimu", ""),
    ("税務課 事務端末群", TERMINAL, "本庁舎 2階 税務課", "10.10.2.32/28", "zeimu", ""),
    ("国保年金課 業務端末", TERMINAL, "本庁舎 3階 国保年金課", "10.10.3.0/28", "kokuho", ""),
    ("介護保険課 業務端末 (証明書)", TERMINAL, "本庁舎 3階 介護保険課", "", "kaigo", ""),
]  # fmt: skip


def demo_fingerprint(name: str) -> str:
    """A stand-in SHA-256 fingerprint for a demo terminal known by its certificate."""
    return hashlib.sha256(f"kokin demo terminal {name}".encode()).hexdigest().upper()


#: how a transfer ID names the format (HULFT-style file IDs: upper case, digits, hyphens)
_ABBREVIATION = {
    "mpn-receipt": "MPN",
    "general-receipt": "GEN",
    "general-receipt-waste": "WASTE",
    "special-receipt": "SPR",
    "special-breakdown": "SPB",
}


def transfer_id_for(business_code: str, fmt: str, direction: str, n: int) -> str:
    """The bank link's name for a demo mailbox, e.g. ``ZEIMU-SHUNO-MPN1`` or ``KOKUHO-FURIKAE-REQ2``;
    the n-th debit request of a business is answered in the n-th result kind (``…-RES2``)."""
    if fmt == "zengin-debit":
        part = "REQ" if direction == OUT else "RES"
    else:
        part = _ABBREVIATION.get(fmt, fmt.upper().replace("-", ""))
    return f"{business_code.upper()}-{part}{n}"


@dataclass(frozen=True)
class Login:
    username: str
    display_name: str
    password: str
    totp_secret: str  # base32, for an authenticator app
    totp_uri: str = ""  # otpauth://totp/kokin%3A<username>?secret=…&issuer=kokin: the secret as a QR code carries it


def _base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def initial_password() -> str:
    return f"Kk-{secrets.token_urlsafe(12)}"


@transaction.atomic
def load(*, reset_logins: bool = False) -> list[Login]:
    """Create what is missing; return the logins created (or reset) now, with their secrets."""
    businesses: dict[str, Business] = {}
    for dcode, dname, business_list in WARD:
        department, _ = Department.objects.get_or_create(code=dcode, defaults={"name": dname})
        for bcode, bname, kinds in business_list:
            business, _ = Business.objects.get_or_create(code=bcode, defaults={"name": bname, "department": department})
            businesses[bcode] = business
            if bcode in CONSIGNOR_CODES and not business.consignor_codes:
                business.consignor_codes = CONSIGNOR_CODES[bcode]
                business.save(update_fields=["consignor_codes"])
            seen: dict[tuple[str, str], int] = {}
            requests: dict[int, DataKind] = {}
            for fmt, direction, label, volume in kinds:
                kind, _ = DataKind.objects.get_or_create(
                    business=business, format=fmt, direction=direction, label=label, defaults={"yearly_volume": volume}
                )
                n = seen[fmt, direction] = seen.get((fmt, direction), 0) + 1
                if not kind.transfer_id:
                    kind.transfer_id = transfer_id_for(bcode, fmt, direction, n)
                    kind.save(update_fields=["transfer_id"])
                if fmt == "zengin-debit" and direction == OUT:
                    requests[n] = kind
                elif fmt == "zengin-debit" and n in requests and requests[n].reply_kind_id is None:
                    requests[n].reply_kind = kind
                    requests[n].save(update_fields=["reply_kind"])
    created: list[Login] = []
    users: list[User] = []
    for username, display, department_code, roles, admin, auditor in OPERATORS:
        user = User.objects.filter(username=username).first()
        if user is not None and not reset_logins:
            continue
        if user is None:
            user = User(
                username=username,
                display_name=display,
                is_system_admin=admin,
                is_auditor=auditor,
                department=Department.objects.get(code=department_code) if department_code else None,
            )
        password = initial_password()
        user.set_password(password)
        user.must_change_password = True
        user.current_session_key = ""
        user.save()
        for bcode, role_list in roles.items():
            for role in role_list:
                RoleAssignment.objects.get_or_create(user=user, business=businesses[bcode], role=role)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="認証アプリ (デモ)", confirmed=True)
        created.append(Login(username, display, password, _base32(device), device.config_url))
        users.append(user)
    seed_training(users)
    _registers()
    return created


#: the demo logins' mail domain (reserved for examples: nothing is ever delivered there)
MAIL_DOMAIN = "demo.example.jp"


def give_addresses() -> int:
    """A mail address for each demo login that has none (``<ID>@demo.example.jp``), so the demo's mail
    (承認待ち, 到着の通知, インシデント) has recipients; the demo writes it to files. Returns how many got one."""
    given = 0
    for username, *_ in OPERATORS:
        given += User.objects.filter(username=username, email="").update(email=f"{username}@{MAIL_DOMAIN}")
    return given


def _registers() -> None:
    """The responsible person and the terminals, then the registers' versions at once: inside this
    transaction, so they exist when :func:`load` returns (the versions made on commit find no change)."""
    from kokin.audit.actor import Actor
    from kokin.registers import services
    from kokin.registers.models import ResponsiblePerson

    actor = Actor.command()
    if ResponsiblePerson.current() is None:
        name, title, contact, since = RESPONSIBLE
        services.appoint(name=name, title=title, contact=contact, since=since, actor=actor)
    for name, kind, place, address, department, owner in TERMINALS:
        Terminal.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "place": place,
                "address": address,
                "cert_fingerprint": "" if address else demo_fingerprint(name),
                "department": Department.objects.get(code=department) if department else None,
                "owner": owner,
            },
        )
    services.refresh_all(actor=actor)


#: the demo's training course: code, title, version, description
COURSE = (
    "privacy-basics",
    "個人情報の取扱いに関する研修",
    "デモ版",
    "特記仕様書 (別紙3) の遵守事項、関係法令の罰則と民事上の責任、事故の際の報告の流れ。",
)
RULES_TITLE = "個人情報の取扱規程 (デモ)"
RULES_TEXT = """\
第1条 (目的) この規程は、公金収納ネットワークサービスの運用において取り扱う個人情報を、区との契約及び
個人情報の保護に関する特記仕様書に従って適正に管理するため、従事者が守るべき事項を定める。
第2条 (秘密の保持) 従事者は、業務で知り得た個人情報を第三者に漏らしてはならない。従事しなくなった後も同様とする。
第3条 (目的外使用の禁止) 従事者は、個人情報を委託された業務以外に使用せず、複写・複製・加工をしない。
第4条 (持出しの禁止) 従事者は、個人情報を記録した資料・媒体を履行場所の外へ持ち出さない。
第5条 (操作) 従事者は、自分に与えられた ID・パスワード・第2要素だけを使い、他人に使わせない。
第6条 (事故の報告) 従事者は、個人情報の紛失・漏えい・滅失・毀損・改ざん又はそのおそれを知ったときは、
直ちに個人情報保護管理責任者に報告し、その指示に従う。
第7条 (罰則等) 従事者は、関係法令に基づく罰則及び民事上の責任があることを理解し、研修を受講する。
"""


def seed_training(users: list[User]) -> None:
    """The demo's handling rules and course (once), and for each of ``users`` who is an operator a record of
    the course today and an acknowledgement of the rules in effect, unless they have them already."""
    today = timezone.localdate()
    if not HandlingRules.objects.exists():
        HandlingRules.objects.create(version=1, title=RULES_TITLE, text=RULES_TEXT, effective_from=today)
    code, title, version, description = COURSE
    course, _ = Course.objects.get_or_create(
        code=code, defaults={"title": title, "version": version, "description": description}
    )
    operators = [u for u in users if training.is_operator(u)]
    untrained = [u for u in operators if not u.training_records.filter(course=course).exists()]
    if untrained and course.active:
        training_services.record_training(
            course=course, completed_on=today, users=untrained, actor=Actor.command(), note="デモ区の準備"
        )
    rules = training.current_rules(today)
    for user in operators:
        if rules is not None and training.must_acknowledge(user):
            training_services.acknowledge(user=user, rules=rules, actor=Actor.command())


def seed_files(folder: Path, *, place_inbound: bool = True) -> list[str]:
    """Today's collection data in every inbound mailbox (once) and a debit request ready to upload.

    Sample files come from :mod:`kokin.formats.synth`; they are placed as the bank link will deliver
    them (``place_inbound=False`` when the bank simulator delivers them over the bank link). Returns
    lines for the operator, in Japanese and English.
    """
    from kokin.exchange import services
    from kokin.exchange.models import ExchangeFile
    from kokin.formats import bankdays
    from kokin.formats import synth as sample

    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    today = timezone.localdate()
    if place_inbound and not ExchangeFile.objects.exists():
        for kind in DataKind.objects.filter(direction=IN).exclude(format="zengin-debit").order_by("pk"):
            raw, _ = sample.generate(kind.format, 40, seed=kind.pk, base_date=today)
            path = folder / f"{kind.business.code}-{kind.format}-{kind.pk}.dat"
            path.write_bytes(raw)
            received = services.received_from_path(path, name=path.name)
            outcome = services.place(data_kind=kind, received=received, actor=Actor.command(), allow_duplicate=True)
            state = "配置 placed" if outcome.file is not None else "未配置 not placed"
            lines.append(f"  {state}: {kind.business.name} / {kind.label} ({kind.format})")
    debit_date = bankdays.add_business_days(today, 5)
    request = folder / "debit-request.dat"
    raw, _ = sample.generate("zengin-debit", 200, seed=1, base_date=debit_date)
    request.write_bytes(raw)
    lines.append(
        f"  口座振替請求 (引落日 {debit_date:%Y-%m-%d}) をアップロードできます / a debit request to upload: {request}"
    )
    return lines
