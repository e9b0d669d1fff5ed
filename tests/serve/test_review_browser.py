"""The review page in headless Chromium: log in, open an episode, reject a code, add one through search,
move it up, submit; then the stored review in the database is exactly what the page showed."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from serve_fakes import CODER, FakePipeline, FakeTerminology

from autocoder.serve.settings import ServeSettings
from autocoder.serve.store import ReviewStore

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium missing "
                                 "(run scripts/install_chromium.sh as root)")]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
LETTER = ("Discharge summary\nDiagnosis: infective exacerbation of COPD with pneumonia.\n"
          "Past history: hypertension.\nProcedure: non-invasive ventilation.\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def live_server(tmp_path, monkeypatch):
    import uvicorn

    from autocoder.serve.app import create_app

    monkeypatch.setenv("AUTOCODER_HOME", str(tmp_path / "home"))
    term = FakeTerminology()
    store = ReviewStore(f"sqlite:///{tmp_path / 'review.db'}", terminology=term)
    port = _free_port()
    settings = ServeSettings(api_keys={"coder-key": "coder:carol"}, port=port, start_worker=False)
    app = create_app(settings, pipeline=FakePipeline(), store=store, terminology=term)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    t0 = time.monotonic()
    while not server.started:
        if time.monotonic() - t0 > 20:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    th.join(10)
    store.close()


def test_review_page_reject_add_move_submit(live_server):
    import httpx
    from playwright.sync_api import sync_playwright

    base, store = live_server
    r = httpx.post(f"{base}/v1/code", json={"id": "EP-B1", "text": LETTER}, headers=CODER)
    assert r.status_code == 200
    assert [d["code"] for d in r.json()["diagnoses"]] == ["J44.1", "I10", "J18.9"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{base}/review")
            page.fill("#api-key", "coder-key")
            page.fill("#reviewer", "coder-17")
            page.click("#login-btn")
            page.wait_for_selector("#worklist tbody tr[data-id='EP-B1']")
            page.keyboard.press("j")          # keyboard: select the row, Enter opens it
            page.keyboard.press("Enter")
            page.wait_for_selector("#dx-list li[data-code='J44.1']")
            # evidence highlighted in the letter for the selected (first) code
            assert page.inner_text("#letter mark.active") == "COPD"
            # reject the pneumonia code
            page.click("#dx-list li[data-code='J18.9'] button.reject")
            assert "rejected" in page.get_attribute("#dx-list li[data-code='J18.9']", "class")
            # keyboard: select J44.1 (k moves up) and accept it with "a"
            page.click("#dx-list li[data-code='J44.1'] .code")
            page.keyboard.press("a")
            assert "accepted" in page.get_attribute("#dx-list li[data-code='J44.1']", "class")
            # add atrial fibrillation through search ("/" focuses the box)
            page.keyboard.press("/")
            assert page.evaluate("document.activeElement.id") == "code-search"
            page.keyboard.type("atrial")
            page.wait_for_selector("#search-results button[data-code='I48.9']")
            page.click("#search-results button[data-code='I48.9']")
            page.wait_for_selector("#dx-list li[data-code='I48.9']")
            # move it up twice: J44.1, I48.9, I10, J18.9
            page.click("#dx-list li[data-code='I48.9'] button.up")
            page.click("#dx-list li[data-code='I48.9'] button.up")
            order = page.eval_on_selector_all("#dx-list li", "els => els.map(e => e.dataset.code)")
            assert order == ["J44.1", "I48.9", "I10", "J18.9"]
            page.screenshot(path=str(Path(store.url.removeprefix("sqlite:///")).with_name("episode.png")))
            page.keyboard.press("Enter")      # keyboard submit (focus is on the moved code)
            page.wait_for_selector("#worklist-view:not([hidden])")
            assert "saved" in page.inner_text("#worklist-title")
        finally:
            browser.close()

    st = store.get("EP-B1")
    assert len(st.reviews) == 1
    rec = st.reviews[0]
    assert rec.reviewer == "coder-17" and rec.model_version == "fake@1"
    assert rec.final_diagnoses == ["J44.1", "I48.9", "I10"]
    assert rec.final_procedures == ["E85.1"]
    decisions = {d.code: d.decision for d in rec.decisions}
    assert decisions == {"J44.1": "accepted", "I48.9": "added", "I10": "accepted", "J18.9": "rejected",
                         "E85.1": "accepted"}
    hist = store.review_history("EP-B1")
    assert hist[0]["submitted_by"] == "carol"
