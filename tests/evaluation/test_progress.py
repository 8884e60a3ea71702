"""A trainee's progress: values per practice session, sparklines, the weakest measure, charts and `practicum progress`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from practicum.cli import cli
from practicum.evaluation.progress import order_by_need, sparkline, trainee_progress, weakest
from practicum.evaluation.progress_chart import write_progress
from practicum.evaluation.turn_feedback import complete_session
from practicum.scenarios.files import get_builtin
from practicum.storage.practice_queries import fork_session, scenario_practice_counts, set_session_metadata
from practicum.storage.store import Store
from tests.tui.conftest import add_session
from tests.tui.stand_ins import RuleClassifier, RuleJudge


def practised(store, scenario, teacher_turns, trainee="ana", judge=None, classifier=None) -> int:
    turns = []
    for text in teacher_turns:
        turns += [("teacher", text), ("student", "Hmm.")]
    session_id = add_session(store, scenario, turns, source="practice", teacher="human")
    set_session_metadata(store, session_id, trainee=trainee)
    complete_session(store, session_id, judge=judge, classifier=classifier)
    return session_id


@pytest.fixture
def history(store, scenario):
    judge, classifier = RuleJudge(), RuleClassifier()
    first = practised(store, scenario, ["The answer is 7/12.", "Okay."], judge=judge, classifier=classifier)
    second = practised(store, scenario, ["Where is the mistake?", "Okay."], judge=judge, classifier=classifier)
    third = practised(store, get_builtin("percent-discount"), ["Which bottom number is wrong?"], judge=judge,
                      classifier=classifier)
    practised(store, scenario, ["Hello."], trainee="bo", judge=judge)
    return [first, second, third]


def test_progress_values_per_session_oldest_first(store, history):
    progress = trainee_progress(store, "ana", classifier=RuleClassifier())
    assert [p.session_id for p in progress.sessions] == history
    assert progress.judge_rater == RuleJudge.rater and progress.metrics_version == "v1+rules1"
    assert progress.series["judge.mistake_identification"] == [0.0, 0.5, 1.0]
    assert progress.series["judge.revealing_of_the_answer"] == [0.5, 1.0, 1.0]  # turn 1 of session 1 told
    assert progress.series["move_share.telling"] == [0.5, 0.0, 0.0]
    assert progress.series["telling@1"] == [1.0, 0.0, 0.0]
    assert progress.notes == []
    empty = trainee_progress(store, "nobody")
    assert empty.sessions == [] and "No finished practice sessions by 'nobody'" in empty.notes[0]


def test_branches_are_sessions_of_the_trainee_with_their_branch_point(store, history):
    branch = fork_session(store, history[0], 0, student_spec="scripted", seed=0, trainee="ana")
    from practicum.records import Turn

    store.add_turn(branch, Turn(0, "teacher", "What did you get for the bottom?", model="human"))
    store.finish_session(branch, "completed", "teacher_ended")
    progress = trainee_progress(store, "ana")
    point = progress.sessions[-1]
    assert (point.session_id, point.parent_session_id, point.branch_turn_idx) == (branch, history[0], 0)


def test_sparkline():
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([None, 1.0, 0.25]) == " █▃"
    assert sparkline([2.0, -1.0]) == "█▁"  # clipped to the scale
    assert sparkline([]) == ""


def test_weakest_is_measured_against_mathdial_teachers(store, history):
    progress = trainee_progress(store, "ana", classifier=RuleClassifier())
    alone = weakest(progress, None)  # against perfect: four dimensions at 1/2 on average, the first in order wins
    assert alone.measure.name == "judge.mistake_identification" and alone.yours == pytest.approx(0.5)
    reference = {"measures": {"judge.guidance": {"mean": 0.4}, "judge.actionability": {"mean": 0.45},
                              "judge.mistake_identification": {"mean": 0.9}, "move_share.telling": {"mean": 0.05},
                              "success@3": {"mean": 1.0}}}
    need = weakest(progress, reference)  # 0.9 - 0.5 on pointing at the mistake; outcomes never count
    assert need.measure.name == "judge.mistake_identification" and need.gap == pytest.approx(0.4)
    assert need.describe() == "Points at the mistake: 50% in your last sessions (MathDial teachers 90%)"


def test_order_by_need_puts_new_scenarios_first_then_the_worst(store, history):
    progress = trainee_progress(store, "ana", classifier=RuleClassifier())
    reference = {"measures": {"judge.mistake_identification": {"mean": 0.9}, "judge.guidance": {"mean": 0.5},
                              "judge.actionability": {"mean": 0.5}, "judge.revealing_of_the_answer": {"mean": 0.9},
                              "judge.encouraging_tone": {"mean": 0.2}, "move_share.telling": {"mean": 0.2}}}
    need = weakest(progress, reference)
    scenarios = [get_builtin(i) for i in ("percent-discount", "fractions-unlike-denominators", "reading-main-idea")]
    ordered, rule = order_by_need(scenarios, progress, need, scenario_practice_counts(store, "ana"))
    # fractions: 0 and 1/2 of turns pointed at the mistake (worst 0); percent: 1 -> fractions first
    assert [s.id for s in ordered] == ["reading-main-idea", "fractions-unlike-denominators", "percent-discount"]
    assert "Weakest: Points at the mistake" in rule and "not practised come first" in rule


def test_png_and_html_charts(store, history, tmp_path):
    progress = trainee_progress(store, "ana", classifier=RuleClassifier())
    png = write_progress(progress, tmp_path / "p.png", {"measures": {"success@3": {"mean": 0.59}}})
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    progress.trainee = "ana <b>"
    page = write_progress(progress, tmp_path / "p.html").read_text()
    assert page.count("<svg") == len(progress.measures()) and "ana &lt;b&gt;" in page
    assert "http:" not in page.replace("http://www.w3.org/2000/svg", "") and "https:" not in page  # self-contained
    assert "Points at the mistake" in page and "0%" in page and "100%" in page
    with pytest.raises(Exception, match="must end in .png or .html"):
        write_progress(progress, tmp_path / "p.pdf")


def test_progress_command_table_json_and_files(tmp_path, scenario):
    db = tmp_path / "p.db"
    store = Store(db)
    judge = RuleJudge()
    for texts in (["Tell me more."], ["Where is the mistake?"]):
        practised(store, scenario, texts, judge=judge)
    store.close()
    runner = CliRunner()
    out = tmp_path / "ana.html"
    result = runner.invoke(cli, ["--db", str(db), "progress", "--rater", "ana", "--no-moves", "--out", str(out)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ana: 2 practice sessions" in result.output and "Points at the mistake" in result.output
    assert "▁█" in result.output and out.exists()
    result = runner.invoke(cli, ["--db", str(db), "progress", "--rater", "ana", "--no-moves", "--json"],
                           catch_exceptions=False)
    data = json.loads(result.stdout)
    assert data["series"]["judge.mistake_identification"] == [0.0, 1.0] and len(data["sessions"]) == 2


def test_progress_command_errors_are_one_line(tmp_path):
    db = tmp_path / "empty.db"
    done = subprocess.run([sys.executable, "-m", "practicum", "--db", str(db), "progress", "--rater", "zed"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: no finished practice sessions by 'zed'"
