"""Candidate-facing text, in one place: a message catalogue keyed by id (pure).

Every sentence a candidate reads (``take``, ``coach``, ``show``, the candidate
report) is an entry of ``MESSAGES``: ``id -> {language: text}``, English (``"en"``)
always filled, placeholders in ``str.format`` style (``{count}``; a literal brace doubled). Code calls
``text("id", name=...)``; the language is ``lang`` or ``SCREENER_LANG`` (default
``"en"``), falling back to English for an entry not yet translated.

A missing id or placeholder raises ``KeyError``; ``tests/test_messages.py`` checks
every id the code uses exists and takes the placeholders its callers pass, so that
never happens at run time. Plurals are entries of their own (``"unit.point"`` and
``"unit.points"``), chosen by ``plural``.

Adding a language: docs/extending.md, "A new language".
"""

from __future__ import annotations

import os

__all__ = ["MESSAGES", "language", "plural", "text"]

DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    # prompts.py: questionary-style prompts
    "prompt.select_hint": {"en": "(arrow keys, Enter)"},
    "prompt.press_any_key": {"en": "Press any key to go on..."},
    # session.py: the take flow
    "take.calculator_policy": {
        "en": "Shop math: you may use a basic calculator and scrap paper for these questions. "
        "A phone, a computer or another person is not allowed."
    },
    "take.accommodation": {
        "en": "Accommodation is available. If a disability or another need makes part of this "
        "hard (time limits, reading a screen, sitting for a long time), tell the person "
        "who gave you this screening before you start. You can get more time, a screen "
        "reader mode or breaks (Ontario's AODA)."
    },
    "take.drawing_alt": {"en": "Drawing: {alt}"},
    "take.no_description": {"en": "(no description)"},
    "take.explains": {"en": "? explains: {words}"},
    "take.hint_with_words": {"en": "{hint}; {explains})"},
    "take.ask_name": {"en": "Your full name:"},
    "take.ask_name_blank": {"en": "Please type your name"},
    "take.earlier": {"en": "earlier"},
    "take.continue_it": {"en": "Continue it"},
    "take.start_new_keep_one": {
        "en": "Start a new screening. This one stays saved: go back to it with "
        "screener take --attempt {attempt}"
    },
    "take.unfinished_one": {
        "en": "You have an unfinished screening (form {form}, "
        "{done} of {total} questions done, started {day})."
    },
    "take.continue_form": {
        "en": "Continue form {form}, started {day} ({done} of {total} questions done; id {attempt})"
    },
    "take.start_new_keep_all": {"en": "Start a new screening (these stay saved)"},
    "take.unfinished_many": {"en": "You have {count} unfinished screenings. Which one?"},
    "take.same_person_yes": {"en": "Yes, that is me (id {id}, registered {day})"},
    "take.same_person_no": {"en": "No, I am a different person with the same name"},
    "take.same_person_who.one": {"en": "Someone"},
    "take.same_person_who.many": {"en": "{count} people"},
    "take.same_person_question": {
        "en": "{who} named {name} already took a screening here. Is that you?"
    },
    "coach.retake_anyway.one": {"en": "{done} of {count} coaching module done - retake anyway?"},
    "coach.retake_anyway.many": {"en": "{done} of {count} coaching modules done - retake anyway?"},
    "coach.stop_for_now": {"en": "Stop for now"},
    "coach.which_module": {"en": "Which module?"},
    "coach.tried_before": {"en": "You tried this module's check before. What now?"},
    "coach.straight_to_check": {"en": "Go straight to the check"},
    "coach.lessons_first": {"en": "Read the lessons and practise first"},
    "take.ready_go_on": {"en": "Ready to go on?"},
    "take.ready_start": {"en": "Ready to start?"},
    "take.questions": {"en": "Questions: {count}"},
    "take.questions_left": {"en": " ({count} left)"},
    "take.expected_time.one": {"en": "Expected time: about {count} minute"},
    "take.expected_time.many": {"en": "Expected time: about {count} minutes"},
    "take.for_questions_left": {"en": " for the questions left"},
    "take.extra_time": {"en": "Extra time: every time limit is {factor} times as long."},
    "take.saved_as_you_go": {
        "en": "Your answers are saved as you go. Press Ctrl-C to take a break; you can pick up "
        "where you left off."
    },
    "take.may_skip": {"en": "You may skip a question you cannot answer."},
    "take.results_use": {
        "en": "Your results help you and the program see where you are strong and where short "
        "coaching can help. They support development and screening decisions but are never "
        "the sole basis for a hiring decision."
    },
    "take.form_of": {"en": " - form {form}"},
    "take.welcome": {"en": "Welcome"},
    "take.welcome_back": {"en": "Welcome back"},
    "take.question_of": {"en": "question {number} of {total}"},
    "take.extra_question": {"en": "extra question {number}"},
    "take.time_limit": {"en": " - time limit {seconds} s"},
    "take.your_answer": {"en": "Your answer:"},
    "take.type_number": {"en": "Type a number. Enter on an empty line skips it."},
    "take.type_number_in": {"en": "Type a number, in {unit}. Enter on an empty line skips it."},
    "take.time_is_up": {"en": "Time is up for this question; it is left unanswered."},
    "take.did_you_mean": {"en": "Did you mean {point} or {whole}?"},
    "take.neither": {"en": "Neither: type it again"},
    "take.seconds_left": {"en": "{text}  [{left} s left]"},
    "take.skip_question": {"en": "Skip this question"},
    "take.press_number": {"en": "(press {low}-{high}, or arrow keys and Enter)"},
    "take.not_a_number": {"en": "Please type a number, like 12.5"},
    "take.save_and_quit": {"en": "Save your answers and quit? You can resume later."},
    "take.a_few_more": {"en": "A few more questions"},
    "coach.explains_these": {"en": " (? explains these words)"},
    "coach.able_to_lead": {"en": "You will be able to "},
    "coach.able_to": {"en": "**You will be able to:**"},
    "coach.in_this_module": {"en": "**In this module:**"},
    "coach.module_words": {
        "en": "Words in this module: {words}. On a screen that uses one, press ? to see what "
        "it means."
    },
    "coach.lesson_of": {"en": "Lesson {number} of {total}: {title}"},
    "coach.worked_example": {"en": "Worked example: {title}"},
    "coach.correct": {"en": "Correct."},
    "coach.not_quite": {"en": "Not quite."},
    "coach.not_quite_lead": {"en": "Not quite"},
    "coach.practice": {"en": "Practice"},
    "coach.practice_of": {"en": "practice {number} of {total}"},
    "coach.best_answer": {"en": "The best answer: {label}"},
    "coach.check": {"en": "Check"},
    "coach.check_intro.one": {
        "en": "Answer {count} question. You need {mark:.0f}% to complete the module."
    },
    "coach.check_intro.many": {
        "en": "Answer {count} questions. You need {mark:.0f}% to complete the module."
    },
    "coach.check_of": {"en": "check {number} of {total}"},
    # report.py: the candidate report (Markdown and HTML)
    "report.html_lang": {"en": "en"},
    "report.headline.pass": {"en": "You passed the screening."},
    "report.headline.coaching": {"en": "You are on your way: a few areas need coaching first."},
    "report.headline.incomplete": {"en": "Your screening is incomplete."},
    "report.next.pass": {
        "en": "Next step: an interview with the employer, then the core training program."
    },
    "report.next.coaching": {
        "en": "Next step: work through the coaching modules below, one for each area below "
        "the level needed. Then take the screening again on a new form."
    },
    "report.next.incomplete": {
        "en": "Too few questions were answered to score every area. Please finish the "
        "screening or take it again."
    },
    "report.status.meets": {"en": "meets the level"},
    "report.status.below": {"en": "below the level"},
    "report.status.borderline": {"en": "close to the level"},
    "report.status.incomplete": {"en": "not scored"},
    "report.status_with_interval": {"en": "{status} ({interval})"},
    "report.interval": {"en": "between {low:.0f} and {high:.0f} out of 100"},
    "report.recommended_intro": {
        "en": "Your score is close to the level needed in these areas, so it could be on "
        "either side of it. These modules are recommended, not required:"
    },
    "report.not_started": {"en": "not started yet"},
    "report.completed_on": {"en": "completed on {date}"},
    "report.check_score": {"en": ", check score {score:.0f}%"},
    "report.lessons_of": {"en": " of {total}"},
    "report.lessons_viewed.one": {"en": "{seen}{of} lesson viewed"},
    "report.lessons_viewed.many": {"en": "{seen}{of} lessons viewed"},
    "report.title": {"en": "Screening report: {name}"},
    "report.meta": {"en": "Candidate id {id} · made {date}"},
    "report.no_attempts": {"en": "There are no submitted screenings yet."},
    "report.your_result": {"en": "Your result"},
    "report.result_line": {"en": "{title}, form {form}, {date}"},
    "report.your_competencies": {"en": "Your competencies"},
    "report.bar_note_md": {"en": "Each bar runs from 0 to 100; `|` marks the level needed."},
    "report.bar_note_html": {
        "en": "Each bar runs from 0 to 100; the black line marks the level needed."
    },
    "report.bar_label": {"en": "{score} of 100, needed {cut:.0f}"},
    "report.col.competency": {"en": "Competency"},
    "report.col.score": {"en": "Score"},
    "report.col.needed": {"en": "Needed"},
    "report.col.result": {"en": "Result"},
    "report.col.date": {"en": "Date"},
    "report.col.screening": {"en": "Screening"},
    "report.col.form": {"en": "Form"},
    "report.col.average": {"en": "Average"},
    "report.your_strengths": {"en": "Your strengths"},
    "report.needed": {"en": "(needed {cut:.0f})"},
    "report.no_strengths": {
        "en": "No area reached the level needed yet; the coaching plan below helps with that."
    },
    "report.your_plan": {"en": "Your coaching plan"},
    "report.no_coaching": {"en": "No coaching is needed."},
    "report.recommended": {"en": "Recommended"},
    "report.history": {"en": "Your screenings so far"},
    "report.reason_close": {"en": "close to the level needed"},
    "report.reason_below.one": {"en": "below the level by {count} point"},
    "report.reason_below.many": {"en": "below the level by {count} points"},
    "report.minutes": {"en": "{minutes} minutes"},
    "report.for": {"en": "For: {why}."},
    "report.progress": {"en": "Progress: {progress}."},
    # cli/candidate.py: take and coach, around the screens
    "cli.welcome_name": {"en": "Welcome, {name}."},
    "cli.your_id_lead": {"en": "Your candidate id is "},
    "cli.your_id_tail": {"en": ": keep it to resume later."},
    "cli.not_started": {
        "en": "You did not start, so nothing was saved. Run screener take again when you are ready."
    },
    "cli.saved_so_far": {
        "en": "Your answers so far are saved. To go on later: "
        "screener take --resume --candidate {id}"
    },
    "cli.next_coach": {"en": "Next: screener coach {id}"},
    "cli.not_started_known": {
        "en": "You did not start, so nothing was saved. When you are ready: "
        "screener take --candidate {id}"
    },
    "cli.saved_go_on": {
        "en": "Your answers are saved. To go on later: screener take --resume{hint}"
    },
    "cli.nothing_answered": {
        "en": "Nothing was answered, so nothing was saved. To start again: "
        "screener take --candidate {id}"
    },
    "cli.stopped_before_start": {"en": "Stopped before the start: nothing was changed."},
    "cli.your_results": {"en": "Your results, {name}"},
    "cli.no_plan": {"en": "{name} has no coaching plan: no screening with gaps yet."},
    "cli.plan_finished": {
        "en": "You have finished your coaching plan. You may retake the screening:"
    },
    "cli.retake_command": {"en": "  screener take --candidate {id}"},
    "cli.needs_terminal": {"en": "Run this in a terminal to work through a module."},
    "cli.module_complete": {"en": "Module complete: {correct} of {total} right."},
    "cli.check_short": {"en": "{correct} of {total} right; you need {mark:.0f}%."},
    "cli.review_lessons": {"en": "Review these lessons, then try the module again: {lessons}"},
    "cli.progress_saved": {"en": "Your progress is saved. Come back with: screener coach {id}"},
    # content.py: domain titles (results screens, the take flow's section headings)
    "domain.cognitive": {"en": "Cognitive skills"},
    "domain.personal": {"en": "Personal competencies"},
    "domain.relational": {"en": "Relational competencies"},
    "domain.business": {"en": "Business competencies"},
    # plurals of units (render.py's _plural)
    "unit.module.one": {"en": "{count} module"},
    "unit.module.many": {"en": "{count} modules"},
    "unit.minute.one": {"en": "{count} minute"},
    "unit.minute.many": {"en": "{count} minutes"},
    "unit.lesson.one": {"en": "{count} lesson"},
    "unit.lesson.many": {"en": "{count} lessons"},
    # render.py: the candidate's results, plan, show and coach screens
    "screen.outcome.pass": {
        "en": "Pass: go on to the employer interview, then the core training program."
    },
    "screen.outcome.coaching": {
        "en": "Coaching: work through the modules below, then retake the screening."
    },
    "screen.outcome.incomplete": {
        "en": "Incomplete: too few answers to score every competency. Finish or retake it."
    },
    "screen.col.module": {"en": "Module"},
    "screen.col.why": {"en": "Why"},
    "screen.col.min": {"en": "Min"},
    "screen.col.minutes": {"en": "Minutes"},
    "screen.col.progress": {"en": "Progress"},
    "screen.col.submitted": {"en": "Submitted"},
    "screen.col.assessment": {"en": "Assessment"},
    "screen.col.form": {"en": "Form"},
    "screen.col.outcome": {"en": "Outcome"},
    "screen.why_close": {"en": "{name} close to the cut (recommended)"},
    "screen.why_up_to": {"en": "{names}: up to {below}"},
    "screen.why_below": {"en": "{name} {below}"},
    "screen.points_below.one": {"en": "{count} point below cut"},
    "screen.points_below.many": {"en": "{count} points below cut"},
    "screen.title_form": {"en": "{title} - form {form}"},
    "screen.plan_recommended_only": {
        "en": "Recommended coaching: {modules}, about {minutes} (not required)"
    },
    "screen.plan_required": {"en": "Coaching plan: {modules}, about {minutes}"},
    "screen.plan_more_recommended": {"en": "; {count} more recommended, about {minutes}"},
    "screen.version_not_here": {"en": "{version} is not available here; use --json."},
    "screen.next_take": {"en": "Next: screener take --candidate {id}"},
    "screen.progress_not_started": {"en": "not started"},
    "screen.progress_complete": {"en": "complete (check {score:.0f}%)"},
    "screen.progress_retry": {"en": "check {score:.0f}%: review and try again"},
    "screen.progress_started": {"en": "started, {lessons} read"},
    "screen.unfinished": {"en": "Unfinished: {assessment} form {form}, started {day}"},
    "screen.to_go_on": {"en": "  to go on: screener take --candidate {id} --attempt {attempt}"},
    "screen.one_in_progress": {"en": " One is in progress."},
    "screen.no_finished": {"en": "No finished screening yet."},
    "screen.accommodation": {"en": "Accommodation:"},
    "screen.latest": {"en": "Latest: {assessment} form {form}, {submitted}"},
    "screen.coaching_progress": {"en": "Coaching progress"},
    "screen.history": {"en": "History"},
    "screen.extra_time_note": {"en": " (extra time: every time limit x{factor})"},
    "screen.plan_for": {"en": "Coaching plan for {name}"},
}


def language() -> str:
    """The language asked for: ``SCREENER_LANG`` when set, else English."""
    return os.environ.get("SCREENER_LANG") or DEFAULT_LANGUAGE


def text(msg_id: str, /, lang: str | None = None, **values: object) -> str:
    """The message ``msg_id`` in ``lang`` (or ``language()``), placeholders filled
    from ``values``. English when the entry has no text in that language."""
    entry = MESSAGES[msg_id]
    template = entry.get(lang or language()) or entry[DEFAULT_LANGUAGE]
    return template.format(**values)


def plural(msg_id: str, count: int, /, lang: str | None = None, **values: object) -> str:
    """``msg_id + ".one"`` for a count of 1, else ``msg_id + ".many"``; ``count`` is
    passed as a placeholder too."""
    suffix = ".one" if count == 1 else ".many"
    return text(msg_id + suffix, lang, count=count, **values)
