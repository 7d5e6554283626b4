"""The secretary maps an owner text the directory does not know to directory people:
the actions get those owners now, the history says so, and re-imports keep them."""

from __future__ import annotations

from pathlib import Path

import pytest

from planwarden.core.config import load_config
from planwarden.core.db import session_scope
from planwarden.importing import import_file
from planwarden.importing.people import unresolved
from planwarden.plan.corrections import edit, history
from planwarden.plan.directory import Directory
from planwarden.plan.owners import MappingError, map_owner_text

ROWS = ["Ref,Action,Action Owner,Due by,RAG",
        "1.1,Write the guidance,Head of Early Help,31 March 2023,A",
        "1.2,Train staff,Head of Early Help and Rachel Hughes,30 April 2023,G",
        "1.3,Audit files,Rachel Hughes,31 May 2023,R"]


def _owners(s: object, ref: str) -> list[str]:
    return [o["name"] for o in history(s, "jtai", ref)["owners"]]  # type: ignore[arg-type]


def test_mapped_owner_text_resolves_now_and_on_every_reimport(jtai_env: str, tmp_path: Path, clock: object) -> None:
    config = load_config()
    directory = Directory(config.directory)
    plan = tmp_path / "plan.csv"
    plan.write_text("\n".join(ROWS) + "\n")
    with session_scope(config.database_url) as s:
        first = import_file(s, config, plan, "jtai")
        assert [u["ref"] for u in unresolved(s, "jtai", directory)] == ["1.1", "1.2"]
        assert _owners(s, "1.1") == [] and _owners(s, "1.2") == ["Rachel Hughes"]
    with session_scope(config.database_url) as s:
        done = map_owner_text(s, directory, "jtai", "head of early help", ["karen.doyle", "david.thornley"],
                              actor="Rachel Hughes <rachel@example.org>")
    assert done["actions"] == ["1.1", "1.2"] and done["owner_text"] == "head of early help"
    with session_scope(config.database_url) as s:
        names = [directory.person(i).name for i in ("karen.doyle", "david.thornley")]  # type: ignore[union-attr]
        assert _owners(s, "1.1") == names and _owners(s, "1.2") == [*names, "Rachel Hughes"]
        change = [c for c in history(s, "jtai", "1.1")["changes"] if c["field"] == "owners"]
        assert change and change[0]["actor"].startswith("Rachel Hughes") and change[0]["source"] == "manual"
        assert unresolved(s, "jtai", directory) == []
    with session_scope(config.database_url) as s:
        again = import_file(s, config, plan, "jtai")
        assert again.created == 0 and again.updated == 0 and first.created == 3  # the mapping holds on re-import
        assert _owners(s, "1.1") == names
        edit(s, directory, "jtai", "1.3", {"owner_text": "Head of Early Help"}, actor="x", reason="new lead")
        assert _owners(s, "1.3") == names  # a correction to the same text resolves too


@pytest.mark.parametrize("text, people, message", [
    ("", ["karen.doyle"], "name the owner text"),
    ("Head of Early Help", [], "choose at least one person"),
    ("Head of Early Help", ["nobody.here"], "not in the directory: nobody.here"),
])
def test_a_mapping_needs_a_text_and_directory_people(jtai_env: str, text: str, people: list[str],
                                                     message: str) -> None:
    config = load_config()
    with session_scope(config.database_url) as s, pytest.raises(MappingError, match=message):
        map_owner_text(s, Directory(config.directory), "jtai", text, people, actor="x")
