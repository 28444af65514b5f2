"""The bank link's HTTP endpoints under ``/banklink/v1/`` (docs/banklink.md).

Plain Django views: the bank authenticates with its client certificate, a bearer token and its
address on every request (no session, no cookie, hence no CSRF token). Errors are JSON
``{"error": {"ja", "en"}}``. Request bodies are read in chunks from the stream — ``request.body`` is
never touched, so a PATCH of any size is never held in memory.

The authenticated account is written in the operation log as the bank's system account with the
connection's address and certificate (:func:`kokin.accounts.actors.bank_actor`), built here once per
request; the services below never see the request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from kokin.accounts.actors import bank_actor
from kokin.audit.actor import Actor
from kokin.banklink import auth, downloads, finishing, http
from kokin.banklink import uploads as bank_uploads
from kokin.banklink.http import Refusal
from kokin.banklink.models import BankAccount, BankUpload, Outcome
from kokin.exchange import space
from kokin.exchange.uploads import drain

View = Callable[..., HttpResponseBase]
TUS_HEADERS = {"Tus-Resumable": http.TUS_VERSION}
#: the largest JSON body the bank sends (an ack)
MAX_JSON = 64 * 1024


def error(status: int, ja: str, en: str, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse({"error": {"ja": ja, "en": en}}, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 460:
        response.reason_phrase = "Checksum Mismatch"
    for key, value in (headers or {}).items():
        response[key] = value
    response["Cache-Control"] = "no-store"
    return response


def bank_view(methods: tuple[str, ...], *, tus: bool = False) -> Callable[[View], View]:
    """Allowed methods, authentication of the bank account (the view gets the account and its
    :class:`Actor`), :class:`Refusal` → JSON error; tus views carry ``Tus-Resumable`` on every answer
    and need it on every request but OPTIONS and GET."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            extra = dict(TUS_HEADERS) if tus else {}
            try:
                if request.method not in methods:
                    response: HttpResponseBase = error(
                        405, "この操作はできません", "method not allowed", {"Allow": ", ".join(methods)}
                    )
                else:
                    account = auth.authenticate(request)
                    # OPTIONS is discovery, GET our JSON status (not a tus request): any client may ask
                    if tus and request.method not in ("OPTIONS", "GET"):
                        version = request.headers.get("Tus-Resumable", "")
                        if version != http.TUS_VERSION:
                            raise Refusal(
                                412,
                                "Tus-Resumable: 1.0.0 が必要です",
                                "Tus-Resumable: 1.0.0 is required",
                                headers={"Tus-Version": http.TUS_VERSION},
                            )
                    response = view(request, account, bank_actor(account.name, request), *args, **kwargs)
            except Refusal as exc:
                response = error(exc.status, exc.message_ja, exc.message_en, exc.headers)
            for key, value in extra.items():
                response[key] = value
            return response

        return wrapped

    return decorate


# --- files for the bank --------------------------------------------------------------------------


@bank_view(("GET",))
def files(request: HttpRequest, account: BankAccount, actor: Actor) -> HttpResponse:
    listed = [downloads.entry(f) for f in downloads.files_for_bank(account)]
    response = JsonResponse({"files": listed}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@bank_view(("GET",))
def download(request: HttpRequest, account: BankAccount, actor: Actor, file_id: Any) -> HttpResponseBase:
    file = downloads.waiting_file(account, actor, file_id)
    headers = {
        **http.digest_headers(file.sha256),
        "Accept-Ranges": "bytes",
        "Kokin-Transfer-Id": file.data_kind.transfer_id or "",
        "Cache-Control": "no-store",
    }
    wanted = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range", "")
    if if_range and if_range != headers["ETag"]:
        wanted = ""  # the bank has another version: send the whole file
    try:
        span = http.parse_range(wanted, file.size)
    except Refusal as exc:
        raise Refusal(exc.status, exc.message_ja, exc.message_en, headers={**headers, **exc.headers}) from exc
    first, last = span if span is not None else (0, file.size - 1)
    downloads.log_download(actor, file, first, last)
    response = StreamingHttpResponse(
        downloads.stream_file(file, first, last),
        status=206 if span is not None else 200,
        content_type="application/octet-stream",
    )
    for key, value in headers.items():
        response[key] = value
    response["Content-Length"] = str(last - first + 1)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(file.original_name)}"
    if span is not None:
        response["Content-Range"] = f"bytes {first}-{last}/{file.size}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_JSON:
        raise Refusal(413, "本文が大きすぎます", "the body is too large")
    raw = request.read(length) if length else b""
    try:
        value = json.loads(raw or b"{}")
    except ValueError as exc:
        raise Refusal(400, "本文が JSON ではありません", "the body is not JSON") from exc
    if not isinstance(value, dict):
        raise Refusal(400, "本文は JSON オブジェクトです", "the body must be a JSON object")
    return value


@bank_view(("POST",))
def ack(request: HttpRequest, account: BankAccount, actor: Actor, file_id: Any) -> HttpResponse:
    body = downloads.acknowledge(account=account, actor=actor, file_id=file_id, body=_json_body(request))
    return JsonResponse(body)


# --- files from the bank (tus 1.0.0) -------------------------------------------------------------


def _upload_headers(response: HttpResponse, upload: BankUpload) -> HttpResponse:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    response["Cache-Control"] = "no-store"
    if upload.outcome != Outcome.INCOMPLETE:
        response["Kokin-Outcome"] = upload.outcome
        if upload.file_id:
            response["Kokin-File-Id"] = str(upload.file_id)
    return response


def location(upload: BankUpload) -> str:
    return f"/banklink/v1/uploads/{upload.id}"


@bank_view(("OPTIONS", "POST"), tus=True)
def uploads(request: HttpRequest, account: BankAccount, actor: Actor) -> HttpResponse:
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Tus-Version"] = http.TUS_VERSION
        response["Tus-Extension"] = "creation,termination"
        response["Tus-Max-Size"] = str(http.MAX_UPLOAD_BYTES)
        return response
    if request.META.get("HTTP_UPLOAD_DEFER_LENGTH"):
        raise Refusal(400, "Upload-Defer-Length には対応していません", "Upload-Defer-Length is not supported")
    upload = bank_uploads.create_upload(
        account=account,
        actor=actor,
        length_header=request.headers.get("Upload-Length", ""),
        metadata_header=request.headers.get("Upload-Metadata", ""),
    )
    upload = finishing.finish_if_due(account, actor, upload)
    response = HttpResponse(status=201)
    response["Location"] = location(upload)
    return _upload_headers(response, upload)


@bank_view(("HEAD", "PATCH", "GET", "DELETE"), tus=True)
def upload(request: HttpRequest, account: BankAccount, actor: Actor, upload_id: Any) -> HttpResponse:
    found = bank_uploads.upload_for(account, upload_id)
    if request.method == "DELETE":
        bank_uploads.delete_upload(account=account, actor=actor, upload=found)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        return _patch(request, account, actor, found)
    found = finishing.finish_if_due(account, actor, found)
    if request.method == "GET":
        body = JsonResponse(bank_uploads.status(found), json_dumps_params={"ensure_ascii": False})
        return _upload_headers(body, found)
    return _upload_headers(HttpResponse(status=200), found)


def _patch(request: HttpRequest, account: BankAccount, actor: Actor, found: BankUpload) -> HttpResponse:
    if request.content_type != "application/offset+octet-stream":
        raise Refusal(
            415,
            "Content-Type は application/offset+octet-stream です",
            "Content-Type must be application/offset+octet-stream",
        )
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise Refusal(400, "Upload-Offset が必要です", "Upload-Offset is required") from exc
    if offset < 0 or length < 0:
        raise Refusal(400, "Upload-Offset が正しくありません", "Upload-Offset is not valid")
    where = f"upload:{found.id}"
    if length and found.outcome == Outcome.INCOMPLETE:
        bank_uploads.room_for(actor, length, object=where, offset=offset)
    try:
        updated = bank_uploads.write_part(
            account=account, actor=actor, upload=found, offset=offset, content_length=length, read=request.read
        )
    except Exception as exc:
        if not space.is_no_space(exc):
            raise
        drain(request, length)  # so the agent gets the 507 rather than a reset connection
        refusal = bank_uploads.no_space(actor, object=where, error=exc, offset=offset)
        refusal.headers["Upload-Offset"] = str(bank_uploads.upload_for(account, found.id).offset)
        raise refusal from exc
    return _upload_headers(HttpResponse(status=204), updated)
