"""`planwarden ingest`, `collect` and `quarantine` as a user and a script see them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planwarden.cli import main
from replies_support import DATA, Env, eml, make_env


@pytest.fixture
def env(jtai_env: str, clock: object) -> Env:
    return make_env()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ingest_json_shape_one_result_per_file_in_order(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(DATA / n) for n in ("digest_two.eml", "stranger.eml", "auto_submitted.eml", "digest_two.eml")]
    code, out, _ = run(capsys, "ingest", *files, "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["outcome"] for d in data] == ["applied", "quarantined", "ignored", "ignored"]
    assert all(set(d) == {"message_id", "outcome", "reason", "updates"} for d in data)
    assert data[0]["message_id"] == "<AM0PR03MB6226DIGEST01@AM0PR03MB6226.eurprd03.prod.outlook.com>"
    assert data[0]["updates"][0] == {"ref": "2.1c", "rag": "amber", "requested_due": "2023-03-31",
                                     "text": "Training dates agreed with the college; first session on 10 "
                                             "January. Staff release is the risk.\nNew date: 31 March 2023"}
    assert data[1]["updates"] == [] and data[3]["reason"].startswith("duplicate")


def test_ingest_missing_file_is_a_clear_error_and_nothing_ingested(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ingest", str(DATA / "gmail.eml"), "nope.eml")
    assert code == 2 and "nope.eml: no such file" in err
    assert env.updates("4.2b") == []


def test_quarantine_list_apply_discard(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "ingest", str(DATA / "stranger.eml"), str(DATA / "dmarc_fail.eml"), "--json")
    code, out, _ = run(capsys, "quarantine", "--json")
    waiting = json.loads(out)
    assert code == 0 and [w["reason"].split(" ")[0] for w in waiting] == ["sender", "sender"]
    assert waiting[0]["text"] == "2.1c GREEN – all training delivered." and waiting[0]["refs"] == ["2.1c"]
    code, out, _ = run(capsys, "quarantine", "apply", str(waiting[0]["id"]), "--ref", "2.1c", "--by", "Rachel", "--json")
    assert code == 0 and json.loads(out)["updates"][0]["rag"] == "green"
    assert env.action("2.1c").rag == "green"
    [u] = env.updates("2.1c")
    assert "from quarantine by Rachel" in u.decision and u.author == "claire.littlewood.private@gmail.com"
    assert env.outbox("confirmation") == []  # never answer a stranger
    code, _, err = run(capsys, "quarantine", "apply", str(waiting[0]["id"]), "--ref", "2.1c")
    assert code == 2 and "already decided" in err
    code, out, _ = run(capsys, "quarantine", "discard", str(waiting[1]["id"]), "--reason", "spoofed", "--json")
    assert code == 0 and json.loads(out)["resolution"] == "discarded: spoofed"
    code, out, _ = run(capsys, "quarantine")
    assert code == 0 and "Nothing in quarantine." in out
    assert env.action("1.1a").rag == "amber"


def test_quarantine_apply_with_rag_override_and_unknown_ref(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", str(DATA / "dmarc_fail.eml"))
    waiting = json.loads(run(capsys, "quarantine", "--json")[1])
    code, _, err = run(capsys, "quarantine", "apply", str(waiting[0]["id"]), "--ref", "9.9z")
    assert code == 2 and "no action 9.9z" in err
    code, out, _ = run(capsys, "quarantine", "apply", str(waiting[0]["id"]), "--ref", "1.1a", "--rag", "amber", "--json")
    assert json.loads(out)["updates"][0]["rag"] == "amber"
    assert len(env.outbox("confirmation")) == 1  # Claire is in the directory


def test_collect_reads_the_configured_inbox(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    inbox = env.config.mail_dir("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "a.eml").write_bytes(eml("gmail.eml"))
    code, out, _ = run(capsys, "collect", "--json")
    assert code == 0 and [d["outcome"] for d in json.loads(out)] == ["applied"]
    assert (inbox / "processed" / "a.eml").exists()
    code, out, _ = run(capsys, "collect")
    assert code == 0 and "No messages." in out
