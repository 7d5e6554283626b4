"""HTML fragments from the seeds turned into readable plain text."""

from __future__ import annotations

from planwarden.importing.htmltext import html_to_text, join_fragments


def test_paragraphs_are_separated_by_a_blank_line() -> None:
    assert html_to_text("<p>First.</p> <p>Second.</p>") == "First.\n\nSecond."


def test_bullets_become_dash_lines_without_doubled_bullets() -> None:
    fragment = ('<p>Monitor the impact, including:</p> <ul style="list-style-type: none"> '
                "<li>• that ED records are timely</li> <li>• use of screening tools.</li> </ul> <p>After.</p>")
    assert html_to_text(fragment) == ("Monitor the impact, including:\n\n- that ED records are timely\n"
                                      "- use of screening tools.\n\nAfter.")


def test_links_emphasis_and_entities_become_plain_text() -> None:
    fragment = '<p>In line with <a href="#">Working Together 2018</a> &amp; <i>local</i> <b>guidance</b>.</p>'
    assert html_to_text(fragment) == "In line with Working Together 2018 & local guidance."


def test_text_without_markup_only_has_spaces_tidied() -> None:
    assert html_to_text("Twenty one  of 25 had the template.  Of the rest") == \
        "Twenty one of 25 had the template. Of the rest"
    assert html_to_text("") == "" and html_to_text("   ") == ""
    assert html_to_text("Ben &amp; Jerry") == "Ben & Jerry"


def test_text_after_a_closed_paragraph_is_a_new_paragraph() -> None:
    assert html_to_text("<p>The new documentation.</p> It was implemented.") == \
        "The new documentation.\n\nIt was implemented."


def test_numbered_lists() -> None:
    assert html_to_text("<ol><li>one</li><li>two</li></ol>") == "1. one\n2. two"


def test_fragments_split_mid_sentence_continue_on_the_same_line() -> None:
    assert join_fragments(["First stage of the report will be available on 23",
                           "December 2022 and the full review"]) == \
        "First stage of the report will be available on 23 December 2022 and the full review"


def test_fragments_after_a_finished_sentence_start_a_paragraph() -> None:
    assert join_fragments(["Local safeguarding updates.", "ECT and MCHFT attend."]) == \
        "Local safeguarding updates.\n\nECT and MCHFT attend."
    assert join_fragments(["Audit results:\n- one", "- two"]) == "Audit results:\n- one\n- two"
    assert join_fragments(["(Updated PCSG 10/02/13)", "Update 15/05/2013 - more"]) == \
        "(Updated PCSG 10/02/13)\n\nUpdate 15/05/2013 - more"
