"""Turn problem families and catalogue entries into validated, varied Scenarios, reproducibly for a seed.

`ScenarioBuilder` keeps one batch's state (its random stream, the students dealt so far, the problems and
numbers already used) so a batch has no repeated problem, and the same seed gives the same batch.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from itertools import cycle

from practicum.errors import InputError
from practicum.scenarios.checks import is_math, scenario_faults
from practicum.scenarios.model import Scenario, StudentProfile
from practicum.scenarios.problems import math_families, misconceptions
from practicum.scenarios.problems.base import Family, NotShowable, same_value, show, stem
from practicum.scenarios.problems.catalogue import SUBJECTS, CatalogueEntry, catalogue
from practicum.scenarios.problems.people import Cast

SOURCE = "generated:construct"
_TRIES_PER_PAIR = 40
_STOPWORDS = {"and", "of", "the", "a", "an", "with", "in", "to", "for", "on"}
# generate:N rotates subjects so half of a mixed batch is math, like the project's data.
MIXED_SUBJECTS = ("math", "science", "math", "reading", "math", "history")


def parse_grade(grade: str | int) -> int:
    """A grade as an integer 1-12; InputError otherwise."""
    text = str(grade).strip().lower().removeprefix("grade").strip()
    if not text.isdigit() or not 1 <= int(text) <= 12:
        raise InputError(f"--grade '{grade}': use a grade number from 1 to 12")
    return int(text)


def topic_matches(query: str, words: set[str]) -> bool:
    """True when every word of a --topic query (plurals and stopwords aside) is among `words`."""
    wanted = {stem(w) for w in query.lower().replace("-", " ").split()} - _STOPWORDS
    return wanted <= words


@dataclass
class _Pool:
    """The (family or entry, rule or problem index) pairs one request may use, dealt round-robin."""

    pairs: list
    order: object = None
    spent: set = field(default_factory=set)


class ScenarioBuilder:
    """Builds scenarios one at a time with no repeated problem within the builder's batch."""

    def __init__(self, seed: int = 0):
        """Start a batch; everything random comes from `seed`."""
        self.seed = seed
        self.rng = random.Random(seed)
        self.cast = Cast(self.rng)
        self.seen_problems: set[str] = set()
        self.seen_numbers: set[tuple] = set()
        self.pools: dict[tuple, _Pool] = {}

    def build(self, subject: str, grade: str | int, topic: str = "", misconception: str = "") -> Scenario | None:
        """One new scenario for the request, or None when its distinct problems are used up."""
        grade_number = parse_grade(grade)
        subject = "math" if is_math(subject) else subject.strip().lower()
        key = (subject, grade_number, topic.strip().lower(), misconception)
        if key not in self.pools:
            self.pools[key] = self._pool(subject, grade_number, topic, misconception)
        pool = self.pools[key]
        maker = self._math if subject == "math" else self._catalogue
        for pair in self._deal(pool):
            scenario = maker(pair, grade_number)
            if scenario is not None:
                return scenario
            pool.spent.add(pair)
        return None

    def _deal(self, pool: _Pool):
        live = [p for p in pool.pairs if p not in pool.spent]
        for _ in range(len(live)):
            pair = next(pool.order)
            while pair in pool.spent:
                pair = next(pool.order)
            yield pair

    def _pool(self, subject: str, grade: int, topic: str, misconception: str) -> _Pool:
        if misconception and misconception not in misconceptions():
            raise InputError(f"--misconception '{misconception}': not in the library; "
                             "list it with `practicum scenarios misconceptions`")
        if subject == "math":
            pairs = self._math_pairs(grade, topic, misconception)
        elif subject in SUBJECTS:
            pairs = self._catalogue_pairs(subject, grade, topic, misconception)
        else:
            raise InputError(f"--subject '{subject}': use math, {', '.join(SUBJECTS)} "
                             "(or --model-written with a strong backend for other subjects)")
        # Interleave families (or entries) so consecutive scenarios differ in kind, in a seeded order.
        groups: dict[str, list] = {}
        for pair in pairs:
            groups.setdefault(pair[0].name if subject == "math" else pair[0].misconception.name, []).append(pair)
        names = sorted(groups)
        self.rng.shuffle(names)
        for name in names:
            self.rng.shuffle(groups[name])
        longest = max(len(g) for g in groups.values())
        ordered = [groups[n][i] for i in range(longest) for n in names if i < len(groups[n])]
        return _Pool(ordered, cycle(ordered))

    def _math_pairs(self, grade: int, topic: str, misconception: str) -> list[tuple[Family, str]]:
        families = [f for f in math_families() if f.covers(grade)]
        if not families:
            raise InputError(f"--grade {grade}: math problem families cover grades 3 to 11")
        if topic:
            families = [f for f in families if topic_matches(topic, f.words())]
            if not families:
                topics = sorted({f.topic for f in math_families() if f.covers(grade)})
                raise InputError(f"--topic '{topic}': no grade {grade} math family matches; grade {grade} topics: "
                                 f"{', '.join(topics)}")
        pairs = [(f, rule) for f in families for rule in f.rules if not misconception or rule == misconception]
        if not pairs:
            known = misconceptions()[misconception] if misconception else None
            band = f" (it is for grades {known.grades[0]}-{known.grades[1]})" if known else ""
            raise InputError(f"--misconception '{misconception}': no grade {grade} math family"
                             f"{' on that topic' if topic else ''} uses it{band}")
        return pairs

    def _catalogue_pairs(self, subject: str, grade: int, topic: str, misconception: str) -> list[tuple]:
        entries = [e for e in catalogue()[subject] if e.misconception.covers(grade)]
        if topic:
            entries = [e for e in entries if topic_matches(topic, _entry_words(e))]
        if misconception:
            entries = [e for e in entries if e.misconception.name == misconception]
        if not entries:
            raise InputError(f"no {subject} misconception in the catalogue matches grade {grade}"
                             f"{', topic ' + repr(topic) if topic else ''}"
                             f"{', misconception ' + misconception if misconception else ''}; "
                             "see `practicum scenarios misconceptions --subject " + subject + "`")
        return [(e, i) for e in entries for i in range(len(e.problems))]

    def _math(self, pair: tuple[Family, str], grade: int) -> Scenario | None:
        family, rule_name = pair
        for _ in range(_TRIES_PER_PAIR):
            params = family.sample(self.rng)
            numbers = (family.name, tuple(sorted((k, str(v)) for k, v in params.items())))
            if numbers in self.seen_numbers:
                continue
            try:
                right, wrong = family.solve(params), family.rules[rule_name](params)
                answer, wrong_answer = show(right.value), show(wrong.value)
                solution, attempt = right.text(), wrong.text("So my answer is")
            except NotShowable:
                continue
            if same_value(right.value, wrong.value):
                continue
            student = self.cast.student()
            words = {**params, **self.rng.choice(family.contexts), **self.cast.character(student.name)}
            problem = self.rng.choice(family.stories).format(**words)
            if problem in self.seen_problems:
                continue
            misconception = misconceptions()[rule_name]
            scenario = self._assemble(
                kind=family.name, title=family.title, subject="math", grade=grade, topic=family.topic,
                objective=family.objective, problem=problem, answer=answer, solution=solution, student=student,
                knows=family.knows, belief=misconception.held, attempt=attempt, rule=rule_name,
                wrong_answer=wrong_answer, family=family.name,
            )
            if scenario_faults(scenario):  # a template or rule bug; never hand it out
                continue
            self.seen_numbers.add(numbers)
            self.seen_problems.add(problem)
            return scenario
        return None

    def _catalogue(self, pair: tuple[CatalogueEntry, int], grade: int) -> Scenario | None:
        entry, index = pair
        item = entry.problems[index]
        student = self.cast.student()
        words = self.cast.character(student.name)
        problem = f"{item.stimulus} {item.question}".format(**words)
        if problem in self.seen_problems or (entry.misconception.name, index) in self.seen_numbers:
            return None
        misconception = entry.misconception
        scenario = self._assemble(
            kind=misconception.name, title=f"{misconception.topic.capitalize()}: {item.question.format(**words)}",
            subject=misconception.subject, grade=grade, topic=misconception.topic, objective=entry.objective,
            problem=problem, answer=item.answer, solution=(item.solution or entry.correct).format(**words),
            student=student, knows=entry.knows, belief=misconception.held, attempt=item.attempt.format(**words),
            rule=misconception.name, wrong_answer=item.wrong_answer, family="catalogue",
        )
        if scenario_faults(scenario):
            return None
        self.seen_numbers.add((misconception.name, index))
        self.seen_problems.add(problem)
        return scenario

    def _assemble(self, *, kind, title, subject, grade, topic, objective, problem, answer, solution, student,
                  knows, belief, attempt, rule, wrong_answer, family) -> Scenario:
        digest = hashlib.sha256(f"{problem}|{rule}|{student.name}|{self.seed}".encode()).hexdigest()[:8]
        return Scenario(
            id=f"gen-{kind}-{digest}", title=title, subject=subject, grade=str(grade), topic=topic,
            objective=objective, problem=problem, answer=answer, solution=solution, source=SOURCE,
            student_profile=StudentProfile(
                name=student.name, grade=str(grade), persona=student.persona(grade), knowledge_state=knows,
                misconceptions=[belief], incorrect_solution=attempt, traits=student.traits,
                learning_style=student.learning_style, misconception_id=rule, wrong_answer=wrong_answer,
                problem_family=family,
            ),
        )


def _entry_words(entry: CatalogueEntry) -> set[str]:
    m = entry.misconception
    return {stem(w) for w in f"{m.name} {m.topic} {m.description}".lower().replace("-", " ").split()}


def build_scenarios(subject: str, grade: str | int, count: int, seed: int = 0, topic: str = "",
                    misconception: str = "") -> tuple[list[Scenario], str]:
    """`count` distinct scenarios for one request, and a note when fewer exist (empty otherwise)."""
    builder = ScenarioBuilder(seed)
    made = []
    for _ in range(count):
        scenario = builder.build(subject, grade, topic, misconception)
        if scenario is None:
            break
        made.append(scenario)
    note = "" if len(made) == count else (
        f"only {len(made)} distinct {subject} problems match grade {grade}"
        f"{', topic ' + repr(topic) if topic else ''}{', ' + misconception if misconception else ''}")
    return made, note


def build_mixed(count: int, seed: int = 0) -> list[Scenario]:
    """`count` scenarios across subjects and grades (half math, grades 3-11), for `generate:N`."""
    builder = ScenarioBuilder(seed)
    rng = random.Random(f"mixed-{seed}")
    grades = {s: _grades(s) for s in sorted(set(MIXED_SUBJECTS))}  # sorted: set order varies by process
    decks = {s: cycle(rng.sample(g, len(g))) for s, g in grades.items()}
    made: list[Scenario] = []
    exhausted: set[tuple[str, int]] = set()
    subjects = cycle(MIXED_SUBJECTS)
    while len(made) < count and len(exhausted) < sum(len(g) for g in grades.values()):
        subject = next(subjects)
        grade = next(decks[subject])
        if (subject, grade) in exhausted:
            continue
        scenario = builder.build(subject, grade)
        if scenario is None:
            exhausted.add((subject, grade))
        else:
            made.append(scenario)
    return made


def _grades(subject: str) -> list[int]:
    if subject == "math":
        return sorted({g for f in math_families() for g in range(f.grades[0], f.grades[1] + 1)})
    return sorted({g for e in catalogue()[subject] for g in range(e.misconception.grades[0],
                                                                  e.misconception.grades[1] + 1)})
