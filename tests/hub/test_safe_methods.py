"""No GET or HEAD changes a file (RFC 9110 §9.2.1 safe methods): every registered page and API
endpoint, and the file pages with every query an old link or a crafted URL might carry, called by
each operator of the business; the files' state and download fields stay exactly as they were."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from django.test import Client

from kokin.accounts.models import User
from kokin.api.services import create_token
from kokin.exchange import services
from kokin.exchange.models import ExchangeFile
from support.endpoints import Endpoint, registry
from support.exchange import operator, pending_file, sample_certificate, sample_file

BUSINESS = "zeimu-furikae"
OPERATORS = ("zeimu-get", "zeimu-approve", "zeimu-send", "zeimu-view", "zeimu-manage")
FIELDS = (
    "state",
    "download_count",
    "first_downloaded_at",
    "last_downloaded_at",
    "history",
    "approved_by_id",
    "approved_at",
    "inspected_at",
    "withdrawn_at",
    "collected_at",
    "retention_due",
)
#: queries the old download links used, and the fields of the POST forms put in a URL
QUERIES = (
    "",
    "?as=original",
    "?as=csv&encoding=cp932",
    "?as=zip&password_mode=generate",
    "?as=package&token=x",
    "?package=x",
    "?decision=approve",
    "?decision=unapprove&reason=x",
    "?decision=return&reason=x",
    "?reason=x",
)
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def snapshot() -> dict[Any, tuple[Any, ...]]:
    return {f.pk: tuple(getattr(f, name) for name in FIELDS) for f in ExchangeFile.objects.order_by("pk")}


def paths(endpoint: Endpoint, files: list[str], certificate: str) -> Iterator[str]:
    """``endpoint``'s URL for each of ``files`` (once if it names no file)."""
    names = PARAM.findall(endpoint.route)
    per_file = any(endpoint.params[n] not in ("business", "certificate") for n in names)
    for file in files if per_file else [""]:
        values = {n: {"business": BUSINESS, "certificate": certificate}.get(endpoint.params[n], file) for n in names}
        yield "/" + PARAM.sub(lambda m, values=values: values[m.group(1)], endpoint.route)


def test_no_get_or_head_of_any_page_or_api_changes_a_file(login_as: Callable[..., Client], ward: Any) -> None:
    certificate = sample_certificate(BUSINESS)
    approved = pending_file(BUSINESS)
    services.approve(file=ExchangeFile.objects.get(pk=approved), actor=operator("zeimu-approve"))
    downloaded = sample_file(BUSINESS)
    services.record_download(
        file=ExchangeFile.objects.get(pk=downloaded), actor=operator("zeimu-get"), what="x", sha256=""
    )
    files = [sample_file(BUSINESS), pending_file(BUSINESS), approved, downloaded]
    before = snapshot()
    calls = 0
    for username in OPERATORS:
        page = login_as(username)
        _, token = create_token(user=User.objects.get(username=username), name="safe methods")
        api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for endpoint in registry():
            if endpoint.route.startswith("manage/"):
                continue  # the administrator's site: no file there, and no operator may enter
            file_page = endpoint.kind == "page" and "<uuid:file_id>" in endpoint.route
            for path in paths(endpoint, files, certificate):
                for query in QUERIES if file_page else ("",):
                    for method in ("GET", "HEAD"):
                        if endpoint.kind == "page":
                            response = page.generic(method, path + query)
                        else:
                            response = Client().generic(method, path + query, **api)
                        assert response.status_code < 500, (method, path + query, response.status_code)
                        calls += 1
    assert calls > 500
    assert snapshot() == before
    # the same snapshot does see a download made the way it is now made, by a POST
    response = login_as("zeimu-get").post(f"/files/{files[0]}/download/", {"as": "original"})
    assert response.status_code == 200
    assert snapshot() != before
