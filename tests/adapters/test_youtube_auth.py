"""`vivo auth youtube`: the loopback installed-app flow and the stored refresh token.

Google's token endpoint is played by a tiny loopback server; the browser is a registered
`webbrowser` controller that follows the consent redirect the way a real one would.
"""

from __future__ import annotations

import json
import stat
import threading
import urllib.request
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from adapters.youtube_auth import AuthError, authorize, credentials_for, load_credentials


@dataclass
class TokenEndpoint:
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    refuse: bool = False


@pytest.fixture
def google() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            endpoint.requests.append(form)
            if endpoint.refuse:
                status, body = 400, {"error": "invalid_grant", "error_description": "revoked"}
            else:
                status = 200
                body = {
                    "access_token": f"ya29.fresh-{len(endpoint.requests)}",
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                }
                if form.get("grant_type") == "authorization_code":
                    body["refresh_token"] = "1//refresh-from-consent"
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()
    server.server_close()


def stored_token(path: Path, token_uri: str, *, expired: bool) -> None:
    path.write_text(
        json.dumps(
            {
                "token": "ya29.old",
                "refresh_token": "1//stored-refresh",
                "token_uri": token_uri,
                "client_id": "123.apps.googleusercontent.com",
                "client_secret": "shh",
                "scopes": ["https://www.googleapis.com/auth/youtube.force-ssl"],
                "expiry": "2000-01-01T00:00:00Z" if expired else "2999-01-01T00:00:00Z",
            }
        )
    )


def test_an_expired_token_is_refreshed_with_the_stored_refresh_token(
    google: TokenEndpoint, tmp_path: Path
) -> None:
    path = tmp_path / "youtube-token.json"
    stored_token(path, google.url, expired=True)
    credentials = load_credentials(path, token_uri=google.url)
    assert credentials is not None and credentials.token == "ya29.fresh-1"
    assert google.requests[0]["grant_type"] == "refresh_token"
    assert google.requests[0]["refresh_token"] == "1//stored-refresh"
    saved = json.loads(path.read_text())
    assert saved["token"] == "ya29.fresh-1" and saved["refresh_token"] == "1//stored-refresh"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_valid_token_is_used_without_asking_google(google: TokenEndpoint, tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    stored_token(path, google.url, expired=False)
    credentials = load_credentials(path, token_uri=google.url)
    assert credentials is not None and credentials.token == "ya29.old"
    assert google.requests == []


def test_a_revoked_refresh_token_says_to_sign_in_again(
    google: TokenEndpoint, tmp_path: Path
) -> None:
    path = tmp_path / "token.json"
    stored_token(path, google.url, expired=True)
    google.refuse = True
    with pytest.raises(AuthError, match="vivo auth youtube"):
        load_credentials(path, token_uri=google.url)


def test_no_token_and_no_client_is_an_instruction(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="vivo auth youtube"):
        credentials_for(tmp_path / "missing.json")


class ConsentingBrowser(webbrowser.BaseBrowser):
    """Approves the consent screen: follows the redirect back with a code and the state."""

    def __init__(self) -> None:
        super().__init__("consenting")
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        back = (
            query["redirect_uri"] + "?" + urlencode({"code": "4/consent", "state": query["state"]})
        )
        threading.Thread(target=lambda: urllib.request.urlopen(back).read(), daemon=True).start()
        return True


def test_the_installed_app_flow_stores_a_refresh_token(
    google: TokenEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the loopback token endpoint is http
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "123.apps.googleusercontent.com",
                    "client_secret": "shh",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": google.url,
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    browser = ConsentingBrowser()
    webbrowser.register("vivo-consent", None, browser)
    token = tmp_path / "token.json"

    credentials = authorize(secrets, token, browser="vivo-consent")

    consent = parse_qs(urlparse(browser.opened[0]).query)
    assert consent["access_type"] == ["offline"] and consent["prompt"] == ["consent"]
    assert consent["scope"] == ["https://www.googleapis.com/auth/youtube.force-ssl"]
    assert urlparse(consent["redirect_uri"][0]).hostname == "127.0.0.1"
    assert google.requests[0]["grant_type"] == "authorization_code"
    assert google.requests[0]["code"] == "4/consent"
    assert credentials.refresh_token == "1//refresh-from-consent"
    assert json.loads(token.read_text())["refresh_token"] == "1//refresh-from-consent"
    assert credentials_for(token, token_uri=google.url).token == credentials.token
    assert len(google.requests) == 1  # the stored token is used next time, no new consent


def test_vivo_run_keeps_the_quota_file_next_to_the_token(tmp_path: Path) -> None:
    import tomllib

    from adapters.youtube import YouTubeAdapter
    from bots.config import parse_config
    from bots.runtime.launch import make_adapters

    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    raw = tomllib.loads(example.read_text(encoding="utf-8"))
    raw["platforms"]["youtube"]["enabled"] = True
    env = {"MP_ACCESS_TOKEN": "TEST-x", "MP_WEBHOOK_SECRET": "s"}
    config = parse_config(raw, env, path=tmp_path / "config.toml")
    (tmp_path / ".vivo").mkdir()
    stored_token(tmp_path / ".vivo" / "youtube-token.json", "http://127.0.0.1:9/t", expired=False)
    [adapter] = [a for a in make_adapters(config) if isinstance(a, YouTubeAdapter)]
    assert adapter.ledger.path == tmp_path / ".vivo" / "youtube-quota.json"
