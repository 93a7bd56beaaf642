"""The web page's server (app.py, webapp/), in-process: the API, its limits and every
kind of bad input, the batching of concurrent requests, and the files the page is made
of."""

import asyncio
import re
import threading
import time

import httpx2 as httpx
import numpy as np
import pytest
import tiny
import xmlgen
from fastapi.testclient import TestClient

import app as app_module
from config import DEFAULT_TRIES
from model import load_model
from text import wrap_text
from webapp.schema import Limits
from webapp.service import STATIC_DIR, create_app, rounded

ALPHABET = tiny.ALPHABET  # what the tiny synthesis model writes


@pytest.fixture(scope="module")
def server(tiny_models):
    app = create_app(*tiny_models, limits=Limits(max_style_points=500))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def post(client, path, body):
    """POST raw text, so that the body can be anything at all."""
    return client.post(path, content=body, headers={"Content-Type": "application/json"})


# ---------------------------------------------------------------- one seed per row


def test_a_row_with_its_own_seed_does_not_depend_on_its_neighbours(tiny_models):
    free, synthesis = (load_model(d) for d in tiny_models[:2])
    pair, _ = free.sample(300, num_samples=2, seed=[7, 8])
    crowd, _ = free.sample(300, num_samples=5, seed=[1, 2, 7, 3, 4])
    np.testing.assert_array_equal(pair[0], crowd[2])
    assert not np.array_equal(crowd[0], crowd[2])  # the seeds do differ
    alone, infos = synthesis.write(["ab", "ab"], seed=[5, 6])
    mixed, mixed_infos = synthesis.write(["cab cab cab cab", "ab", "c"], seed=[1, 5, 2])
    np.testing.assert_array_equal(alone[0], mixed[1])
    assert [i["seed"] for i in mixed_infos] == [1, 5, 2]
    with pytest.raises(ValueError, match="one seed per row"):
        synthesis.write(["ab", "ab"], seed=[5])


# ---------------------------------------------------------------- what it answers


def test_health_names_the_models_the_alphabet_and_the_limits(server):
    health = server.get("/api/health").json()
    assert health["writing"] is True and health["free_writing"] is True
    assert health["alphabet"] == ALPHABET
    assert health["limits"]["max_style_points"] == 500
    assert health["limits"]["line_length"] == 50


def test_write_returns_strokes_that_can_be_fed_back_as_a_style(server):
    answer = server.post("/api/write", json={"text": "ab cab", "bias": 0.5, "seed": 11})
    assert answer.status_code == 200, answer.text
    written = answer.json()
    strokes = np.array(written["strokes"])
    assert strokes.shape[1] == 3 and len(strokes) > 1
    assert set(np.unique(strokes[:, 2])) <= {0.0, 1.0}
    assert written["seed"] == 11 and written["stop"] in ("end", "budget")
    assert set(written) == {"strokes", "seed", "stop", "lines", "note"}  # no SVG: the page draws
    assert [line["text"] for line in written["lines"]] == ["ab cab"]
    again = server.post("/api/write", json={"text": "ab cab", "bias": 0.5, "seed": 11}).json()
    assert again["strokes"] == written["strokes"]  # a seed writes the same again
    styled = server.post("/api/write", json={"text": "ba", "seed": 1, "style": {
        "strokes": written["strokes"], "text": "ab cab"}})
    assert styled.status_code == 200, styled.text
    assert styled.json()["strokes"] != server.post(
        "/api/write", json={"text": "ba", "seed": 1}).json()["strokes"]  # the style counts


def test_long_text_is_wrapped_as_sample_py_wraps_it(server):
    text = "abc " * 30 + "\nab"
    written = server.post("/api/write", json={"text": text, "seed": 3}).json()
    lines = [line["text"] for line in written["lines"]]
    assert lines == wrap_text(text, 50) and len(lines) == 4
    assert [line["seed"] for line in written["lines"]] == [3, 4, 5, 6]
    # the page: its lines one below the other, each as the line alone
    page = np.array(written["strokes"])
    assert len(page) == sum(len(line["strokes"]) for line in written["lines"])
    by_lines = server.post("/api/write", json={"lines": ["ab", "ba"], "seed": 3}).json()
    assert [line["text"] for line in by_lines["lines"]] == ["ab", "ba"]


@pytest.mark.parametrize("tries", [None, 1, 3])
def test_the_page_writes_what_model_write_page_writes_for_a_seed(server, tiny_models, tries):
    lines = ["ab cab", "ba", "cab"]
    asked = {} if tries is None else {"tries": tries}
    page = server.post("/api/write", json={"lines": lines, "seed": 8, "bias": 0.5,
                                           **asked}).json()
    writer = load_model(tiny_models[1])
    writer.reader = load_model(tiny_models[2])  # the app's recogniser picks the tries
    strokes, infos = writer.write_page(lines, bias=0.5, seed=8, tries=tries or DEFAULT_TRIES)
    assert [line["seed"] for line in page["lines"]] == [info["seed"] for info in infos]
    assert [line["strokes"] for line in page["lines"]] == [rounded(s) for s in strokes]
    assert [line["reading"] for line in page["lines"]] == [info["reading"] for info in infos]


def test_sample_writes_the_points_asked_for_and_carries_on_from_a_prime(server):
    answer = server.post("/api/sample", json={"num_points": 120, "seed": 4, "bias": 1.0})
    assert answer.status_code == 200, answer.text
    strokes = answer.json()["strokes"]
    assert len(strokes) == 120 and answer.json()["seed"] == 4
    fresh = server.post("/api/sample", json={"num_points": 120}).json()
    assert 0 <= fresh["seed"] < 2**31  # a seed is chosen and shown
    primed = server.post("/api/sample", json={"num_points": 120, "seed": 4,
                                              "prime": strokes[:50]})
    assert primed.status_code == 200, primed.text
    assert primed.json()["strokes"] != strokes


# ---------------------------------------------------------------- bad input

BAD = [
    # (path, body, status, what the message says)
    ("/api/write", '{"text": "abz é"}', 422, r"cannot write: 'z' 'é'\. It writes: abc"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [5, 5, 1]], '
                   '"text": "xy"}}', 422, r"'x' 'y'"),
    ("/api/write", '{"text": "ab"', 422, r"not valid JSON"),
    ("/api/write", "not json at all", 422, r"not valid JSON"),
    ("/api/write", "[1, 2]", 422, r"valid dictionary"),
    ("/api/write", '{"text": 5}', 422, r"text: .*string"),
    ("/api/write", '{"lines": "ab"}', 422, r"lines: .*list"),
    ("/api/write", '{"text": "ab", "bias": "high"}', 422, r"bias: .*number"),
    ("/api/write", '{"text": "ab", "tries": 0}', 422, r"tries: .*greater than or equal to 1"),
    ("/api/write", '{"text": "ab", "tries": 17}', 422, r"tries: .*less than or equal to 16"),
    ("/api/write", '{"text": "ab", "tries": 2.5}', 422, r"tries: .*integer"),
    ("/api/write", '{"text": "ab", "seed": 1.5}', 422, r"seed: .*integer"),
    ("/api/write", '{"text": "ab", "seed": true}', 422, r"seed: .*integer"),
    ("/api/write", '{"text": "ab", "bias": NaN}', 422, r"bias: .*finite"),
    ("/api/write", '{"text": "ab", "bias": Infinity}', 422, r"bias: .*finite"),
    ("/api/write", '{"text": "ab", "bias": 1e999}', 422, r"bias: .*finite"),
    ("/api/write", '{"text": "ab", "bias": -1}', 422, r"bias: .*greater than or equal to 0"),
    ("/api/write", '{"text": "ab", "bias": 11}', 422, r"bias: .*less than or equal to 10"),
    ("/api/write", '{"text": "ab", "seed": -3}', 422,
     r"seed: a seed is a whole number from 0 to 2147483647, not -3"),
    ("/api/write", '{"text": "ab", "seed": 1099511627776}', 422,
     r"seed: a seed is a whole number from 0 to 2147483647, not 1099511627776"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [NaN, 1, 1]], '
                   '"text": "a"}}', 422, r"style.strokes.1.0: .*finite"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [1, 1]], "text": "a"}}',
     422, r"style.strokes.1: .*at least 3"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [5, 5, 1]]}}', 422,
     r"style.text: Field required"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [5, 5, 1]], "text": " "}}',
     422, r"style needs the text"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 1]], "text": "a"}}', 422,
     r"at least two points"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [5, 5, 0.5]], '
                   '"text": "a"}}', 422, r"eos .* 0 or 1"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [1e30, 5, 1]], '
                   '"text": "a"}}', 422, r"larger than"),
    ("/api/write", '{"text": "ab", "style": {"strokes": ' + str([[1, 1, 0]] * 501) +
     ', "text": "a"}}', 422, r"501 points; at most 500"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [5, 5, 1]], '
                   '"text": "' + "a" * 101 + '"}}', 422, r"style.text has 101 characters"),
    ("/api/write", '{"text": "' + "ab " * 134 + '"}', 422, r"402 characters; at most 400"),
    ("/api/write", '{"text": "' + "a\\n" * 9 + '"}', 422, r"9 lines .* at most 8"),
    ("/api/write", '{"text": "   \\n  "}', 422, r"nothing to write"),
    ("/api/write", '{"lines": []}', 422, r"nothing to write"),
    ("/api/write", '{}', 422, r"either text or lines"),
    ("/api/write", '{"text": "ab", "lines": ["ab"]}', 422, r"either text or lines"),
    ("/api/write", '{"text": "ab", "model_dir": "/etc"}', 422, r"model_dir: Extra inputs"),
    ("/api/write", '{"text": "ab", "style": {"strokes": [[0, 0, 0], [5, 5, 1]], "text": "a", '
                   '"path": "/etc/passwd"}}', 422, r"style.path: Extra inputs"),
    ("/api/sample", '{"num_points": -1}', 422, r"num_points: .*greater than or equal to 1"),
    ("/api/sample", '{"num_points": 0}', 422, r"num_points: .*greater than or equal to 1"),
    ("/api/sample", '{"num_points": 1000000000}', 422, r"1000000000; at most 2000"),
    ("/api/sample", '{"num_points": "800"}', 422, r"num_points: .*integer"),
    ("/api/sample", '{"num_points": 1e400}', 422, r"num_points: .*integer"),
    ("/api/sample", '{"prime": [[0, 0, 0]]}', 422, r"prime needs at least two points"),
    ("/api/sample", '{"prime": [[0, 0, 0], [Infinity, 0, 1]]}', 422, r"prime.1.0: .*finite"),
    ("/api/sample", '{"model_dir": "save"}', 422, r"model_dir: Extra inputs"),
    ("/api/read", '{"strokes": []}', 422, r"strokes needs at least two points, not 0"),
    ("/api/read", '{"strokes": [[0, 0, 1]]}', 422, r"strokes needs at least two points, not 1"),
    ("/api/read", '{"strokes": [[0, 0, 0], [NaN, 1, 1]]}', 422, r"strokes.1.0: .*finite"),
    ("/api/read", '{"strokes": [[0, 0, 0], [1, 1]]}', 422, r"strokes.1: .*at least 3"),
    ("/api/read", '{"strokes": [[0, 0, 0], [5, 5, 2]]}', 422, r"eos .* 0 or 1"),
    ("/api/read", '{"strokes": [[0, 0, 0], [1e30, 5, 1]]}', 422, r"larger than"),
    ("/api/read", '{"strokes": ' + str([[1, 1, 0]] * 501) + '}', 422, r"501 points; at most 500"),
    ("/api/read", '{"strokes": "abc"}', 422, r"strokes: .*list"),
    ("/api/read", '{}', 422, r"strokes: Field required"),
    ("/api/read", '{"strokes": [[0, 0, 0], [5, 5, 1]], "model_dir": "/"}', 422,
     r"model_dir: Extra inputs"),
]


@pytest.mark.parametrize("path, body, status, message", BAD,
                         ids=[f"{i}-{b[:40]}" for i, (_, b, _, _) in enumerate(BAD)])
def test_bad_input_gets_a_4xx_that_says_what_is_wrong(server, path, body, status, message):
    answer = post(server, path, body)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and re.search(message, detail), detail
    assert "Traceback" not in answer.text and len(answer.text) < 2000


def test_a_huge_body_is_refused_before_it_is_parsed(server):
    huge = '{"text": "' + "a" * 300_000 + '"}'
    answer = post(server, "/api/write", huge)
    assert answer.status_code == 413 and "262144 bytes" in answer.json()["detail"]

    def chunks():  # no Content-Length: counted as it comes
        yield b'{"text": "'
        for _ in range(40):
            yield b"a" * 10_000
        yield b'"}'

    answer = server.post("/api/write", content=chunks(),
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert server.get("/api/health").status_code == 200


def test_what_the_model_refuses_is_a_422_and_a_failure_is_no_traceback(tiny_models,
                                                                       monkeypatch):
    app = create_app(*tiny_models)
    client = TestClient(app, raise_server_exceptions=False)
    synthesis = app.state.models.synthesis

    def refuse(*args, **kwargs):
        raise ValueError("this line is too hard")

    monkeypatch.setattr(synthesis, "write", refuse)
    answer = client.post("/api/write", json={"text": "ab"})
    assert answer.status_code == 422 and answer.json()["detail"] == "this line is too hard"

    def fail(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(synthesis, "write", fail)
    answer = client.post("/api/write", json={"text": "ab"})
    assert answer.status_code == 500
    assert "out of memory" not in answer.text and "Traceback" not in answer.text
    assert "log" in answer.json()["detail"]


def test_without_a_synthesis_model_it_writes_freely_and_says_why(tiny_models, tmp_path):
    app = create_app(tiny_models[0], tmp_path / "not-yet")
    client = TestClient(app)
    health = client.get("/api/health").json()
    assert health["writing"] is False and health["alphabet"] is None
    assert "not-yet" in health["why_not_writing"] and "train.py --synthesis" in \
        health["why_not_writing"]
    answer = client.post("/api/write", json={"text": "ab"})
    assert answer.status_code == 503 and "synthesis model" in answer.json()["detail"]
    assert client.post("/api/sample", json={"num_points": 30}).status_code == 200


def test_read_gives_what_the_recogniser_reads_of_a_line(server, tiny_models):
    rng = np.random.default_rng(4)
    lines = [xmlgen.steps_of(xmlgen.random_line(rng, n)) for n in (40, 300)]
    reader = load_model(tiny_models[2])
    for line in lines:
        answer = server.post("/api/read", json={"strokes": line.tolist()})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"text": reader.read(line)}
    assert server.get("/api/health").json()["reading"] is True


def test_without_a_recogniser_read_says_why(tiny_models, tmp_path):
    client = TestClient(create_app(*tiny_models[:2], tmp_path / "no-reader"))
    health = client.get("/api/health").json()
    assert health["reading"] is False and "train.py --recognizer" in health["why_not_reading"]
    answer = client.post("/api/read", json={"strokes": [[0, 0, 0], [5, 5, 1]]})
    assert answer.status_code == 503 and "no-reader" in answer.json()["detail"]


def test_a_synthesis_model_as_the_free_model_is_refused(tiny_models):
    with pytest.raises(ValueError, match="--synthesis_dir"):
        create_app(tiny_models[1], tiny_models[1])


def test_command_line_limits_are_checked_before_anything_loads(tmp_path, capsys):
    for argv, message in ((["--max_batch", "0"], "max_batch must be positive"),
                          (["--batch_wait_ms", "-1"], "batch_wait_ms must be zero or positive"),
                          (["--port", "0"], "--port must be between"),
                          (["--model_dir", str(tmp_path)], "holds no model")):
        with pytest.raises(SystemExit):
            app_module.main(argv)
        assert message in capsys.readouterr().err


# ---------------------------------------------------------------- batching


def test_concurrent_requests_share_model_calls_and_write_as_they_would_alone(tiny_models):
    app = create_app(*tiny_models, limits=Limits(batch_wait_ms=200))
    batcher = app.state.batcher

    async def together(bodies):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/api/sample", json=b) for b in bodies))

    bodies = [{"num_points": 80, "seed": seed, "bias": 0.5} for seed in range(8)]
    calls = batcher.calls
    answers = asyncio.run(together(bodies))
    assert all(a.status_code == 200 for a in answers)
    assert batcher.calls - calls < len(bodies)  # gathered into fewer calls
    assert batcher.rows >= len(bodies)
    client = TestClient(app)
    for body, answer in zip(bodies[:3], answers):
        alone = client.post("/api/sample", json=body).json()
        assert alone["strokes"] == answer.json()["strokes"]
    texts = [{"text": t, "seed": 2} for t in ("ab", "ba", "cab", "ab")]
    written = asyncio.run(together_write(app, texts))
    assert written[0]["strokes"] == written[3]["strokes"]  # same text, same seed
    assert written[0]["strokes"] != written[1]["strokes"]


async def together_write(app, bodies):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = await asyncio.gather(*(client.post("/api/write", json=b) for b in bodies))
    return [a.json() for a in answers]


def test_health_answers_while_the_model_writes(tiny_models, monkeypatch):
    app = create_app(*tiny_models, limits=Limits(max_queue=2))
    free, batcher = app.state.models.free, app.state.batcher
    sample = free.sample
    writing, release = threading.Event(), threading.Event()

    def held(*args, **kwargs):  # the model writes until the test lets it finish
        writing.set()
        release.wait(120)
        return sample(*args, **kwargs)

    monkeypatch.setattr(free, "sample", held)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = asyncio.ensure_future(client.post("/api/sample", json={"num_points": 40}))
            assert await asyncio.to_thread(writing.wait, 120)
            health = await asyncio.wait_for(client.get("/api/health"), 120)
            still_writing = not first.done()
            queued = [asyncio.ensure_future(client.post("/api/sample",
                                                        json={"num_points": 40, "bias": b}))
                      for b in (1.0, 2.0, 3.0)]
            deadline = time.monotonic() + 120
            while batcher.queue.qsize() < 2:  # two wait, the third is turned away
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            release.set()
            return health, still_writing, await first, await asyncio.gather(*queued)

    try:
        health, still_writing, written, queued = asyncio.run(scenario())
    finally:
        release.set()
    # answered while the model was writing, however long the machine takes for either
    assert health.status_code == 200 and still_writing
    assert health.json()["busy_s"] is not None
    assert written.status_code == 200
    statuses = sorted(a.status_code for a in queued)
    assert statuses == [200, 200, 503]  # the queue holds two
    turned_away = next(a for a in queued if a.status_code == 503)
    assert turned_away.headers["Retry-After"] == "1" and "busy" in turned_away.json()["detail"]


# ---------------------------------------------------------------- IAM-OnDB styles


def test_a_data_set_line_is_a_style_for_this_machine_only(tiny_models, tmp_path):
    rng = np.random.default_rng(0)
    strokes, texts = {}, {}
    for f, text in enumerate(["ab ca", "bad one", "cc ba"]):
        form = xmlgen.form_of(xmlgen.line_id(f * 6))
        texts[form] = [text]
        strokes[f"{form}-01"] = xmlgen.random_line(rng, 60)
    xmlgen.write_data_folder(tmp_path, strokes)
    xmlgen.write_ascii_folder(tmp_path, texts)
    app = create_app(*tiny_models, data_dir=tmp_path)
    client = TestClient(app)
    deadline = time.monotonic() + 60
    while client.get("/api/health").json()["styles_from_data"] == "loading":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert client.get("/api/health").json()["styles_from_data"] == "ready"
    seen = {client.get("/api/style").json()["text"] for _ in range(20)}
    assert seen == {"ab ca", "cc ba"}  # "bad one" holds letters the model cannot write
    line = client.get("/api/style").json()
    assert len(line["strokes"]) == 60
    answer = client.post("/api/write", json={"text": "ab", "style": line})
    assert answer.status_code == 422 and "line: Extra inputs" in answer.json()["detail"]
    style = {"strokes": line["strokes"], "text": line["text"]}
    assert client.post("/api/write", json={"text": "ab", "style": style}).status_code == 200
    elsewhere = TestClient(app, client=("203.0.113.9", 40000))
    assert elsewhere.get("/api/style").status_code == 403
    assert TestClient(create_app(*tiny_models)).get("/api/style").status_code == 404


# ---------------------------------------------------------------- the page and the docs

STATIC = STATIC_DIR


def page_modules():
    """The page's ES modules: static/main.js and every module it imports, and so on."""
    found, todo = set(), ["main.js"]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += re.findall(r'from "\./([\w.]+\.js)"', (STATIC / name).read_text())
    return sorted(found)


def test_the_page_and_its_files_are_served_and_fetch_nothing_from_elsewhere(server):
    page = server.get("/")
    assert page.status_code == 200 and "<textarea" in page.text
    # addresses relative to the page, so that a static build works in any folder of a host
    local = ["/" + a for a in re.findall(r'(?:src|href)="([^":]+)"', page.text)]
    assert {"/static/main.js", "/static/app.css", "/docs"} <= set(local)
    assert '<script type="module" src="static/main.js">' in page.text
    for path in local:
        assert server.get(path).status_code == 200, path
    modules = page_modules()
    assert {"api.js", "pad.js", "paper.js", "state.js"} <= set(modules)
    for name in modules:
        # a browser runs a module only if it comes as JavaScript
        served = server.get(f"/static/{name}")
        assert served.status_code == 200, name
        assert "javascript" in served.headers["content-type"], (name, served.headers)
    for name in ("index.html", "app.css", *modules):
        text = (STATIC / name).read_text()
        # the only addresses elsewhere: the SVG namespace, and a link to the paper
        for url in re.findall(r"https?://[^\s\"'`)]+", text):
            assert url in ("http://www.w3.org/2000/svg", "https://arxiv.org/abs/1308.0850"), url
        assert "@import" not in text and "url(http" not in text


def test_the_docs_work_offline(server):
    docs = server.get("/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset  # nothing from a CDN
        assert server.get(asset).status_code == 200, asset
    schema = server.get("/openapi.json").json()
    assert {"/api/write", "/api/sample", "/api/health"} <= set(schema["paths"])


def test_warm_up_compiles_the_page_s_first_requests_on_the_model_s_thread(tiny_models):
    app = create_app(*tiny_models, warmup=True,
                                limits=Limits(line_length=40))
    client = TestClient(app)
    deadline = time.monotonic() + 120
    # free writing, then the page's text and a line of each padded width (15, 31 and 47
    # characters and the end mark)
    while client.get("/api/health").json()["model_calls"] < 5:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    write_loop = app.state.models.synthesis._write_loop
    traced = write_loop.experimental_get_tracing_count()
    assert traced == 3  # widths 16, 32 and 48
    for text in ("ab", "abc abc abc abc abc", "abc " * 10):  # one request of each width
        assert client.post("/api/write", json={"text": text.strip()}).status_code == 200
    assert write_loop.experimental_get_tracing_count() == traced  # nothing new to compile
    assert client.post("/api/sample", json={"num_points": 700}).status_code == 200


def test_a_json_body_is_read_whatever_its_content_type_and_any_other_told_what_to_send(server):
    body = b'{"text": "ab", "seed": 1, "tries": 1}'
    plain = server.post("/api/write", content=body,
                        headers={"content-type": "application/json"}).json()
    for headers in ({}, {"content-type": "application/x-www-form-urlencoded"},  # curl -d
                    {"content-type": "text/plain"}):
        answer = server.post("/api/write", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["strokes"] == plain["strokes"]
    refused = server.post("/api/write", content=b"text=ab",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 422
    assert "as a JSON object" in refused.json()["detail"]
    assert "Content-Type: application/json" in refused.json()["detail"]


def test_max_tries_is_at_least_tries_and_each_line_says_whether_it_read_right(server):
    answer = server.post("/api/write", json={"text": "ab", "seed": 2, "tries": 2,
                                             "max_tries": 4})
    assert answer.status_code == 200
    for line in answer.json()["lines"]:
        assert line["read_right"] == (line["reading"].replace(" ", "") == "ab")
    for path in ("/api/write", "/api/paper"):  # checked with the request's other fields
        refused = server.post(path, json={"text": "ab", "tries": 3, "max_tries": 2})
        assert refused.status_code == 422
        assert refused.json()["detail"] == ("max_tries (2) is fewer than tries (3): give at "
                                            "least as many")


# ---------------------------------------------------------------- paper


def paper_events(client, body):
    """POST /api/paper: its status and its NDJSON lines, read."""
    import json

    answer = client.post("/api/paper", json=body)
    if answer.status_code != 200:
        return answer.status_code, answer.json()
    return 200, [json.loads(line) for line in answer.text.splitlines() if line]


def test_paper_streams_progress_then_the_pages_in_mm_and_the_pdf(server, tiny_models):
    import base64
    import xml.etree.ElementTree as ET

    from paper import Paper

    text = "ab cab " * 30 + "\n\nbac ab"
    body = {"text": text, "paper": "60x50mm", "margins": "5", "size": 2, "seed": 3,
            "tries": 1, "bias": 0.5}
    status, events = paper_events(server, body)
    assert status == 200
    *progress, last = events
    document = last["document"]
    counts = [e["progress"]["lines"] for e in progress]
    assert progress and counts == sorted(counts)
    assert progress[-1]["progress"]["lines"] == progress[-1]["progress"]["of"]
    # what sample.py --paper and Writer.on_paper write for the same seed
    writer = load_model(tiny_models[1])
    doc = writer.on_paper(text, Paper.of("60x50mm", margins="5", size=2), bias=0.5, seed=3,
                          tries=1)
    assert len(document["pages"]) == len(doc.pages) >= 2
    assert [p["lines"] for p in document["pages"]] == [[line.text for line in page]
                                                       for page in doc.pages]
    root = ET.fromstring(document["pages"][0]["svg"])
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == \
        ("60mm", "50mm", "0 0 60 50")
    assert base64.b64decode(document["pdf"]).startswith(b"%PDF")


@pytest.mark.parametrize("body, message", [
    ({"text": "ab", "margins": "110"}, "margins 110 leave"),
    ({"text": "ab", "paper": "b9"}, "paper b9"),
    ({"text": "   "}, "empty"),
    ({"text": "ab\n\nA"}, "'A'"),
    ({"text": "ab", "align": "justify"}, "align"),
    ({"text": "a" * 6001}, "at most 6000")])
def test_bad_paper_requests_get_a_422_naming_the_field(server, body, message):
    status, answer = paper_events(server, body)
    assert status == 422 and message in answer["detail"], answer
