"""The real client against a closed port and a stub that refuses the token (no Label Studio needed)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from autocoder.errors import ServiceUnavailableError
from review_export.client import LabelStudioClient
from review_export.exporter import export_to_label_studio
from review_export.testing import free_port


@pytest.fixture()
def refusing_server():
    class H(BaseHTTPRequestHandler):
        def _deny(self):
            body = json.dumps({"detail": "Invalid token."}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _deny

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_client_connection_refused_names_url_and_marks_nothing(fake_store):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServiceUnavailableError, match=f"{url} is unreachable"):
        export_to_label_studio(fake_store, LabelStudioClient(url, "some-token-123", retries=0), "audit project")
    assert fake_store.marks == {}


def test_client_wrong_token_names_url_and_http_status(fake_store, refusing_server):
    with pytest.raises(ServiceUnavailableError) as ei:
        export_to_label_studio(fake_store, LabelStudioClient(refusing_server, "wrong-token-123"), "audit project")
    msg = str(ei.value)
    assert refusing_server in msg and "HTTP 401" in msg and "token" in msg
    assert fake_store.marks == {}


def test_client_empty_token_is_a_clear_error():
    with pytest.raises(ServiceUnavailableError, match="no API token"):
        LabelStudioClient("http://127.0.0.1:1", "")
