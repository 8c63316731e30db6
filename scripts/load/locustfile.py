"""Locust users for `scripts/load/run.py`: governors on their phones, signed in with TOTP.

Each simulated governor takes the next account from the run's targets file (the path is in
$GVO_LOAD_TARGETS, written by run.py), signs in (password, then the code from their
authenticator), then reads pages, downloads papers, searches and comments, waiting 1-3 s
between actions (a person reading a phone). Requests are named by route (ids as [id]) so
the statistics are per endpoint.
"""

import itertools
import json
import os
import random
import re

import pyotp
from locust import HttpUser, between, events, task

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_HX_CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')  # what htmx sends with every request
_TARGETS: dict = {}
_NEXT = itertools.count()
WORDS = ("budget", "policy", "safeguarding", "minutes", "conduct", "pupil", "finance",
         "premises", "curriculum", "visit")


@events.init.add_listener
def _load_targets(**_kwargs) -> None:
    with open(os.environ["GVO_LOAD_TARGETS"]) as f:
        _TARGETS.update(json.load(f))


class Governor(HttpUser):
    """One governor: signs in once, then browses for the rest of the run."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        """Sign in with the password and a TOTP code (the two steps a phone goes through)."""
        people = _TARGETS["governors"]
        account = people[next(_NEXT) % len(people)]
        self.slug = _TARGETS["slug"]
        base = f"/{self.slug}"
        token = self._token(f"{base}/login", "/[school]/login")
        with self.client.post(f"{base}/login", name="/[school]/login (password)",
                              data={"csrf_token": token, "email": account["email"],
                                    "password": _TARGETS["password"]},
                              catch_response=True) as resp:
            if not resp.url.endswith("/login/verify"):
                resp.failure(f"password step did not ask for a code: {resp.url}")
                return
            code_token = _CSRF.search(resp.text).group(1)
        code = pyotp.TOTP(account["totp_secret"]).now()
        with self.client.post(f"{base}/login/verify", name="/[school]/login/verify (code)",
                              data={"csrf_token": code_token, "code": code},
                              catch_response=True) as resp:
            if account["name"] not in resp.text:
                resp.failure("the code step did not sign in")
                return
            self.csrf = _HX_CSRF.search(resp.text).group(1)

    def _token(self, path: str, name: str) -> str:
        resp = self.client.get(path, name=name)
        return _CSRF.search(resp.text).group(1)

    @task(3)
    def home(self) -> None:
        """The school's home page."""
        self.client.get(f"/{self.slug}/", name="/[school]/")

    @task(2)
    def meetings(self) -> None:
        """The list of meetings."""
        self.client.get(f"/{self.slug}/meetings", name="/[school]/meetings")

    @task(3)
    def meeting(self) -> None:
        """A meeting's page (agenda and papers)."""
        meeting = random.choice(_TARGETS["meetings"])
        self.client.get(f"/{self.slug}/meetings/{meeting}", name="/[school]/meetings/[id]")

    @task(2)
    def folder(self) -> None:
        """A library folder."""
        folder = random.choice(_TARGETS["folders"])
        self.client.get(f"/{self.slug}/library/folders/{folder}",
                        name="/[school]/library/folders/[id]")

    @task(3)
    def document(self) -> None:
        """A document's page (with its comments)."""
        doc = random.choice(_TARGETS["documents"])
        self.client.get(f"/{self.slug}/library/documents/{doc}",
                        name="/[school]/library/documents/[id]")

    @task(2)
    def download(self) -> None:
        """Download a board paper (the whole body is read)."""
        doc = random.choice(_TARGETS["papers"])
        with self.client.get(f"/{self.slug}/library/documents/{doc}/download",
                             name="/[school]/library/documents/[id]/download",
                             stream=True, catch_response=True) as resp:
            size = sum(len(block) for block in resp.iter_content(1024 * 1024))
            if size != _TARGETS["paper_bytes"]:
                resp.failure(f"download was {size} bytes")

    @task(2)
    def search(self) -> None:
        """Search the library."""
        self.client.get(f"/{self.slug}/library/search", params={"q": random.choice(WORDS)},
                        name="/[school]/library/search?q=[word]")

    @task(1)
    def comment(self) -> None:
        """Comment on a document, as the document page's htmx form does."""
        doc = random.choice(_TARGETS["documents"])
        body = f"Load comment {random.getrandbits(48):x}: " + " ".join(
            random.choices(WORDS, k=12))
        with self.client.post(f"/{self.slug}/library/document/{doc}/comments",
                              name="/[school]/library/document/[id]/comments",
                              data={"csrf_token": self.csrf, "body": body},
                              headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
                              catch_response=True) as resp:
            if body.split(":")[0] not in resp.text:
                resp.failure("the comment is not in the answer")
