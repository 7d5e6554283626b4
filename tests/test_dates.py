"""Due dates and RAG ratings as people write them (PRODUCT.md, Import)."""

from __future__ import annotations

import datetime as dt

import pytest

from planwarden.plan.dates import implausible_year, parse_due, parse_rag, rag_colour

D = dt.date


@pytest.mark.parametrize(("text", "due", "kind"), [
    ("13 July 2023", D(2023, 7, 13), "date"),
    ("1st December 2022", D(2022, 12, 1), "date"),
    ("End 2012", D(2012, 12, 31), "year"),
    ("end of 2012", D(2012, 12, 31), "year"),
    ("April 2013", D(2013, 4, 30), "month"),
    ("Feb 2024", D(2024, 2, 29), "month"),
    ("July 2013", D(2013, 7, 31), "month"),
    ("New process to be launched on 9 January 2023", D(2023, 1, 9), "date"),
    ("10/02/13", D(2013, 2, 10), "date"),
    ("10/02/2013", D(2013, 2, 10), "date"),
    ("2023-03-31", D(2023, 3, 31), "date"),
    ("by end of March 2023", D(2023, 3, 31), "month"),
    ("w/c 5th December 2022", D(2022, 12, 5), "date"),
])
def test_dates_people_write(text: str, due: dt.date, kind: str) -> None:
    parsed = parse_due(text)
    assert (parsed.due, parsed.kind, parsed.warnings, parsed.milestones) == (due, kind, [], [])


def test_latest_date_is_due_and_earlier_ones_are_milestones() -> None:
    parsed = parse_due("First stage of the report will be available on 23 December 2022 and the full review "
                       "will be completed on 3 February 2023")
    assert parsed.due == D(2023, 2, 3)
    assert parsed.milestones == [D(2022, 12, 23)]
    assert parsed.warnings == []


@pytest.mark.parametrize(("text", "kind"), [
    ("", "empty"), ("   ", "empty"), ("N/A", "not-applicable"), ("n/a", "not-applicable"),
    ("To be determined based on the recommendations", "to-be-determined"), ("TBC", "to-be-determined"),
    ("Ongoing", "ongoing"),
])
def test_no_due_date_without_a_warning(text: str, kind: str) -> None:
    parsed = parse_due(text)
    assert (parsed.due, parsed.kind, parsed.warnings) == (None, kind, [])


def test_typo_year_keeps_the_month_end_but_warns_naming_the_year() -> None:
    parsed = parse_due("Sept 2103")
    assert parsed.due == D(2103, 9, 30)
    assert len(parsed.warnings) == 1 and "2103" in parsed.warnings[0]


def test_year_far_from_the_plan_is_flagged_only_with_a_reference() -> None:
    assert parse_due("March 2053").warnings == []
    warned = parse_due("March 2053", reference_year=2023).warnings
    assert len(warned) == 1 and "2053" in warned[0]
    assert implausible_year(2013, 2013) is None and implausible_year(1900) is not None


def test_a_date_that_does_not_exist_gives_no_due_date_and_a_warning() -> None:
    parsed = parse_due("31 February 2023")
    assert parsed.due is None and parsed.kind == "invalid"
    assert "31 February 2023" in parsed.warnings[0]


def test_update_month_in_the_timescales_column_is_not_a_due_date() -> None:
    parsed = parse_due("Update July 2013")
    assert parsed.due is None and parsed.kind == "update"
    assert "update" in parsed.warnings[0].lower()


def test_text_without_any_date_is_reported() -> None:
    parsed = parse_due("When the new system arrives")
    assert parsed.due is None and parsed.kind == "unrecognised" and parsed.warnings


@pytest.mark.parametrize(("text", "rag"), [
    ("A", "amber"), ("G", "green"), ("R", "red"), ("Amber", "amber"), ("green", "green"), (" RED ", "red"),
    ("<b>G</b>", "green"), ("Complete", "green"), ("Green/closed", "green"), ("g.", "green"),
])
def test_rag_values(text: str, rag: str) -> None:
    reading = parse_rag(text)
    assert reading.rag == rag and not reading.colour_lost and not reading.unrecognised
    assert rag_colour(text) == rag


@pytest.mark.parametrize("text", ["•", "• •", "●"])
def test_bullet_without_colour_is_unknown_and_says_so(text: str) -> None:
    reading = parse_rag(text)
    assert reading.rag is None and reading.colour_lost


def test_empty_and_unreadable_rag() -> None:
    assert parse_rag("") == parse_rag("  ") and parse_rag("").rag is None and not parse_rag("").colour_lost
    odd = parse_rag("Amber/Green")
    assert odd.rag is None and odd.unrecognised
