"""Thousands of mangled messages: none crashes ingestion; each ends applied, ignored or quarantined."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replies_support import DATA, Env, make_env

SEEDS = [p.read_bytes() for p in sorted(DATA.glob("*.eml"))]
OUTCOMES = {"applied", "ignored", "quarantined"}
HEADERS = [b"From", b"Message-ID", b"In-Reply-To", b"References", b"Subject", b"Content-Type",
           b"Content-Transfer-Encoding", b"Auto-Submitted", b"Authentication-Results", b"Return-Path", b"MIME-Version"]


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "delete", "insert", "flip", "header", "crlf", "boundary"]))
        pos = draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "cut":
            raw = raw[:pos]
        elif op == "delete":
            del raw[pos:pos + draw(st.integers(1, 200))]
        elif op == "insert":
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif op == "flip" and raw:
            raw[pos] = draw(st.integers(0, 255))
        elif op == "header":
            name = draw(st.sampled_from(HEADERS))
            value = draw(st.one_of(st.binary(max_size=80), st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass"))))
            raw[0:0] = name + b": " + value.replace(b"\n", b" ") + b"\n"
        elif op == "crlf":
            raw = bytearray(bytes(raw).replace(b"\n", b"\r\n") if draw(st.booleans()) else bytes(raw).replace(b"\r\n", b"\r"))
        elif op == "boundary":
            raw = bytearray(bytes(raw).replace(b"boundary=", b"boundary=" + draw(st.binary(max_size=4)), 1))
    return bytes(raw)


@pytest.fixture
def env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, clock: object) -> Env:
    from conftest import EXAMPLE
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    return make_env()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(raw=mangled())
def test_mangled_messages_never_crash(env: Env, raw: bytes) -> None:
    result = env.ingest(raw)
    assert result.outcome in OUTCOMES and result.reason


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(raw=st.one_of(st.binary(max_size=2000),
                     st.text(max_size=1500).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_random_bytes_never_crash(env: Env, raw: bytes) -> None:
    result = env.ingest(raw)
    assert result.outcome in OUTCOMES and result.reason
