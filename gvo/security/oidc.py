"""OpenID Connect, the relying party's side of it (OpenID Connect Core 1.0 and Discovery
1.0), with Authlib: the authorization code flow with PKCE (RFC 7636, S256), `state` and
`nonce`, and the ID token's signature and claims checked (Core 1.0 §3.1.3.7).

Nothing here knows a school: gvo.people.oidc_signin holds the school's configuration and
the sign-in rules, and calls `begin` then `finish`. Every call to the provider has a
timeout (HTTP_TIMEOUT seconds to connect, and as long for each read); a provider that does
not answer, or answers with something that is not OpenID Connect, is ProviderDown, whose
message says so and that password sign-in still works.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from gvo.core import clock
from gvo.core.errors import InvalidInput

HTTP_TIMEOUT = 5.0  # seconds: connect, and each read, of every request to the provider
LEEWAY = 60         # seconds of clock difference allowed on exp and iat
# Signatures accepted on an ID token: public-key ones only (never "none", never a MAC keyed
# with the client secret), and of those what the provider says it uses.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
                      "ES384", "ES512", "EdDSA")
# RFC 8176 §2: "mfa", authentication with more than one factor.
MFA_AMR = "mfa"


class ProviderDown(InvalidInput):
    """The provider could not be reached, or did not answer as an OpenID provider."""


class TokenRejected(InvalidInput):
    """The provider's answer did not prove who the person is; `reason` (for the audit log)
    names the check that failed; the message is for the person."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def check_issuer(issuer: str) -> str:
    """The issuer URL cleaned (no trailing slash), or InvalidInput: it must be https, or
    http on a loopback address (a provider on the same machine)."""
    issuer = issuer.strip().rstrip("/")
    try:
        parts = urlsplit(issuer)
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput("Type the provider's issuer URL, such as "
                           "https://login.microsoftonline.com/<tenant id>/v2.0 or "
                           "https://accounts.google.com.")
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
        raise InvalidInput("The issuer URL must start with https://.")
    return issuer


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _get_json(url: str, what: str) -> dict:
    try:
        resp = requests.get(url, timeout=HTTP_TIMEOUT)
        resp.raise_for_status()
        data = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderDown(f"The school's sign-in provider did not answer ({what}). Try "
                           "again in a few minutes, or sign in with your password.") from exc
    if not isinstance(data, dict):
        raise ProviderDown(f"The school's sign-in provider gave a wrong answer ({what}).")
    return data


def discover(issuer: str) -> dict:
    """The provider's metadata from `issuer`/.well-known/openid-configuration (Discovery
    1.0 §4), fetched with a timeout. ProviderDown if it does not answer, or its metadata
    names another issuer (§4.3) or lacks an endpoint the code flow needs."""
    meta = _get_json(f"{issuer}/.well-known/openid-configuration", "discovery")
    if meta.get("issuer") != issuer:
        raise ProviderDown("The school's sign-in provider names another issuer than the one "
                           "configured: ask your clerk to check the issuer URL.")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(key), str):
            raise ProviderDown(f"The school's sign-in provider does not publish its {key}.")
    return meta


@dataclass(frozen=True)
class Client:
    """This office as the provider's client: issuer, client id and secret, and the URL the
    provider sends people back to."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str

    def session(self) -> OAuth2Session:
        """Authlib's OAuth 2.0 client for this provider (client_secret_basic, PKCE S256)."""
        return OAuth2Session(self.client_id, self.client_secret, scope="openid email profile",
                             redirect_uri=self.redirect_uri, code_challenge_method="S256")


def begin(client: Client) -> tuple[str, dict]:
    """Start a sign-in: discovery, then the authorization URL to send the person to, and
    the pending state to keep on the server until they come back (state, nonce, PKCE
    verifier and the provider's endpoints). ProviderDown if discovery fails."""
    meta = discover(client.issuer)
    with client.session() as http:
        verifier = generate_token(64)
        nonce = generate_token(32)
        url, state = http.create_authorization_url(meta["authorization_endpoint"],
                                                   code_verifier=verifier, nonce=nonce)
    pending = {"state": state, "nonce": nonce, "verifier": verifier,
               "token_endpoint": meta["token_endpoint"], "jwks_uri": meta["jwks_uri"],
               "algorithms": meta.get("id_token_signing_alg_values_supported") or ["RS256"]}
    return url, pending


def finish(client: Client, pending: dict, code: str) -> dict:
    """Finish a sign-in whose `state` the caller matched with `pending`: exchange `code`
    (with the PKCE verifier) for tokens, and check the ID token's signature with the
    provider's published keys and its claims (iss, aud, azp, exp, iat, nonce, at_hash;
    Core 1.0 §3.1.3.7) against this office's clock. Returns the ID token's claims.

    ProviderDown if the provider does not answer; TokenRejected if it refuses the code or
    its ID token fails a check.
    """
    with client.session() as http:
        try:
            token = http.fetch_token(pending["token_endpoint"], code=code,
                                     code_verifier=pending["verifier"], timeout=HTTP_TIMEOUT)
        except requests.RequestException as exc:
            raise ProviderDown("The school's sign-in provider did not answer (token). Try "
                               "again in a few minutes, or sign in with your password.") from exc
        except AuthlibBaseError as exc:  # the provider refused the code (an OAuth error)
            raise TokenRejected("The school's sign-in provider refused this sign-in. Please "
                                "start again.", f"token endpoint: {exc}") from exc
        if "id_token" not in token:
            raise TokenRejected("The school's sign-in provider sent no ID token.",
                                "no id_token")
    keys = _get_json(pending["jwks_uri"], "keys")
    algorithms = [a for a in pending["algorithms"] if a in SIGNING_ALGORITHMS]
    try:
        decoded = jwt.decode(token["id_token"], KeySet.import_key_set(keys),
                             registry=JWSRegistry(algorithms=algorithms))
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise TokenRejected("The school's sign-in provider's answer is not signed with its "
                            "keys, so it cannot be trusted. Please start again.",
                            f"signature: {exc}") from exc
    claims = CodeIDToken(
        decoded.claims, decoded.header,
        {"iss": {"essential": True, "value": client.issuer},
         "aud": {"essential": True, "value": client.client_id},
         "exp": {"essential": True}, "iat": {"essential": True}},
        {"nonce": pending["nonce"], "client_id": client.client_id,
         "access_token": token.get("access_token")})
    try:
        claims.validate(now=int(clock.now()), leeway=LEEWAY)
    except JoseError as exc:
        raise TokenRejected(_claim_message(exc), f"claims: {exc}") from exc
    return dict(claims)


def _claim_message(exc: JoseError) -> str:
    text = str(exc)
    if "nonce" in text:
        return ("This sign-in's answer from the provider belongs to another sign-in (its "
                "nonce does not match). Please start again.")
    if "exp" in text or "expired" in text:
        return ("The provider's answer has expired (check that this server's clock and the "
                "provider's are right). Please start again.")
    if "iat" in text or "future" in text:
        return ("The provider's answer is dated in the future (check that this server's "
                "clock and the provider's are right). Please start again.")
    return "The provider's answer is not for this office. Please start again."
