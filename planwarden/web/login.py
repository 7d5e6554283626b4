"""The session cookie and the login page's error answer, shared by password and single sign-on logins."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from planwarden.web.security import COOKIE, new_session


def set_cookie(request: Request, response: Response, data: dict[str, Any]) -> None:
    response.set_cookie(COOKIE, request.app.state.cookies.write(data), max_age=request.app.state.cookies.max_age_s,
                        httponly=True, samesite="lax", secure=request.app.state.https, path="/")


def login_error(request: Request, data: dict[str, Any], nxt: str, message: str, status: int, *,
                email: str = "", field: str = "") -> Response:
    """The login page again with the problem; the email typed is kept (only the password is
    typed again), and ``field`` is the input the error summary links to."""
    data = data if data.get("csrf") else new_session(None)
    response = request.app.state.templates.TemplateResponse(
        request, "login.html", {"user": None, "csrf": data["csrf"], "next": nxt, "error": message,
                                "error_field": field, "email": email, "sso": request.app.state.sso},
        status_code=status)
    set_cookie(request, response, data)
    return response
