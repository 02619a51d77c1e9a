"""The chat extractor against canned answers from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inference.emocue360 import ChatCueExtractor, CueExtractionError, parse_chat_answer

GOOD_ANSWER = {
    "visual": ["He frowns.", "He looks away."],
    "auditory": ["His voice is low."],
    "subtitle": ["leave me alone"],
    "emotional": ["He is sad."],
}


class CannedServer:
    """Serves queued (status, body) answers to POST /v1/chat/completions and records requests."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str]] = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                server.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status, body = (
                    server.answers.pop(0) if server.answers else (500, "no answer queued")
                )
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def chat(self, content) -> tuple[int, str]:
        text = content if isinstance(content, str) else json.dumps(content)
        return 200, json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]})


@pytest.fixture
def server():
    s = CannedServer()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def extractor(server, **kw):
    return ChatCueExtractor(
        base_url=server.base_url, model="deepseek-chat", api_key="k-test", backoff_s=0.01, **kw
    )


def test_request_and_answer(server):
    server.answers.append(server.chat(GOOD_ANSWER))
    cues = extractor(server).extract("In the video, he frowns.")
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer k-test"
    assert request["body"]["model"] == "deepseek-chat"
    assert request["body"]["response_format"] == {"type": "json_object"}
    assert request["body"]["messages"][-1] == {
        "role": "user",
        "content": "In the video, he frowns.",
    }
    assert [c.text for c in cues["visual"]] == ["He frowns.", "He looks away."]
    assert [(c.text, c.kind) for c in cues["auditory"]] == [
        ("leave me alone", "subtitle"),
        ("His voice is low.", "observation"),
    ]
    assert [c.text for c in cues["emotional"]] == ["He is sad."]


def test_transient_errors_and_bad_answers_are_retried(server):
    server.answers += [
        (503, "busy"),
        server.chat("not json at all"),
        server.chat({"visual": ["x"], "auditory": "oops", "emotional": []}),
        server.chat(GOOD_ANSWER),
    ]
    cues = extractor(server).extract("text")
    assert len(server.requests) == 4
    assert cues["emotional"][0].text == "He is sad."


def test_gives_up_with_the_last_problem(server):
    server.answers += [server.chat({"visual": []})] * 3
    with pytest.raises(
        CueExtractionError,
        match=r"after 3 attempt\(s\).*lacks key\(s\) \['auditory', 'emotional'\]",
    ):
        extractor(server, max_attempts=3).extract("text")
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(server):
    server.answers += [(401, '{"error": "bad key"}'), server.chat(GOOD_ANSWER)]
    with pytest.raises(CueExtractionError, match=r"HTTP 401 .*bad key"):
        extractor(server).extract("text")
    assert len(server.requests) == 1


def test_answers_are_cached_in_memory_and_in_a_file(server, tmp_path):
    server.answers.append(server.chat(GOOD_ANSWER))
    first = extractor(server, cache_path=tmp_path / "chat.sqlite")
    a = first.extract("same text")
    b = first.extract("same text")
    fresh = extractor(server, cache_path=tmp_path / "chat.sqlite")
    c = fresh.extract("same text")
    assert a == b == c
    assert len(server.requests) == 1 and fresh.requests_made == 0


def test_unreachable_endpoint(tmp_path):
    ex = ChatCueExtractor(
        base_url="http://127.0.0.1:9/v1", model="m", max_attempts=2, backoff_s=0.01, timeout_s=2
    )
    with pytest.raises(
        CueExtractionError, match="cannot reach http://127.0.0.1:9/v1/chat/completions"
    ):
        ex.extract("text")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "must be a JSON object"),
        (
            '{"visual": [], "auditory": [], "emotional": [], "mood": []}',
            r"unknown key\(s\) \['mood'\]",
        ),
        (
            '{"visual": [1], "auditory": [], "emotional": []}',
            r"answer\['visual'\] must be a list of strings",
        ),
        ("{", "not JSON"),
    ],
)
def test_schema_check(content, message):
    with pytest.raises(ValueError, match=message):
        parse_chat_answer(content)


def test_configuration_errors():
    with pytest.raises(ValueError, match="base_url must be an http"):
        ChatCueExtractor(base_url="api.deepseek.com", model="deepseek-chat")
    with pytest.raises(ValueError, match="model must name"):
        ChatCueExtractor(base_url="https://api.deepseek.com", model="")
