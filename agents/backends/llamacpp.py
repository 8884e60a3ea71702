"""`local:engine=llamacpp`: the embedded model's own GGUF file run by llama.cpp (optional extra `[llamacpp]`).

llama.cpp decodes this Q4_1 model several times faster than transformers on a CPU (measured 93
vs 16-20 tokens/s on one 2-core machine), which is what a trainee waiting for a student's reply
feels. It is optional because llama-cpp-python has no binary wheel: `pip install -e ".[llamacpp]"`
compiles it (4-7 minutes; `CMAKE_ARGS="-DGGML_NATIVE=OFF"` for a portable build). The prompt is
the same chat template rendered to the same tokens; by default the Q4_1 weights run as a float16
rewrite made once (gguf_weights.py: prefill 1.8x faster); a peft LoRA adapter is converted to GGUF
once (lora_gguf.py). Requests run one at a time (no batched decode in llama-cpp-python), each on the
context whose evaluated tokens share the longest prefix with its prompt, so a teacher and a
student alternating in one session each keep their own prefix.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from practicum.agents.backends.base import Completion, GenerationOptions, Message, Usage
from practicum.agents.backends.gguf_weights import check_weights, weights_for
from practicum.agents.backends.sentence_stop import cut_sentences, finished_sentences, reached
from practicum.errors import BackendError, ModelMissingError

INSTALL_HINT = 'pip install -e ".[llamacpp]"  (compiles llama-cpp-python, 4-7 minutes)'
N_CTX = 2048  # bounded prompts (agents/roles.py) plus a reply fit with room to spare
CONTEXTS = 2  # one per role of a session: each keeps its own evaluated prefix
REPETITION_PENALTY = 1.15  # what the transformers engine uses, applied the same way (_decode)
TOP_K = 50  # transformers' default top-k before top-p
CHUNK = 64  # prompt tokens per prefill call, aligned to absolute positions (see _decode)


def llamacpp_available() -> bool:
    """True when llama-cpp-python is importable."""
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def _gguf_file(model_path: str | None) -> Path:
    from practicum.agents.backends.embedded_model import checkpoint_dir, gguf_path

    if not model_path:
        return gguf_path()
    path = Path(model_path).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path
    if path.resolve() == checkpoint_dir().resolve():
        return gguf_path()  # the embedded model's converted checkpoint: its GGUF is the same weights
    raise BackendError(f"engine=llamacpp needs a .gguf file; model={model_path} is not one")


class LlamaCppBackend:
    """Chat completions from llama.cpp on a GGUF file; one request at a time, a few contexts kept warm."""

    batches_in_one_pass = False  # the generation driver sends one request per session (agents/runs/driver.py)

    def __init__(self, model_path: str | None = None, adapter: str | None = None, spec: str = "local:engine=llamacpp",
                 weights: str | None = None):
        """Remember what to load; nothing is loaded (or compiled) until the first request."""
        self.weights = check_weights(weights)
        if not llamacpp_available():
            raise ModelMissingError(f"engine=llamacpp needs llama-cpp-python, which is not installed; run: {INSTALL_HINT}")
        self.model_path = model_path
        self.adapter = adapter
        self.spec = spec
        self.dtype = "gguf"
        self._lock = threading.Lock()
        self._contexts: list = []  # most recently used last
        self._template = None
        self.counters = {"requests": 0, "prompt_tokens": 0, "reused_prompt_tokens": 0, "generated_tokens": 0,
                         "generate_seconds": 0.0}

    # -- loading ----------------------------------------------------------------------------------

    def _new_context(self):
        from llama_cpp import Llama

        from practicum.agents.backends.local import announce
        from practicum.agents.backends.threads import choose_threads

        threads = choose_threads()
        source = _gguf_file(self.model_path)
        model = weights_for(source, self.weights)
        lora = self._gguf_adapter(source) if self.adapter else None
        llm = Llama(model_path=str(model), n_ctx=N_CTX, n_threads=threads.threads, n_threads_batch=threads.threads,
                    lora_path=str(lora) if lora else None, last_n_tokens_size=N_CTX, verbose=False)
        weights = "float16 rewrite of " if model != source else ""
        announce(f"llamacpp:{model}:{lora}", f"local model: llama.cpp on {weights}{source.name}"
                                             f"{' + LoRA ' + str(self.adapter) if lora else ''}, {threads.describe()}")
        return llm

    def _gguf_adapter(self, model: Path) -> Path:
        from practicum.agents.backends.lora_gguf import cached_gguf_adapter

        heads, kv_heads = _head_counts(model)
        return cached_gguf_adapter(self.adapter, heads, kv_heads)

    def _formatter(self, llm):
        if self._template is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise BackendError(f"{_gguf_file(self.model_path).name} has no chat template to render messages with")
            eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "replace")
            bos = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "replace")
            self._template = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        return self._template

    def _context_for(self, tokens: list[int]):
        """The context sharing the longest evaluated prefix with `tokens` (a new one while there are few)."""
        best, shared = None, 0
        for llm in self._contexts:
            n = 0
            for a, b in zip(llm._input_ids.tolist()[: llm.n_tokens], tokens):
                if a != b:
                    break
                n += 1
            if best is None or n > shared:
                best, shared = llm, n
        if best is None or (shared < 32 and len(self._contexts) < CONTEXTS):
            best, shared = self._new_context(), 0
        else:
            self._contexts.remove(best)
        self._contexts.append(best)
        return best, shared

    # -- the ChatBackend protocol -----------------------------------------------------------------

    def complete(self, messages: list[Message], options: GenerationOptions | None = None) -> Completion:
        """Answer one conversation."""
        return self.complete_batch([messages], options)[0]

    def complete_batch(self, requests: list[list[Message]],
                       options: GenerationOptions | list[GenerationOptions] | None = None) -> list[Completion]:
        """Answer several conversations, one after another."""
        per_request = options if isinstance(options, list) else [options or GenerationOptions()] * len(requests)
        return [self._generate(messages, opts or GenerationOptions()) for messages, opts in zip(requests, per_request)]

    def forget_prefixes(self) -> None:
        """Make the next requests prefill their whole prompt (benchmarks measuring prefill)."""
        for llm in self._contexts:
            llm.practicum_prefilled = 0

    def prompt_tokens(self, messages: list[Message]) -> list[int]:
        """The token ids a request's prompt becomes (the GGUF's chat template, with the generation prompt)."""
        with self._lock:
            if not self._contexts:
                self._contexts.append(self._new_context())
            llm = self._contexts[-1]
            prompt = self._formatter(llm)(messages=messages).prompt
            return llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def next_token_logits(self, messages: list[Message]):
        """The logits llama.cpp gives the first reply token (numpy): for comparing engines on the same weights."""
        import numpy as np

        tokens = self.prompt_tokens(messages)
        with self._lock:
            llm, _ = self._context_for(tokens)
            llm.reset()
            llm.practicum_prefilled = 0
            for start in range(0, len(tokens), CHUNK):
                llm.eval(tokens[start: start + CHUNK])
            return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).copy()

    def _generate(self, messages: list[Message], opts: GenerationOptions) -> Completion:
        start = time.perf_counter()
        tokens = self.prompt_tokens(messages)
        with self._lock:
            if len(tokens) + 1 >= N_CTX:
                raise BackendError(f"engine=llamacpp: the prompt has {len(tokens)} tokens; the context holds {N_CTX}")
            llm, shared = self._context_for(tokens)
            out = _decode(llm, tokens, opts, min(opts.max_tokens, N_CTX - len(tokens) - 1))
            text = llm.detokenize(out).decode("utf-8", "replace")
        for stop in opts.stop:
            if stop and stop in text:
                text = text[: text.index(stop)]
        text = cut_sentences(text, opts.max_sentences, opts.accept)
        elapsed = time.perf_counter() - start
        c = self.counters
        c["requests"] += 1
        c["prompt_tokens"] += len(tokens)
        c["reused_prompt_tokens"] += min(shared, len(tokens) - 1)
        c["generated_tokens"] += len(out)
        c["generate_seconds"] += elapsed
        return Completion(text=text.strip(), usage=Usage(prompt_tokens=len(tokens), completion_tokens=len(out)),
                          model=self.spec, latency=elapsed)


def _decode(llm, tokens: list[int], opts: GenerationOptions, budget: int) -> list[int]:
    """Prefill what the context does not hold yet, then pick each token as the transformers engine does.

    llama.cpp's own sampler penalises repeats among the generated tokens only; transformers' penalty
    (1.15, what the local engine uses) covers the prompt too. So the logits are read back and processed
    here the same way: repetition penalty over prompt and reply, then greedy, or temperature, top-k 50
    and top-p sampling from a generator seeded with the request's seed.
    """
    import numpy as np

    # Reuse only states that a prefill computed, cut at a multiple of CHUNK, and prefill in chunks aligned to
    # absolute positions: every prompt token's states then come out of the same computation as in a fresh
    # context (llama.cpp's kernels differ by batch size), so a seeded request gives the same reply whatever
    # the context held before.
    keep = 0
    for a, b in zip(llm._input_ids[: getattr(llm, "practicum_prefilled", 0)].tolist(), tokens[:-1]):
        if a != b:
            break
        keep += 1
    keep -= keep % CHUNK
    if keep and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
        llm.n_tokens = keep
    else:
        llm.reset()
        keep = 0
    for start in range(keep, len(tokens), CHUNK):
        llm.eval(tokens[start: start + CHUNK])
    llm.practicum_prefilled = len(tokens)
    rng = np.random.default_rng(opts.seed)
    seen = np.zeros(llm.n_vocab(), dtype=bool)
    seen[tokens] = True
    eos, out, counted = llm.token_eos(), [], 0
    for _ in range(budget):
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).astype(np.float64)
        picked = logits[seen]
        logits[seen] = np.where(picked < 0, picked * REPETITION_PENALTY, picked / REPETITION_PENALTY)
        if opts.temperature > 0:
            logits = logits / opts.temperature
            top = np.argpartition(logits, -TOP_K)[-TOP_K:]
            top = top[np.argsort(-logits[top], kind="stable")]
            probs = np.exp(logits[top] - logits[top[0]])
            probs /= probs.sum()
            cut = int(np.searchsorted(np.cumsum(probs), opts.top_p)) + 1  # smallest set reaching top_p
            probs = probs[:cut] / probs[:cut].sum()
            token = int(top[rng.choice(cut, p=probs)])
        else:
            token = int(np.argmax(logits))
        if token == eos:
            break
        out.append(token)
        seen[token] = True
        if opts.max_sentences:
            text = llm.detokenize(out).decode("utf-8", "replace")
            count = finished_sentences(text)
            if count != counted:  # the budget (and its acceptance check) can only change with a new sentence
                counted = count
                if reached(text, opts.max_sentences, opts.accept):
                    break
        if len(out) < budget:
            llm.eval([token])
    return out


def _head_counts(model: Path) -> tuple[int, int]:
    """Attention heads and key/value heads from a GGUF file's metadata."""
    try:
        from gguf import GGUFReader
    except ImportError:
        raise ModelMissingError("converting a LoRA adapter for llama.cpp needs the gguf package; run: pip install gguf") \
            from None
    reader = GGUFReader(str(model))
    arch = _field(reader, "general.architecture")
    heads = int(_field(reader, f"{arch}.attention.head_count"))
    kv_heads = _field(reader, f"{arch}.attention.head_count_kv")
    return heads, int(kv_heads) if kv_heads is not None else heads


def _field(reader, key: str):
    field = reader.fields.get(key)
    if field is None:
        return None
    value = field.parts[field.data[0]]
    if field.types and field.types[0].name == "STRING":
        return bytes(value).decode("utf-8")
    return value[0]
