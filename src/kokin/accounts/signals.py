"""Operation-log entries written on signals: logins, failures, lockouts, logouts, account and role changes.

Connected in :meth:`kokin.accounts.apps.AccountsConfig.ready`. The login views themselves write nothing
for these events; everything that logs a user in or out goes through Django's signals, and django-axes
says when an ID is locked.

Account changes (users, departments, businesses) and role changes are logged from the models' own
signals, as are changes to the equipment register (:class:`Terminal`, action ``terminal_change``),
so a change is logged whether it comes from the system administrator's pages, a ``kokin``
command or a shell: by the actor of the request being served (:data:`kokin.audit.actor.current_actor`),
else by whoever runs the command. The entry names what changed, old and new value, never a password hash.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from axes.signals import handle_user_login_failed, user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest

from kokin.accounts.actors import actor_of, user_actor
from kokin.accounts.models import Business, Department, RoleAssignment, Terminal, User
from kokin.audit.actor import Actor, current_actor
from kokin.audit.services import record

# --- logins ------------------------------------------------------------------------------------


def _actor(request: HttpRequest | None, user: User) -> Actor:
    return actor_of(request, user) if request is not None else user_actor(user)


def _tried(request: HttpRequest | None, name: str) -> Actor:
    """Who tried to log in as ``name`` and did not get in."""
    return actor_of(request, name=name) if request is not None else Actor(name=name)


def logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record(
        action="login",
        actor=_actor(request, user),
        object=f"user:{user.get_username()}",
        detail={"step": "password"},  # the second factor follows (action second_factor)
    )


def logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:  # the session had no user (already expired)
        return
    record(action="logout", actor=_actor(request, user), object=f"user:{user.get_username()}")


def login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    tried = str(credentials.get("username") or "")[:150]
    detail: dict[str, Any] = {}
    # this runs before django-axes counts the failure: locked now means locked before this attempt,
    # which was refused without looking at the password
    if request is not None and AxesProxyHandler.is_locked(request, credentials):
        detail["reason"] = "locked_out"
    record(
        action="login_failed",
        actor=_tried(request, tried),
        object=f"user:{tried}",
        outcome="denied" if detail else "failure",
        detail=detail,
    )


def locked_out(sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any) -> None:
    """The failure that reaches the limit locks the ID; later refused attempts are ``login_failed``.

    django-axes sends this signal again on every failure while the ID is locked (each one extends
    the lock); only the first, the one whose failure count equals the limit, is the lockout.
    """
    failures = getattr(request, "axes_failures_since_start", None)
    credentials = getattr(request, "axes_credentials", None) or {"username": username}
    limit = get_failure_limit(request, credentials) if request is not None else None
    if failures is None or (limit is not None and failures != limit):
        return
    tried = str(username or "")[:150]
    detail: dict[str, Any] = {"failures": failures}
    if isinstance(settings.AXES_COOLOFF_TIME, timedelta):
        detail["minutes"] = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    record(action="lockout", actor=_tried(request, tried), object=f"user:{tried}", outcome="denied", detail=detail)


# --- account and role changes ------------------------------------------------------------------

#: fields whose changes are not account changes (written at every login)
QUIET = {"last_login", "current_session_key"}
#: fields logged as "changed" without their values
SECRET = {"password"}
CHANGED = "(変更 / changed)"


def _label(instance: Model) -> str:
    if isinstance(instance, User):
        return f"user:{instance.username}"
    if isinstance(instance, Department):
        return f"department:{instance.code}"
    if isinstance(instance, Business):
        return f"business:{instance.code}"
    if isinstance(instance, RoleAssignment):
        return f"user:{_show(instance, 'user', instance.user_id)}"
    if isinstance(instance, Terminal):
        return f"terminal:{instance.pk}"
    return f"{instance._meta.label_lower}:{instance.pk}"


def _action(instance: Model) -> str:
    if isinstance(instance, RoleAssignment):
        return "role_change"
    if isinstance(instance, Terminal):
        return "terminal_change"
    return "account_change"


def _name_of(row: Model) -> str:
    return str(getattr(row, "username", None) or getattr(row, "code", None) or row.pk)


def _show(instance: Model, name: str, value: Any) -> Any:
    """A value as the log shows it: related rows by their username or code, not their id."""
    field = instance._meta.get_field(name)
    if value is None or not field.is_relation:
        return value if isinstance(value, str | int | float | bool) or value is None else str(value)
    cached = field.get_cached_value(instance, default=None)  # type: ignore[union-attr]
    if cached is not None and cached.pk == value:
        return _name_of(cached)
    related = field.related_model
    if related is User or related is Department or related is Business:
        row = related._default_manager.filter(pk=value).first()
        return _name_of(row) if row is not None else f"#{value}"
    return value


def _attnames(instance: Model) -> dict[str, str]:
    """Field name → column attribute (``department`` → ``department_id``) of the fields logged."""
    return {f.name: f.attname for f in instance._meta.concrete_fields if not f.primary_key and f.name not in QUIET}


def _values(instance: Model, attnames: dict[str, str]) -> dict[str, Any]:
    return {name: getattr(instance, attname) for name, attname in attnames.items()}


def _who() -> Actor:
    """Who made the change: the actor of the request being served, else whoever runs the command."""
    return current_actor.get() or Actor.command()


def before_save(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    """Keep the row as it is in the database, to log what the save changes."""
    instance._kokin_audit_before = None  # type: ignore[attr-defined]
    update_fields = kwargs.get("update_fields")
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= QUIET:
        return
    attnames = _attnames(instance)
    if update_fields is not None:  # only these are written; the others may be stale in memory
        attnames = {n: a for n, a in attnames.items() if {n, a} & set(update_fields)}
    row = sender._default_manager.filter(pk=instance.pk).values(*attnames.values()).first()
    if row is not None:
        instance._kokin_audit_before = {n: row[a] for n, a in attnames.items()}  # type: ignore[attr-defined]


def after_save(sender: type[Model], instance: Model, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    attnames = _attnames(instance)
    action = _action(instance)
    detail: dict[str, Any] = {"model": instance._meta.model_name}
    if created:
        new = _values(instance, attnames)
        detail["op"] = "add" if action == "role_change" else "create"
        detail["fields"] = {n: (CHANGED if n in SECRET else _show(instance, n, v)) for n, v in new.items()}
    else:
        before = getattr(instance, "_kokin_audit_before", None)
        if before is None:
            return
        new = _values(instance, {n: attnames[n] for n in before})
        changes = {
            n: (CHANGED if n in SECRET else [_show(instance, n, before[n]), _show(instance, n, new[n])])
            for n in before
            if before[n] != new[n]
        }
        if not changes:
            return
        detail["op"] = "update"
        detail["changes"] = changes
    if isinstance(instance, RoleAssignment):
        detail["business"] = _show(instance, "business", instance.business_id)
        detail["role"] = instance.role
    record(action=action, actor=_who(), object=_label(instance), detail=detail)


def before_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    detail: dict[str, Any] = {"model": instance._meta.model_name}
    if isinstance(instance, RoleAssignment):
        detail.update(op="remove", business=_show(instance, "business", instance.business_id), role=instance.role)
    else:
        detail["op"] = "delete"
    instance._kokin_audit_deleted = (_label(instance), detail)  # type: ignore[attr-defined]


def after_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    label, detail = getattr(instance, "_kokin_audit_deleted", (_label(instance), {"op": "delete"}))
    record(action=_action(instance), actor=_who(), object=label, detail=detail)


def connect() -> None:
    # the failure is logged before the lockout it may cause: our receiver goes ahead of django-axes'
    reconnect_axes = user_login_failed.disconnect(handle_user_login_failed)
    user_login_failed.connect(login_failed, dispatch_uid="kokin.accounts.login_failed")
    if reconnect_axes:
        user_login_failed.connect(handle_user_login_failed)
    user_logged_in.connect(logged_in, dispatch_uid="kokin.accounts.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="kokin.accounts.logged_out")
    user_locked_out.connect(locked_out, dispatch_uid="kokin.accounts.locked_out")
    for model in (User, Department, Business, RoleAssignment, Terminal):
        uid = f"kokin.accounts.{model._meta.model_name}"
        pre_save.connect(before_save, sender=model, dispatch_uid=f"{uid}.pre_save")
        post_save.connect(after_save, sender=model, dispatch_uid=f"{uid}.post_save")
        pre_delete.connect(before_delete, sender=model, dispatch_uid=f"{uid}.pre_delete")
        post_delete.connect(after_delete, sender=model, dispatch_uid=f"{uid}.post_delete")
