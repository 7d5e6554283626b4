"""Reading the two seed documents as a careful person would."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from functools import cache

import pytest
from seeds import BUNDLED, SEED_000, SEED_003, SHARED, seed_text

from planwarden.importing.parsed import ParsedAction, ParsedPlan
from planwarden.importing.seedtext import parse_seed_text

D = dt.date


@cache
def _parse(name: str) -> ParsedPlan:
    return parse_seed_text(seed_text(name))


@pytest.fixture
def plan000() -> ParsedPlan:
    return _parse(SEED_000)


@pytest.fixture
def plan003() -> ParsedPlan:
    return _parse(SEED_003)


def _by_ref(plan: ParsedPlan) -> dict[str, ParsedAction]:
    return {a.ref: a for a in plan.actions}


def _all_texts(plan: ParsedPlan) -> list[str]:
    texts = [t for a in plan.actions for t in (a.text, a.owner_text, a.due_text, a.progress)]
    for s in plan.sections:
        texts += [s.title, s.description]
        texts += [t for a in s.areas for t in (a.title, a.priority_action, a.what_needs_to_improve,
                                               a.what_inspectors_found)]
    return texts


def test_bundled_seeds_match_the_shared_originals() -> None:
    for name in (SEED_000, SEED_003):
        if (SHARED / name).exists():
            assert (BUNDLED / name).read_bytes() == (SHARED / name).read_bytes()


# --------------------------------------------------------------------------- seed 000

LETTERS = {"1.1": 6, "1.2": 6, "2.1": 5, "2.2": 2, "2.3": 5, "3.1": 6, "3.2": 3, "3.3": 1, "3.4": 1, "4.1": 5,
           "4.2": 2, "4.3": 2, "4.4": 2, "5.1": 6, "5.2": 3, "5.3": 5, "5.4": 7, "6.1": 5, "6.2": 4, "6.3": 1}
REFS_000 = [f"{area}{chr(ord('a') + i)}" for area, n in LETTERS.items() for i in range(n)]


def test_000_has_all_77_actions_in_document_order(plan000: ParsedPlan) -> None:
    assert len(REFS_000) == 77
    assert [a.ref for a in plan000.actions] == REFS_000


def test_000_reads_without_doubts(plan000: ParsedPlan) -> None:
    assert plan000.warnings == []


def test_000_title_and_update_date(plan000: ParsedPlan) -> None:
    assert plan000.title.startswith("Action Plan to address the findings from the Joint Targeted Area Inspection")
    assert plan000.update_date == D(2022, 12, 14)


def test_000_first_action(plan000: ParsedPlan) -> None:
    a = _by_ref(plan000)["1.1a"]
    assert a.owner_text == "LSCP Executive"
    assert (a.due, a.due_text, a.rag) == (D(2023, 7, 13), "13 July 2023", "amber")
    assert a.text.startswith("Embed a culture across the partnership")
    assert a.progress.startswith("Since the inspection")
    assert "\n\nWorking together with children and young people" in a.progress
    assert (a.section, a.area, a.line) == ("1", "1.1", 145)


def test_000_due_date_split_over_a_page_break_gives_a_milestone(plan000: ParsedPlan) -> None:
    a = _by_ref(plan000)["6.1c"]
    assert a.due_text == ("First stage of the report will be available on 23 December 2022 and the full review "
                          "will be completed on 3 February 2023")
    assert (a.due, a.milestones) == (D(2023, 2, 3), [D(2022, 12, 23)])
    assert a.text.endswith("recommendations on developments to enable the partnership to improve its "
                           "effectiveness and impact for children and young people.")


def test_000_due_dates_in_words(plan000: ParsedPlan) -> None:
    refs = _by_ref(plan000)
    assert refs["1.2b"].due is None
    assert refs["1.2b"].due_text == "To be determined based on the recommendations"
    assert refs["4.1b"].due == D(2023, 1, 9)
    assert sum(a.due is None for a in plan000.actions) == 1


def test_000_progress_merged_across_page_breaks(plan000: ParsedPlan) -> None:
    refs = _by_ref(plan000)
    assert "Alert flags have been added to the electronic patient system" in refs["2.2a"].progress
    assert refs["2.2a"].progress.endswith("considered as part of the medical consultation.")
    assert "As of 28 November, 77% screening tools were reviewed within 24 hours." in refs["3.1a"].progress
    assert "The services will also complete their annual Children Act Section 11" in refs["1.1e"].progress
    assert "in January and to the LSCP Executive in February" in refs["5.1d"].progress
    assert refs["2.3c"].progress.endswith("\n\nThe new documentation was implemented on 21 November 2022.")


def test_000_action_text_merged_across_page_breaks(plan000: ParsedPlan) -> None:
    refs = _by_ref(plan000)
    assert refs["1.1e"].text.endswith("the importance of understanding the impact of exploitation on children "
                                      "and young people.")
    assert "support the LSCP to have an improved understanding of the lived experience" in refs["1.2a"].text
    assert refs["3.1e"].text.endswith("These dip samples will include a focus on child exploitation.")
    assert refs["4.1d"].text.endswith("and that education needs to be considered within contingency planning.")


def test_000_owner_merged_across_a_page_break(plan000: ParsedPlan) -> None:
    assert _by_ref(plan000)["3.2c"].owner_text == (
        "Head of Service for Child in Need and Child Protection, and Head of Service for Cared for Children and "
        "Care Leavers, Cheshire East Council")
    assert _by_ref(plan000)["5.4g"].owner_text == (
        "Inspector Adams, Detective Chief Inspector Littlewood, and Detective Chief Inspector Whittaker")


def test_000_rag_counts(plan000: ParsedPlan) -> None:
    assert Counter(a.rag for a in plan000.actions) == {"green": 35, "amber": 42}
    assert _by_ref(plan000)["3.4a"].rag == "amber"  # under the "RA G" header typo


def test_000_last_action_after_the_split_header(plan000: ParsedPlan) -> None:
    a = plan000.actions[-1]
    assert a.ref == "6.3a" and a.line == 417
    assert a.owner_text == "Chair of the Contextual Safeguarding Steering Group"
    assert (a.due, a.rag) == (D(2023, 2, 16), "amber")
    assert a.text.startswith("The Contextual Safeguarding Steering Group will produce")
    assert "What we will do" not in a.text and "What we've done" not in _by_ref(plan000)["6.2d"].progress


def test_000_html_becomes_plain_text(plan000: ParsedPlan) -> None:
    a = _by_ref(plan000)["2.2b"]
    assert a.text.startswith("Monitor and evaluate the impact on practice through the partnership JTAI groups, "
                             "including:\n\n- that ED records, CP-IS and safeguarding referrals")
    assert "•" not in a.text
    assert "\n- Cared for Service – 70% (of 30 strategy discussions in September and October)." in \
        _by_ref(plan000)["3.2c"].progress
    assert "in line with Working Together 2018." in _by_ref(plan000)["3.1a"].text
    for text in _all_texts(plan000):
        assert not re.search(r"</?[a-z]+[ >]", text), text
        assert "•" not in text and "&amp;" not in text


def test_000_no_page_marks_or_separators_anywhere(plan000: ParsedPlan) -> None:
    for text in _all_texts(plan000):
        assert "OFFICIAL" not in text and "---" not in text


def test_000_sections_and_areas(plan000: ParsedPlan) -> None:
    assert [(s.number, s.title) for s in plan000.sections] == [
        ("1", "Children and young people's voices and lived experiences"),
        ("2", "Identifying needs and information sharing"),
        ("3", "Swift support for children and young people at risk"),
        ("4", "Protecting children and young people at risk"),
        ("5", "Supporting good practice"),
        ("6", "Strategic Leadership")]
    assert [a.number for s in plan000.sections for a in s.areas] == list(LETTERS)
    for action in plan000.actions:
        assert (action.section, action.area) == (action.ref[0], action.ref[:3])


def test_000_area_texts_in_all_their_forms(plan000: ParsedPlan) -> None:
    areas = {a.number: a for s in plan000.sections for a in s.areas}
    assert areas["1.1"].what_needs_to_improve == ("The consistent recording and analysis of children's voices "
                                                  "across all agencies' records.")
    assert areas["1.1"].what_inspectors_found.endswith("*Please note actions relating to improving practice within "
                                                       "East Cheshire Trust are included in section 2.3")
    assert areas["2.2"].priority_action.startswith("Health leaders should ensure")  # **Priority Action** form
    assert areas["3.2"].what_needs_to_improve.startswith("The quality and effectiveness of multi-agency")  # ###
    assert areas["4.2"].what_inspectors_found.startswith("The quality of social work assessments")
    assert areas["4.3"].title == "Review of multiple plans"  # heading written as a table row
    assert areas["4.3"].what_needs_to_improve.startswith("Systematic review of the efficacy")
    assert areas["5.4"].what_inspectors_found.endswith("not being shared promptly enough, due to policing capacity.")
    assert areas["6.2"].priority_action.count("\n\n") == 1
    assert areas["6.3"].what_needs_to_improve.startswith("Systematic reporting, recording and analysis")


def test_000_contents_and_introduction_are_not_read(plan000: ParsedPlan) -> None:
    joined = "\n".join(_all_texts(plan000))
    assert "Attention deficit hyperactivity disorder" not in joined  # glossary
    assert "Sole focus on scrutiny" not in joined  # governance key


# --------------------------------------------------------------------------- seed 003

REFS_003 = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "3.1", "3.2", "3.3", "3.4",
            "4.1", "4.2", "4.3", "4.6", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "6.1"]
WRITTEN_003 = [r for r in REFS_003 if r not in ("1.4", "3.1", "4.1")]


def _warnings(plan: ParsedPlan, field: str | None = None, ref: str | None = None) -> list[str]:
    return [w.message for w in plan.warnings
            if (field is None or w.field == field) and (ref is None or w.ref == ref)]


def test_003_every_numbered_action_in_document_order(plan003: ParsedPlan) -> None:
    refs = [a.ref for a in plan003.actions]
    assert refs == REFS_003
    assert [r for r in refs if r in WRITTEN_003] == WRITTEN_003


def test_003_garbled_and_missing_refs_are_read_from_their_place_and_reported(plan003: ParsedPlan) -> None:
    refs = _by_ref(plan003)
    assert refs["1.4"].line == 27 and refs["1.4"].text.startswith("All directors of children's services")
    assert refs["3.1"].line == 65 and refs["3.1"].text.startswith(
        "The Pan Cheshire Strategic Group will ensure the development of multi-agency training regarding CSE")
    assert refs["4.1"].line == 99 and refs["4.1"].text.startswith("Develop a Pan Che Communication Str")
    for ref, shown in (("1.4", "'ļ'"), ("3.1", "'1'"), ("4.1", "no ref")):
        (message,) = _warnings(plan003, "ref", ref)
        assert shown in message and f"read as {ref}" in message


def test_003_typo_year_flagged_on_every_sept_2103(plan003: ParsedPlan) -> None:
    refs = _by_ref(plan003)
    for ref in ("5.1", "5.3", "5.4", "5.5", "5.6"):
        assert refs[ref].due_text == "Sept 2103"
        assert refs[ref].due == D(2103, 9, 30)
        assert any("2103" in m for m in _warnings(plan003, "due", ref)), ref


def test_003_timescales(plan003: ParsedPlan) -> None:
    refs = _by_ref(plan003)
    assert refs["1.1"].due == D(2012, 12, 31) and refs["2.1"].due == D(2012, 12, 31)
    assert refs["1.2"].due == D(2013, 4, 30) and refs["1.5"].due == D(2013, 4, 30)
    assert refs["6.1"].due == D(2013, 7, 31)
    assert refs["2.2"].due is None and refs["2.2"].due_text == "N/A" and not _warnings(plan003, "due", "2.2")
    for ref in ("3.2", "3.3", "3.4", "4.3", "4.6"):
        assert refs[ref].due_text == "Update July 2013" and refs[ref].due is None
        assert _warnings(plan003, "due", ref)


def test_003_rag_bullets_are_unknown_and_reported(plan003: ParsedPlan) -> None:
    assert all(a.rag is None for a in plan003.actions)
    lost = {w.ref for w in plan003.warnings if w.field == "rag" and "colour lost" in w.message}
    assert {"1.1", "1.3", "1.6", "3.3", "4.1", "5.1", "5.2", "5.5", "6.1"} <= lost


def test_003_anticipated_outcomes_kept_in_the_action_text(plan003: ParsedPlan) -> None:
    a = _by_ref(plan003)["1.2"]
    assert a.text.startswith("The Pan Cheshire Strategic Group will look to identify")
    assert "\n\nAnticipated outcomes: To scope and assess provision of support services." in a.text
    assert a.owner_text == "Pan Cheshire and Sub Groups"


def test_003_continuations_and_short_rows(plan003: ParsedPlan) -> None:
    refs = _by_ref(plan003)
    assert refs["2.2"].progress.endswith("Unless further information comes to light to suggest a review of this "
                                         "decision, this action will be shown as Green/closed.")
    assert refs["2.2"].text.endswith("OCC Interim Report Recommendation 2\n\nAnticipated outcomes: Agencies have a "
                                     "tool to assess their capability.")
    assert refs["1.6"].owner_text == "DCI Wenham"
    assert refs["3.4"].progress.endswith("but we need to develop this much further and wider.")
    assert "including; Membership Agreed priorities and work plan." in refs["6.1"].text
    assert "nominated deputies" in refs["6.1"].progress and refs["6.1"].owner_text == "LSCB's"
    assert refs["4.6"].progress.endswith("(Updated PCSG 10/02/13)\n\nUpdate 15/05/2013 - DCI Wenham - to be included "
                                         "in communication action plan, and developed through the next meeting.")


def test_003_sub_rows_of_4_2_are_joined_and_their_repeats_said_once(plan003: ParsedPlan) -> None:
    a = _by_ref(plan003)["4.2"]
    assert "teaching young people about sexual consent" in a.text
    assert "through the ThinkUKnow programme" in a.text
    assert a.progress.count("Group was unanimous in the view") == 1
    assert a.owner_text == "Nigel Wenham"
    assert _warnings(plan003, "progress", "4.2")


def test_003_unlabelled_rows_are_reported_with_their_line(plan003: ParsedPlan) -> None:
    doubtful = {28, 29, 30, 31, 32, 33, 55, 56, 90, 91, 92, 101, *range(104, 111), *range(112, 142), 143,
                148, 149, 163, 180, 181, 182}
    row_warnings = {w.line: w for w in plan003.warnings if w.field == "row"}
    assert doubtful <= set(row_warnings)
    for line in doubtful:
        assert f"line {line}: row without a ref joined to {row_warnings[line].ref} (" in row_warnings[line].message
        assert "starting '" in row_warnings[line].message


def test_003_rows_above_an_empty_ref_row_are_reported(plan003: ParsedPlan) -> None:
    (warning,) = [w for w in plan003.warnings if w.line == 19]
    assert warning.ref == "1.2" and "may belong to 1.3" in warning.message
    assert "Ensure witness intimidation" in _by_ref(plan003)["1.2"].text


def test_003_nothing_is_dropped_silently(plan003: ParsedPlan) -> None:
    """Every table row is an action's row, or its cells are in an action, or it is reported."""
    lines = seed_text(SEED_003).split("\n")
    joined = " ".join(" ".join(_all_texts(plan003)).split())
    reported = {w.line for w in plan003.warnings}
    starts = {a.line for a in plan003.actions}
    for number, line in enumerate(lines[15:183], start=16):
        cells = [" ".join(c.split()) for c in line.split("\t") if c.strip()]
        if "\t" not in line or not cells or number in reported or number in starts or cells[0] == "Action":
            continue
        for cell in cells:
            assert cell in joined or cell == "•", (number, cell)  # a bullet is a RAG: reported as colour lost


def test_003_sections_without_areas(plan003: ParsedPlan) -> None:
    assert [(s.number, s.title) for s in plan003.sections] == [
        ("1", "Multi Agency Partnerships"), ("2", "LSCB Strategy"), ("3", "Training of Frontline Staff"),
        ("4", "Awareness (These actions to be taken forward supported by a Task and Finish Group)"),
        ("5", "Data Collection"), ("6", "Strategic Pan Cheshire CSE Meeting")]
    assert all(not s.areas for s in plan003.sections)
    assert plan003.sections[0].description.startswith("The LSCB must be informed of the partnership arrangements")
    assert plan003.sections[5].description == ("The LSCB must ensure that the current Strategic Partnership is "
                                               "supported by partner organisations and is genuinely multi-agency "
                                               "in contribution.")
    for action in plan003.actions:
        assert (action.section, action.area) == (action.ref.split(".")[0], None)


def test_003_noise_is_left_out_and_reported(plan003: ParsedPlan) -> None:
    joined = "\n".join(_all_texts(plan003))
    assert "Тосом" not in joined and "ļ" not in joined
    assert "V02" not in joined and "DI Tasker" not in joined  # version control table
    assert any("Тосом" in w.message for w in plan003.warnings)
    assert plan003.title == "Pan Cheshire Child Sexual Exploitation Local Safeguarding Children Board Action Plan"
    assert plan003.update_date is None


def test_003_progress_that_starts_mid_sentence_is_reported(plan003: ParsedPlan) -> None:
    (message,) = _warnings(plan003, "progress", "3.2")
    assert "mid-sentence" in message and "3.1" in message


# --------------------------------------------------------------------------- small documents


HEADER = "Ref\tAction\tAction Owner\tDue by\tRAG\tProgress"


def test_no_action_table_gives_no_actions_and_a_warning() -> None:
    plan = parse_seed_text("# Minutes\n\nNothing was agreed.\n")
    assert plan.actions == [] and [w.field for w in plan.warnings] == ["table"]


def test_duplicate_ref_keeps_the_first_and_reports_the_second() -> None:
    text = "\n".join(["## 1. Voices", "### 1.1 Practice", HEADER,
                      "1.1a\tFirst\tOwner A\t1 May 2023\tA\tDone.",
                      "1.1a\tSecond\tOwner B\t1 June 2023\tG\tOther.",
                      "\tmore of second\t\t\t\t"])
    plan = parse_seed_text(text)
    assert [(a.ref, a.text) for a in plan.actions] == [("1.1a", "First")]
    (warning,) = plan.warnings
    assert warning.field == "ref" and warning.line == 5 and "line 3" not in warning.message


def test_row_before_any_action_is_reported_not_lost() -> None:
    text = "\n".join(["## 1. Voices", HEADER, "\tstray words\t\t\t\t", "1.1a\tFirst\tOwner\t1 May 2023\tA\t"])
    plan = parse_seed_text(text)
    assert [a.ref for a in plan.actions] == ["1.1a"]
    assert plan.warnings[0].field == "row" and "stray words" in plan.warnings[0].message


def test_page_break_continuation_and_page_marks() -> None:
    text = "\n".join(["## 1. Voices", HEADER, "1.1a\tThe scrutineer will support the LSCP to have an\tOwner"
                      "\t23 December 2022 and\tA\t<p>Finished.</p>", "", "OFFICIAL", "", "12", "",
                      "\timproved understanding.\t\t3 February 2023\t\t<p>Next paragraph.</p>"])
    (a,) = parse_seed_text(text).actions
    assert a.text == "The scrutineer will support the LSCP to have an improved understanding."
    assert (a.due, a.milestones) == (D(2023, 2, 3), [D(2022, 12, 23)])
    assert a.progress == "Finished.\n\nNext paragraph."
