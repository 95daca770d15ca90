"""`vivo auth youtube`: the installed-app OAuth flow, and the stored refresh token after it.

The channel owner (or the moderator account the bot posts as) signs in once in a browser;
Google redirects to a loopback port on this machine (no public URL needed) and the refresh
token is written to a file only its owner can read. Every later start reads that file and
refreshes the access token itself, so nobody signs in again until access is revoked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Reading and posting live chat messages; `youtube.force-ssl` is what liveChatMessages
# documents, and it covers liveBroadcasts.list too.
SCOPES = ["https://www.googleapis.com/auth/youtube.force-ssl"]


class AuthError(Exception):
    """No usable stored token, and no way to get one without the user."""


def load_credentials(token_path: Path | str, *, token_uri: str | None = None) -> Any | None:
    """The stored credentials, refreshed if expired (and saved again); None when absent.

    google-auth always refreshes at Google's token endpoint, whatever the file says;
    `token_uri` points it elsewhere (a loopback stand-in).
    """
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    path = Path(token_path)
    if not path.exists():
        return None
    credentials = Credentials.from_authorized_user_file(  # type: ignore[no-untyped-call]
        str(path), SCOPES
    )
    if token_uri is not None:
        expiry = credentials.expiry  # the copy forgets it
        credentials = credentials.with_token_uri(token_uri)
        credentials.expiry = expiry
    if credentials.valid:
        return credentials
    if not credentials.refresh_token:
        raise AuthError(f"{path} holds no refresh token: run `vivo auth youtube` again")
    try:
        credentials.refresh(Request())
    except RefreshError as exc:
        raise AuthError(
            f"Google refused the stored refresh token ({exc}); run `vivo auth youtube` again"
        ) from exc
    save_credentials(credentials, path)
    return credentials


def save_credentials(credentials: Any, token_path: Path | str) -> None:
    """Write the token file readable by its owner only: it is a key to the channel."""
    path = Path(token_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(credentials.to_json())
    os.chmod(path, 0o600)


def authorize(
    client_secrets: Path | str,
    token_path: Path | str,
    *,
    port: int = 0,
    open_browser: bool = True,
    browser: str | None = None,
) -> Any:
    """Run the installed-app flow on a loopback redirect and store the resulting token.

    `client_secrets` is the OAuth client JSON downloaded from Google Cloud (type
    "Desktop app"). `access_type=offline` and `prompt=consent` make Google return a
    refresh token even when this account has consented before.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=SCOPES)
    credentials = flow.run_local_server(
        host="127.0.0.1",
        bind_addr="127.0.0.1",
        port=port,
        open_browser=open_browser,
        browser=browser,
        access_type="offline",
        prompt="consent",
        authorization_prompt_message="Abrí este link para autorizar a Vivo en YouTube: {url}",
        success_message="Listo: Vivo ya puede usar tu chat. Podés cerrar esta ventana.",
    )
    save_credentials(credentials, token_path)
    return credentials


def credentials_for(
    token_path: Path | str,
    client_secrets: Path | str | None = None,
    *,
    token_uri: str | None = None,
) -> Any:
    """Stored credentials if there are any, else the browser flow when a client is given."""
    stored = load_credentials(token_path, token_uri=token_uri)
    if stored is not None:
        return stored
    if client_secrets is None:
        raise AuthError(f"no YouTube token at {token_path}: run `vivo auth youtube` first")
    return authorize(client_secrets, token_path)
