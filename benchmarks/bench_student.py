"""Practice latency of the gated student: one reply with its candidates in one batch against one ungated reply.

A trainee waits for one student reply at a time, so this times `AgentSpeaker.reply` for single
sessions: the same MathDial prompts (the real dialogue up to a student turn), the packaged student
adapter, gated (the default: 2 candidates in one batch; `--gate N` for another count) and ungated
(`gate=off`) replies alternating so both see the same machine load. Prints p50/p90 seconds of each
and their ratio (target: gated p50 within 1.5x).

    python benchmarks/bench_student.py [--replies 10] [--input ../shared/data/mathdial/dev.jsonl] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    """The q-th quantile (0-1) by linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def prompts(path: Path, count: int) -> list:
    """(scenario, history) pairs: the real dialogue before the second student turn of successive dialogues."""
    # (history[:-2], before the student's first turn, is the prompt a session would have cached)
    from practicum.scenarios.mathdial import read_mathdial

    out = []
    for _, record in read_mathdial(path):
        students = [i for i, t in enumerate(record.turns) if t.role == "student"]
        if len(students) > 1:
            out.append((record.scenario, record.turns[: students[1]]))
        if len(out) == count:
            break
    return out


def main() -> None:
    """Time gated and ungated replies side by side and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=10, help="replies of each kind")
    parser.add_argument("--input", default=str(REPO.parent / "shared" / "data" / "mathdial" / "dev.jsonl"))
    parser.add_argument("--student", default="local", help="student agent spec (gate= is added)")
    parser.add_argument("--gate", type=int, default=0, help="candidates of the gated reply (0: the default)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    from practicum.agents.session import SessionOptions
    from practicum.agents.speakers import SpeakerBuilder

    builder = SpeakerBuilder(None)
    options = SessionOptions().student_options
    sep = "," if ":" in args.student else ":"
    gated = builder.speaker("student", f"{args.student}{sep}gate={args.gate}" if args.gate else args.student, options)
    plain = builder.speaker("student", f"{args.student}{sep}gate=off", options)
    assert gated.backend is plain.backend  # one model, one prefix cache: the same conditions for both
    items = prompts(Path(args.input), args.replies)
    gated.reply(*items[0], seed=0)  # load the model and adapter once, outside the timings
    times = {"gated": [], "ungated": []}
    for number, (scenario, history) in enumerate(items):
        pair = [("gated", gated), ("ungated", plain)]
        for name, speaker in pair if number % 2 == 0 else reversed(pair):
            # As in a session: the prompt of the student's previous turn is cached, so a reply prefills
            # only what was said since (unless the knowledge-state directive changed in between).
            speaker.backend.prefix_cache.clear()
            previous, _ = speaker.request(scenario, history[:-2], None)
            speaker.backend.complete(previous, options.model_copy(update={"max_tokens": 1}))
            start = time.perf_counter()
            speaker.reply(scenario, history, seed=number)
            times[name].append(time.perf_counter() - start)
    result = {
        name: {"p50_s": round(percentile(v, 0.5), 2), "p90_s": round(percentile(v, 0.9), 2),
               "mean_s": round(statistics.mean(v), 2), "n": len(v)} for name, v in times.items()
    }
    result["ratio_p50"] = round(result["gated"]["p50_s"] / result["ungated"]["p50_s"], 2)
    result["load_1min"] = round(os.getloadavg()[0], 2)
    result["backend"] = gated.backend.spec
    result["candidates"] = gated.candidates
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"student {result['backend']}, {result['candidates']} candidates, {args.replies} replies each, "
          f"load {result['load_1min']}")
    for name in ("ungated", "gated"):
        r = result[name]
        print(f"{name:8s} p50 {r['p50_s']:6.2f} s   p90 {r['p90_s']:6.2f} s   mean {r['mean_s']:6.2f} s")
    print(f"gated / ungated p50: {result['ratio_p50']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
