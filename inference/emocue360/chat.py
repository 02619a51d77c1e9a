"""Cue extraction through an OpenAI-compatible chat endpoint (the paper used deepseek-chat).

Standard library only (urllib): POST ``{base_url}/chat/completions`` in JSON mode, check
the answer against the cue schema, retry transient failures with backoff, and cache
answers by (endpoint model, prompt version, sha256 of the description).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .cues import KIND_INFERENCE, KIND_OBSERVATION, KIND_SUBTITLE, MODALITIES, Cue, CueSet

PROMPT_VERSION = "emocue360-chat-1"

SYSTEM_PROMPT = """You split a description of a person's emotional state in a video clip into \
short atomic statements. Answer with one JSON object with exactly four keys:
"visual": what can be seen (face, gaze, gestures, posture, scene);
"auditory": how the voice sounds (tone, volume, speed, pauses, laughter, sighs);
"subtitle": the words the person says, quoted in the description, one entry per utterance;
"emotional": inferred feelings, moods and intentions.
Each value is a list of strings; each string is one observation of a few words, without \
hedges ("it seems", "may") or connectives. Use [] when the description says nothing.

Example description:
In the video, the man leans back and rolls his eyes while the room behind him is dark. \
In the audio, he speaks slowly and sighs twice. He says "not again". Therefore, he is \
annoyed and tired.
Example answer:
{"visual": ["The man leans back.", "He rolls his eyes.", "The room is dark."],
 "auditory": ["He speaks slowly.", "He sighs twice."],
 "subtitle": ["not again"],
 "emotional": ["He is annoyed.", "He is tired."]}"""

_KEYS = (*MODALITIES, "subtitle")


class CueExtractionError(RuntimeError):
    """The chat endpoint failed or kept answering outside the cue schema."""


def parse_chat_answer(content: str) -> CueSet:
    """Check one chat answer against the schema and return cues.

    Args:
        content: the assistant message (a JSON object as text).

    Returns:
        {"visual", "auditory", "emotional"}; "subtitle" entries become auditory cues of
        kind "subtitle".

    Raises:
        ValueError: naming what is wrong with the answer.
    """
    try:
        data = json.loads(content)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"answer is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"answer must be a JSON object, got {type(data).__name__}")
    unknown = set(data) - set(_KEYS)
    if unknown:
        raise ValueError(f"answer has unknown key(s) {sorted(unknown)}")
    missing = [k for k in MODALITIES if k not in data]
    if missing:
        raise ValueError(f"answer lacks key(s) {missing}")
    for key in _KEYS:
        values = data.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"answer[{key!r}] must be a list of strings")
    clean = {k: [v.strip() for v in data.get(k, []) if v.strip()] for k in _KEYS}
    return {
        "visual": [Cue(t, KIND_OBSERVATION) for t in clean["visual"]],
        "auditory": [Cue(t, KIND_SUBTITLE) for t in clean["subtitle"]]
        + [Cue(t, KIND_OBSERVATION) for t in clean["auditory"]],
        "emotional": [Cue(t, KIND_INFERENCE) for t in clean["emotional"]],
    }


class _AnswerCache:
    """Chat answers by key, in memory and optionally in a SQLite file shared by processes."""

    def __init__(self, path: str | Path | None) -> None:
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._conn = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(path), timeout=60, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS chat_answer "
                "(key TEXT PRIMARY KEY, content TEXT NOT NULL)"
            )

    def get(self, key: str) -> str | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
            if self._conn is not None:
                row = self._conn.execute(
                    "SELECT content FROM chat_answer WHERE key = ?", (key,)
                ).fetchone()
                if row:
                    self._memory[key] = row[0]
                    return row[0]
        return None

    def put(self, key: str, content: str) -> None:
        with self._lock:
            self._memory[key] = content
            if self._conn is not None:
                self._conn.execute(
                    "INSERT OR REPLACE INTO chat_answer (key, content) VALUES (?, ?)",
                    (key, content),
                )


class ChatCueExtractor:
    """Extract cues with an OpenAI-compatible chat-completions endpoint.

    Args:
        base_url: e.g. "https://api.deepseek.com" or "http://127.0.0.1:8000/v1";
            "/chat/completions" is appended.
        model: the endpoint's model name, e.g. "deepseek-chat".
        api_key: sent as a Bearer token when given.
        timeout_s: per request.
        max_attempts: tries per description (transport errors, HTTP 408/429/5xx and
            answers outside the schema are retried; other HTTP errors are not).
        backoff_s: first wait between tries, doubled each time.
        cache_path: optional SQLite file to keep answers across runs and processes.
        json_mode: send ``response_format={"type": "json_object"}``.

    Example:
        >>> ex = ChatCueExtractor(base_url="https://api.deepseek.com", model="deepseek-chat",
        ...                       api_key=os.environ["EMOCUE360_CHAT_API_KEY"])
        >>> ex.extract("In the video, he frowns. ...")["visual"]
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        cache_path: str | Path | None = None,
        json_mode: bool = True,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if not model:
            raise ValueError("model must name the endpoint's chat model, e.g. 'deepseek-chat'")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.json_mode = json_mode
        self._cache = _AnswerCache(cache_path)
        self.requests_made = 0

    def _cache_key(self, text: str) -> str:
        raw = f"{self.model}\x00{PROMPT_VERSION}\x00{text}".encode()
        return hashlib.sha256(raw).hexdigest()

    def _post(self, text: str) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text},
            ],
            "temperature": 0,
        }
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        self.requests_made += 1
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            payload = json.loads(response.read().decode("utf-8"))
        try:
            return payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ValueError("response has no choices[0].message.content") from None

    def extract(self, text: str) -> CueSet:
        """Extract cues from one description (cached).

        Raises:
            ValueError: if ``text`` is not a non-empty string.
            CueExtractionError: when every attempt failed; the message names the last
                problem (HTTP status, transport error or schema problem).
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError("description must be a non-empty string")
        key = self._cache_key(text)
        cached = self._cache.get(key)
        if cached is not None:
            return parse_chat_answer(cached)
        last_problem = "no attempt made"
        for attempt in range(self.max_attempts):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                content = self._post(text)
                cues = parse_chat_answer(content)
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:200].decode("utf-8", "replace")
                last_problem = f"HTTP {exc.code} from {self.url}: {detail}"
                if exc.code not in (408, 409, 425, 429) and exc.code < 500:
                    raise CueExtractionError(last_problem) from None
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_problem = f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}"
                continue
            except ValueError as exc:  # bad JSON envelope or answer outside the schema
                last_problem = f"unusable answer: {exc}"
                continue
            self._cache.put(key, content)
            return cues
        raise CueExtractionError(
            f"cue extraction failed after {self.max_attempts} attempt(s): {last_problem}"
        )

    def extract_many(
        self, descriptions: Mapping[str, str], *, progress: bool = False
    ) -> dict[str, CueSet]:
        from .extract import extract_many

        return extract_many(self, descriptions, progress=progress)
