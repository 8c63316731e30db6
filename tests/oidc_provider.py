"""A real OpenID Provider on loopback for the tests: npm's `oidc-provider` run by Node.js
(tests/oidc/provider.mjs), installed by `make test` (the Makefile's `oidc-provider` target)
into .cache/oidc-provider.

`OpenIdProvider` starts one (its own free port on 127.0.0.1) with the accounts, client and
misbehaviour asked for; `signs_in` plays the person at the provider: it follows GVO's
redirect to the provider, picks the account on the provider's login page, and returns the
URL the provider sends the browser back to (GVO's callback, with `code` and `state`).
"""

import json
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import requests

REPO = Path(__file__).resolve().parents[1]
MODULES = REPO / ".cache" / "oidc-provider" / "node_modules"
SCRIPT = REPO / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "gvo-alpha"
CLIENT_SECRET = "a-client-secret-of-the-school"  # noqa: S105 - the test provider's


class OpenIdProvider:
    """One running provider: `issuer` is its URL (http://127.0.0.1:PORT)."""

    def __init__(self, accounts: dict, redirect_uris: list[str], *, clock_offset: int = 0,
                 wrong_keys: bool = False, id_token_ttl: int = 3600):
        if not (MODULES / "oidc-provider").is_dir():
            raise RuntimeError("npm's oidc-provider is not installed for the tests: run "
                               "`make oidc-provider` (`make test` does)")
        self._dir = tempfile.TemporaryDirectory(prefix="gvo-oidc-")
        config = Path(self._dir.name) / "config.json"
        config.write_text(json.dumps({
            "modules": str(MODULES),
            "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                       "redirect_uris": redirect_uris},
            "accounts": accounts, "clock_offset": clock_offset, "wrong_keys": wrong_keys,
            "id_token_ttl": id_token_ttl,
        }))
        self.process = subprocess.Popen(["node", str(SCRIPT), str(config)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the test OpenID provider did not start: {line}"
                               f"{self.process.stderr.read()}")
        self.issuer = line.split()[1]

    def stop(self) -> None:
        """End the provider's process."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()
        self._dir.cleanup()

    def signs_in(self, authorization_url: str, account: str,
                 browser: requests.Session | None = None) -> str:
        """The person at the provider signs in as `account`, starting from the provider's
        authorization URL that GVO redirected to; returns where the provider sends them
        back (GVO's callback URL with code and state, or with an error)."""
        browser = browser or requests.Session()
        url = authorization_url
        for _ in range(10):
            resp = browser.get(url, allow_redirects=False)
            if resp.status_code == 200 and "<form" in resp.text:
                resp = browser.post(url, data={"account": account}, allow_redirects=False)
            if resp.status_code not in (302, 303):
                raise AssertionError(f"the provider answered {resp.status_code}: {resp.text}")
            url = urljoin(url, resp.headers["Location"])
            if not url.startswith(self.issuer):
                return url
        raise AssertionError("the provider never sent the browser back")
