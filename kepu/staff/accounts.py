"""Staff accounts: add, disable, reset a password, check a login. Passwords are hashed with argon2id
(argon2-cffi); every change is written to the audit log with who made it."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kepu.errors import StaffError
from kepu.staff.db import audit_entry, database, utcnow
from kepu.staff.models import AuditEntry, StaffUser

ROLES = ("editor", "reviewer", "admin")
ROLE_LABELS = {"editor": "编辑", "reviewer": "审核人", "admin": "管理员"}
MIN_PASSWORD_CHARS = 10  # NIST SP 800-63B asks for at least 8; staff passwords guard published answers
MAX_PASSWORD_CHARS = 256
NAME_RE = re.compile(r"^[\w\u4e00-\u9fff.\-]{2,64}$")
CLI_ACTOR = "命令行"
TOKEN_ACTOR = "管理员令牌"

log = logging.getLogger(__name__)

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("kepu-no-such-user")


@dataclass(frozen=True)
class Staff:
    """Who is logged in: a staff account, or whoever holds the admin token (role admin)."""

    name: str
    role: str

    def can(self, *roles: str) -> bool:
        return self.role in roles


class StaffAccounts:
    def __init__(self, database_url: str) -> None:
        # nothing connects yet: a server starts while the database is down (logins then say so)
        self._engine: Engine = create_engine(database_url, future=True)
        self._ready = False

    @property
    def engine(self) -> Engine:
        return self._engine

    # --- changes (each one audited) ---------------------------------------------------------

    @database
    def add(self, name: str, role: str, password: str, actor: str = CLI_ACTOR) -> Staff:
        name = _checked_name(name)
        _check_role(role)
        _check_password(password)
        with Session(self._engine) as s, s.begin():
            if s.get(StaffUser, name) is not None:
                raise StaffError(f"账号“{name}”已存在；改密码请用 kepu staff reset {name}")
            now = utcnow()
            s.add(
                StaffUser(
                    name=name,
                    role=role,
                    password_hash=_hasher.hash(password),
                    disabled=False,
                    created_at=now,
                    updated_at=now,
                )
            )
            s.add(audit_entry(actor, "staff_add", name, f"角色：{role}"))
        return Staff(name, role)

    @database
    def disable(self, name: str, actor: str = CLI_ACTOR) -> None:
        with Session(self._engine) as s, s.begin():
            user = _existing(s, name)
            user.disabled, user.updated_at = True, utcnow()
            s.add(audit_entry(actor, "staff_disable", user.name))

    @database
    def reset(self, name: str, password: str, actor: str = CLI_ACTOR) -> None:
        """A new password; a disabled account is enabled again."""
        _check_password(password)
        with Session(self._engine) as s, s.begin():
            user = _existing(s, name)
            user.password_hash, user.disabled, user.updated_at = _hasher.hash(password), False, utcnow()
            s.add(audit_entry(actor, "staff_reset", user.name))

    def record(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        """An audit entry for something done elsewhere (a login, a logout). Best effort: a login with the
        admin token still works while the database is down (the failure is logged)."""
        try:
            self._record(actor, action, target, detail)
        except StaffError:
            log.warning("audit entry not written", extra={"actor": actor, "action": action})

    @database
    def _record(self, actor: str, action: str, target: str, detail: str) -> None:
        with Session(self._engine) as s, s.begin():
            s.add(audit_entry(actor, action, target, detail))

    # --- reads --------------------------------------------------------------------------------

    @database
    def verify(self, name: str, password: str) -> Staff | None:
        """The account when the name and password match and it is not disabled, else None."""
        with Session(self._engine) as s:
            user = s.get(StaffUser, name.strip())
            stored = user.password_hash if user is not None else _DUMMY_HASH
            try:
                _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if user is None or user.disabled:
                return None
            if _hasher.check_needs_rehash(stored):
                with s.begin():
                    user.password_hash = _hasher.hash(password)
            return Staff(user.name, user.role)

    @database
    def active(self, name: str) -> Staff | None:
        """The account as it is now (a disabled or removed one is None): checked on every request."""
        with Session(self._engine) as s:
            user = s.get(StaffUser, name)
            return Staff(user.name, user.role) if user is not None and not user.disabled else None

    @database
    def users(self) -> list[StaffUser]:
        with Session(self._engine) as s:
            return list(s.scalars(select(StaffUser).order_by(StaffUser.name)))

    @database
    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        with Session(self._engine) as s:
            return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))


def _existing(s: Session, name: str) -> StaffUser:
    user = s.get(StaffUser, name.strip())
    if user is None:
        known = (
            "、".join(u.name for u in s.scalars(select(StaffUser).order_by(StaffUser.name)))
            or "（还没有账号）"
        )
        raise StaffError(f"没有账号“{name}”；现有账号：{known}")
    return user


def _checked_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise StaffError(f"账号名“{name[:70]}”无效：应为 2—64 个汉字、字母、数字或 . _ -")
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StaffError(f"角色“{role}”无效，可选：{'、'.join(ROLES)}（编辑、审核人、管理员）")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"密码太短：{len(password)} 个字符，至少要 {MIN_PASSWORD_CHARS} 个")
    if len(password) > MAX_PASSWORD_CHARS:
        raise StaffError(f"密码太长：{len(password)} 个字符，最多 {MAX_PASSWORD_CHARS} 个")
