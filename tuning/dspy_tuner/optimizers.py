"""Build and run DSPy 3.4's optimizers on a role module: BootstrapFewShot, MIPROv2 and GEPA.

All three run under the task LM with the role's plain chat adapter as the default adapter, so
the optimizers' own helper predictors (MIPROv2's instruction proposer, GEPA's reflection)
also speak plain chat: a small model cannot follow DSPy's field markers or JSON, and a plain
adapter takes the whole completion as the proposed instruction. Threads stay at one: the
local backend batches internally and dspy's context does not need to cross threads.
"""

from __future__ import annotations

import re

from practicum.errors import InputError
from practicum.tuning.dspy_tuner.config import DspyTuneConfig

MAX_INSTRUCTION_CHARS = 1200


def clean_instruction(text: str) -> str:
    """A proposed instruction made usable: code fences, field labels and surrounding quotes removed."""
    text = re.sub(r"```[a-z]*", "", text or "").strip()
    text = re.sub(r"^\s*(new|proposed)[ _]instruction\s*:\s*", "", text, flags=re.IGNORECASE).strip()
    return text.strip('"').strip()[:MAX_INSTRUCTION_CHARS].strip()


def bootstrap(program, trainset: list, objective, config: DspyTuneConfig):
    """BootstrapFewShot: demos from replies that reach the threshold, plus labelled examples."""
    from dspy.teleprompt import BootstrapFewShot

    optimizer = BootstrapFewShot(metric=objective, metric_threshold=config.threshold,
                                 max_bootstrapped_demos=config.max_demos, max_labeled_demos=config.max_labeled,
                                 max_rounds=1, max_errors=len(trainset) + 1)
    return optimizer.compile(program, trainset=trainset)


def mipro(program, trainset: list, valset: list, objective, config: DspyTuneConfig, prompt_lm, task_lm):
    """MIPROv2: instruction candidates from the prompt LM, demo sets by bootstrapping, Bayesian search."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise InputError("mipro needs optuna; run: pip install 'optuna>=3.4'  (or: pip install 'practicum[local]')") \
            from None
    from dspy.teleprompt import MIPROv2

    auto = None if config.auto == "none" else config.auto
    optimizer = MIPROv2(
        metric=objective, prompt_model=prompt_lm, task_model=task_lm, auto=auto,
        num_candidates=None if auto else config.candidates, max_bootstrapped_demos=config.max_demos,
        max_labeled_demos=config.max_labeled, num_threads=1, seed=config.seed, metric_threshold=config.threshold,
        verbose=False, track_stats=False, max_errors=len(trainset) + len(valset) + 1,
    )
    minibatch_size = min(35, len(valset))
    compiled = optimizer.compile(
        program, trainset=trainset, valset=valset, num_trials=None if auto else config.trials,
        minibatch=len(valset) > minibatch_size, minibatch_size=minibatch_size,
        program_aware_proposer=False, data_aware_proposer=True, view_data_batch_size=10,
    )
    _clean_instructions(compiled)
    return compiled


def gepa(program, trainset: list, valset: list, objective, config: DspyTuneConfig, prompt_lm):
    """GEPA: reflect on replies and their feedback with the prompt LM, evolve the instructions."""
    from dspy.teleprompt import GEPA
    from dspy.teleprompt.gepa.instruction_proposal import InstructionProposer

    from practicum.agents.dspy_bridge import PlainChatAdapter

    auto = None if config.auto == "none" else config.auto
    proposer = InstructionProposer(adapter=PlainChatAdapter(program.speaker))
    optimizer = GEPA(
        metric=objective.feedback_metric, auto=auto, max_metric_calls=None if auto else config.budget,
        reflection_lm=prompt_lm, instruction_proposer=proposer, reflection_minibatch_size=3,
        candidate_selection_strategy="pareto", use_merge=False, num_threads=1, seed=config.seed,
        track_stats=False, skip_perfect_score=True, perfect_score=1.0, failure_score=0.0,
    )
    compiled = optimizer.compile(program, trainset=trainset, valset=valset)
    _clean_instructions(compiled)
    return compiled


def _clean_instructions(program) -> None:
    """Tidy an optimizer's instruction text (a small prompt model wraps it in fences and labels)."""
    for _, predictor in program.named_predictors():
        text = clean_instruction(predictor.signature.instructions)
        if text and text != predictor.signature.instructions:
            predictor.signature = predictor.signature.with_instructions(text)


def run_optimizer(program, trainset: list, valset: list, objective, config: DspyTuneConfig, task_lm, prompt_lm):
    """Compile `program` with the configured optimizer under the task LM and the role's plain adapter."""
    import dspy

    from practicum.agents.dspy_bridge import PlainChatAdapter

    with dspy.context(lm=task_lm, adapter=PlainChatAdapter(program.speaker)):
        if config.optimizer == "bootstrap":
            return bootstrap(program, trainset, objective, config)
        if config.optimizer == "mipro":
            return mipro(program, trainset, valset, objective, config, prompt_lm, task_lm)
        return gepa(program, trainset, valset, objective, config, prompt_lm)
