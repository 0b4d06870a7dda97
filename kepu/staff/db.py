"""What the staff tables share: tables created on first use, database failures as StaffError in Chinese,
the audit entry, and the time stamps (UTC, stored without a zone; the pages say UTC)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from kepu.errors import StaffError
from kepu.staff.models import AuditEntry, StaffBase

T = TypeVar("T")


def database(method: Callable[..., T]) -> Callable[..., T]:
    """Creates the tables on first use, and turns a database failure into a StaffError in Chinese."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            if not self._ready:
                StaffBase.metadata.create_all(self._engine)
                self._ready = True
            return method(self, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise StaffError(f"账号数据库暂时无法访问：{str(exc).splitlines()[0][:200]}") from exc

    return wrapper


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def audit_entry(actor: str, action: str, target: str = "", detail: str = "") -> AuditEntry:
    return AuditEntry(at=utcnow(), actor=actor, action=action, target=target, detail=detail)
