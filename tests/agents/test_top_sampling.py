"""The top-k sampler draws from the distribution transformers' own sampling chain would draw from."""

import pytest

torch = pytest.importorskip("torch")
from transformers.generation.logits_process import (  # noqa: E402
    LogitsProcessorList, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper,
    TopPLogitsWarper)

from practicum.agents.backends.top_sampling import TopSampler  # noqa: E402


def transformers_probabilities(input_ids, scores, temperature, top_p, penalty, top_k=50):
    """What `generate(do_sample=True, ...)` softmaxes before its multinomial draw."""
    chain = LogitsProcessorList([RepetitionPenaltyLogitsProcessor(penalty), TemperatureLogitsWarper(temperature),
                                 TopKLogitsWarper(top_k), TopPLogitsWarper(top_p)])
    return chain(input_ids, scores.clone()).softmax(-1)


def dense(sampler, input_ids, scores):
    ids, probs = sampler.distribution(input_ids, scores)
    out = torch.zeros_like(scores)
    return out.scatter_(1, ids, probs)


@pytest.mark.parametrize("temperature,top_p", [(0.7, 0.9), (0.3, 0.9), (1.0, 1.0), (1.3, 0.5)])
def test_the_distribution_is_transformers_sampling_chain(temperature, top_p):
    generator = torch.Generator().manual_seed(7)
    scores = torch.randn(4, 5000, generator=generator) * 4
    input_ids = torch.randint(0, 5000, (4, 300), generator=generator)
    expected = transformers_probabilities(input_ids, scores, temperature, top_p, 1.15)
    got = dense(TopSampler(temperature, top_p, 1.15), input_ids, scores)
    assert torch.equal(got > 0, expected > 0)  # the same candidates survive
    assert torch.allclose(got, expected, atol=1e-6)


def test_tokens_tied_with_the_kth_score_stay_candidates_as_in_transformers():
    scores = torch.full((1, 200), -5.0)
    scores[0, :40] = torch.linspace(10, 5, 40)
    scores[0, 40:70] = 2.0  # 30 tokens tied at the 50th score: transformers keeps all 30 after top-k
    input_ids = torch.zeros((1, 1), dtype=torch.long)
    expected = transformers_probabilities(input_ids, scores, 1.0, 1.0, 1.0)
    got = dense(TopSampler(1.0, 1.0, 1.0), input_ids, scores)
    assert int((expected > 0).sum()) == 70
    assert torch.allclose(got, expected, atol=1e-7)


def test_drawn_tokens_follow_the_distribution_and_greedy_search_takes_them():
    scores = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05] + [1e-9] * 96]))
    sampler = TopSampler(1.0, 1.0, 1.0)
    input_ids = torch.zeros((1, 1), dtype=torch.long)
    torch.manual_seed(3)
    counts = torch.zeros(100)
    for _ in range(4000):
        processed = sampler(input_ids, scores)
        assert int((processed == 0).sum()) == 1 and torch.isinf(processed).sum() == 99
        counts[processed.argmax()] += 1
    share = counts[:4] / 4000
    assert torch.allclose(share, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.03)
    assert counts[4:].sum() == 0  # 96 tokens at 1e-9 each


def test_a_seeded_draw_repeats():
    scores = torch.randn(3, 1000)
    input_ids = torch.randint(0, 1000, (3, 20))
    sampler = TopSampler(0.7, 0.9, 1.15)
    torch.manual_seed(11)
    first = sampler(input_ids, scores).argmax(-1)
    torch.manual_seed(11)
    assert torch.equal(sampler(input_ids, scores).argmax(-1), first)


def test_greedy_is_not_a_sampler():
    with pytest.raises(ValueError):
        TopSampler(0.0)
