"""Console accounts: adding users, checking passwords, who may see and change what.

Passwords are hashed with argon2id (argon2-cffi). A secretary or member given plans
sees only those plans; given none, all of them (a one-partnership install). A member
never writes.
"""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.web.models import User

ROLES = ("admin", "secretary", "member")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone's")


class AccountError(ValueError):
    """The account cannot be made as asked: the message says why."""


def login_email(email: str) -> str:
    """The account's login as stored (lower case); refused at once if it is not an
    address, so the command line can say so before asking for a password twice."""
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AccountError(f"not an email address: {email!r}")
    return email


def add_user(session: Session, email: str, name: str, role: str, password: str | None,
             plans: list[str] | None = None) -> User:
    email = login_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise AccountError(f"there is already a user {email}")
    user = User(email=email, name=name.strip() or email, role=role, plans=list(plans or []),
                password_hash=hash_password(password) if password else None, created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the email and password match an enabled account; otherwise None."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or user.password_hash is None or user.disabled_at is not None:
        _verify(_DUMMY, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def sees(user: User, plan_key: str) -> bool:
    return user.role == "admin" or not user.plans or plan_key in user.plans


def may_write(user: User, plan_key: str | None = None) -> bool:
    """Admins everywhere; secretaries on their plans; members never."""
    if user.role == "admin":
        return True
    return user.role == "secretary" and (plan_key is None or sees(user, plan_key))


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "plans": list(user.plans),
            "created_at": user.created_at.isoformat(), "disabled": user.disabled_at is not None}
