"""Signing in with the school's OpenID Connect provider (Microsoft Entra ID, Google
Workspace, any standard provider): the Manager's configuration, and the rules of such a
sign-in (the protocol itself is gvo.security.oidc).

The rules (issue 18):
- a person signs in when an account of the school has the e-mail address of the ID token,
  the provider says that address is verified (`email_verified`), and its domain is one
  the Manager allowed; no account is made unless the Manager switched that on (then a
  Reader, awaiting a role from the clerk);
- the sign-in replaces the password step only: whoever signs in with two-step sign-in
  (an authenticator set up, or the school requiring it for their role; Managers and
  Editors always) still gives a code, unless the Manager said the provider enforces
  multi-factor authentication and its ID token says it was used (`amr` holds "mfa",
  RFC 8176);
- failures are throttled and audited as password failures are (gvo.security.throttle,
  step OIDC: per account and address, per address, per account under pressure);
- the Manager may turn password sign-in off for everyone but Managers (who keep it, so a
  provider outage never locks the school out); it applies only while the provider is on.
"""

import hmac
from dataclasses import dataclass

from gvo.core import addresses, audit, clock, events, text
from gvo.core.atomic import transaction
from gvo.core.errors import InvalidInput
from gvo.core.identity import Identity
from gvo.people import settings
from gvo.security import oidc, throttle
from gvo.storage.sqlcipher import Connection

OIDC = "oidc"  # the throttle's step for failures of this sign-in
PENDING_SECONDS = 10 * 60  # a sign-in must come back from the provider within this
_ANONYMOUS = ""            # the account of a failure before the provider named anyone


@dataclass(frozen=True)
class Config:
    """The school's provider, as the Manager configured it (`client_secret` is never
    shown back on a page)."""

    enabled: bool
    label: str
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...]
    auto_create: bool
    trust_amr_mfa: bool
    password_managers_only: bool

    def client(self, redirect_uri: str) -> oidc.Client:
        """This office as the provider's client, coming back to `redirect_uri`."""
        return oidc.Client(self.issuer, self.client_id, self.client_secret, redirect_uri)


def config(conn: Connection) -> Config | None:
    """The school's provider configuration, or None if none was ever saved."""
    row = conn.execute("SELECT * FROM oidc_provider WHERE id = 1").fetchone()
    if row is None:
        return None
    return Config(bool(row["enabled"]), row["label"], row["issuer"], row["client_id"],
                  row["client_secret"], tuple(row["allowed_domains"].split()),
                  bool(row["auto_create"]), bool(row["trust_amr_mfa"]),
                  bool(row["password_managers_only"]))


def active(conn: Connection) -> Config | None:
    """The provider people may sign in with now (configured and switched on), or None."""
    found = config(conn)
    return found if found and found.enabled else None


def _domains(typed: str) -> tuple[str, ...]:
    domains = []
    for word in typed.replace(",", " ").split():
        word = word.strip().lstrip("@").lower()
        checked = addresses.ascii_form(f"x@{word}")
        if not checked:
            raise InvalidInput(f"“{word}” is not an e-mail domain (such as school.org.uk).")
        domains.append(checked.split("@", 1)[1])
    return tuple(dict.fromkeys(domains))


def save_config(conn: Connection, actor: Identity, *, enabled: bool, label: str, issuer: str,
                client_id: str, client_secret: str, allowed_domains: str, auto_create: bool,
                trust_amr_mfa: bool, password_managers_only: bool) -> None:
    """Save the school's provider (a Manager's form); audited as "school.oidc" with what
    changed, never the secret. A blank `client_secret` keeps the one stored.

    InvalidInput (the message says what to fix) for: an issuer that is not https (http
    only on loopback, gvo.security.oidc.check_issuer), no client id, no secret when none
    is stored, no allowed domain, or password sign-in off without the provider on.
    """
    if not actor.acts_as_manager:
        raise InvalidInput("Only a Manager may set how the school signs in.")
    label = text.one_line(label)[:40] or "your school account"
    issuer = oidc.check_issuer(issuer)
    client_id = client_id.strip()
    if not client_id or len(client_id) > 200:
        raise InvalidInput("Type the client id (application id) the provider gave you.")
    old = config(conn)
    secret = client_secret.strip() or (old.client_secret if old else "")
    if not secret or len(secret) > 500:
        raise InvalidInput("Type the client secret the provider gave you.")
    domains = _domains(allowed_domains)
    if not domains:
        raise InvalidInput("Name at least one e-mail domain whose people may sign in this "
                           "way (such as school.org.uk).")
    if password_managers_only and not enabled:
        raise InvalidInput("Password sign-in can be turned off only while sign-in with the "
                           "provider is on.")
    new = Config(enabled, label, issuer, client_id, secret, domains, auto_create,
                 trust_amr_mfa, password_managers_only)
    changes = {name: value for name, value in vars(new).items()
               if name != "client_secret" and (old is None or getattr(old, name) != value)}
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO oidc_provider(id, enabled, label, issuer, client_id,"
            " client_secret, allowed_domains, auto_create, trust_amr_mfa,"
            " password_managers_only, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (int(enabled), label, issuer, client_id, secret, " ".join(domains),
             int(auto_create), int(trust_amr_mfa), int(password_managers_only), clock.iso()))
        audit.record(conn, actor, "school.oidc", "school",
                     secret_changed=old is None or secret != old.client_secret,
                     **{k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()})


def check_password_allowed(conn: Connection, user, ip: str) -> None:
    """At the password step, once the password was right: InvalidInput (audited as
    "login.failure", not counted by the throttle: the password was right) if the school
    turned password sign-in off for everyone but Managers and `user` is not one."""
    found = active(conn)
    if found is None or not found.password_managers_only or user["role"] == "manager":
        return
    with transaction(conn):
        audit.record(conn, Identity.claimed(user["id"], user["email"], ip), "login.failure",
                     f"user:{user['id']}", step=throttle.PASSWORD,
                     reason="password sign-in off")
    raise InvalidInput(f"This school signs in with {found.label}: use the button below "
                       "the password box.")


def start(conn: Connection, found: Config, redirect_uri: str, ip: str) -> tuple[str, dict]:
    """Begin a sign-in with the provider from client address `ip`: the URL to send the
    person to, and the pending state to keep in their session (with `started_at`).

    Throttled if this address failed too often lately; ProviderDown (audited as
    "login.oidc_unavailable") if the provider does not answer discovery.
    """
    _check_throttle(conn, _ANONYMOUS, ip)
    try:
        url, pending = oidc.begin(found.client(redirect_uri))
    except oidc.ProviderDown as exc:
        with transaction(conn):
            audit.record(conn, Identity.anonymous(ip), "login.oidc_unavailable", "",
                         issuer=found.issuer, error=str(exc))
        raise
    pending["started_at"] = clock.now()
    return url, pending


@dataclass(frozen=True)
class Result:
    """A sign-in the provider vouched for, and what comes next (as the password step's
    result: gvo.people.signin.PasswordResult)."""

    user_id: int
    credential_version: int
    needs_totp: bool   # a code from the authenticator before signing in
    must_enrol: bool   # set up an authenticator before signing in
    created: bool      # the account was made now (a Reader awaiting a role)


def _fail(conn: Connection, ip: str, email: str, reason: str, message: str,
          user_id: int | None = None, exc_class=InvalidInput):
    throttle.record_failure(conn, email, ip, "login.failure", step=OIDC, user_id=user_id,
                            reason=reason, method=OIDC)
    return exc_class(message)


def _check_throttle(conn: Connection, email: str, ip: str, user_id: int | None = None) -> None:
    try:
        throttle.check(conn, email, ip, step=OIDC, audit_as="login.throttled", user_id=user_id)
    except throttle.Throttled as exc:
        if email:
            raise
        # Failures no account was named for are counted as one "account" per address.
        raise throttle.Throttled(str(exc).replace("for this account", "from your network"),
                                 exc.limit) from None


def complete(conn: Connection, found: Config, redirect_uri: str, pending: dict | None,
             args: dict, ip: str) -> Result:
    """Finish a sign-in the provider sent back with `args` (its query: code and state, or
    error), for the `pending` state kept at `start` (None if there is none).

    Returns who signs in and what comes next. Raises, each failure audited and counted by
    the throttle (except a person cancelling at the provider, audited only): InvalidInput
    for a state that is missing, used, expired or not this browser's, an address not
    verified, a domain not allowed, no (active) account; oidc.TokenRejected for an ID
    token that fails a check; oidc.ProviderDown if the provider stops answering
    (audited only); throttle.Throttled if the account or address failed too often lately.
    """
    _check_throttle(conn, _ANONYMOUS, ip)
    state = args.get("state")
    if (not pending or not isinstance(state, str)
            or not hmac.compare_digest(state.encode(), str(pending.get("state")).encode())
            or not 0 <= clock.now() - pending.get("started_at", 0) < PENDING_SECONDS):
        raise _fail(conn, ip, _ANONYMOUS, "state",
                    "This sign-in was already used, has expired, or was started in another "
                    "browser. Please start again.")
    if args.get("error"):
        if args.get("error") == "access_denied":
            with transaction(conn):
                audit.record(conn, Identity.anonymous(ip), "login.oidc_cancelled", "",
                             error=str(args.get("error"))[:100])
            raise InvalidInput("Signing in with the provider was cancelled.")
        raise _fail(conn, ip, _ANONYMOUS, f"provider error: {str(args.get('error'))[:100]}",
                    "The school's sign-in provider refused this sign-in. Please start again.")
    try:
        claims = oidc.finish(found.client(redirect_uri), pending, str(args.get("code", "")))
    except oidc.TokenRejected as exc:
        raise _fail(conn, ip, _ANONYMOUS, exc.reason, str(exc)) from exc
    except oidc.ProviderDown as exc:
        with transaction(conn):
            audit.record(conn, Identity.anonymous(ip), "login.oidc_unavailable", "",
                         issuer=found.issuer, error=str(exc))
        raise
    return _account(conn, found, claims, ip)


def _account(conn: Connection, found: Config, claims: dict, ip: str) -> Result:
    """The account an ID token's checked `claims` sign in (the module's rules)."""
    raw = claims.get("email")
    if not isinstance(raw, str) or "@" not in raw:
        raise _fail(conn, ip, _ANONYMOUS, "no email claim",
                    f"{found.label} did not say your e-mail address. Ask your clerk.")
    email = addresses.lookup_form(raw)
    _check_throttle(conn, email, ip)
    user = conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
    uid = user["id"] if user else None
    if claims.get("email_verified") not in (True, "true"):
        raise _fail(conn, ip, email, "email not verified",
                    f"{found.label} has not verified your e-mail address {raw}, so it cannot "
                    "sign you in here. Sign in with your password, or ask your clerk.", uid)
    if email.rsplit("@", 1)[1].lower() not in found.allowed_domains:
        raise _fail(conn, ip, email, "domain not allowed",
                    f"Addresses at {raw.rsplit('@', 1)[1]} may not sign in this way here. "
                    "Sign in with your password, or ask your clerk.", uid)
    created = False
    if user is None:
        if not found.auto_create:
            raise _fail(conn, ip, email, "no such account",
                        f"No account in this office has the address {raw}. Ask your clerk "
                        "to invite you.")
        user, created = _create_reader(conn, found, email, claims), True
    if user["role"] == "inactive":
        raise _fail(conn, ip, email, "inactive account",
                    "Your account in this office is inactive. Ask your clerk.", uid)
    amr = claims.get("amr") if isinstance(claims.get("amr"), list) else []
    strong = found.trust_amr_mfa and oidc.MFA_AMR in amr
    enrolled = user["mfa_enrolled_at"] is not None
    required = settings.mfa_required(conn, user["role"])
    result = Result(user["id"], user["credential_version"],
                    needs_totp=enrolled and not strong,
                    must_enrol=required and not enrolled and not strong, created=created)
    if not (result.needs_totp or result.must_enrol):
        with transaction(conn):
            audit.record(conn, Identity.of_account(user, ip=ip), "login.success",
                         f"user:{user['id']}", factor=OIDC, amr=amr, issuer=found.issuer)
    return result


def _create_reader(conn: Connection, found: Config, email: str, claims: dict):
    """Make the account of someone the provider vouched for (the Manager switched that
    on): a Reader with no password, awaiting a role; audited as "user.add"."""
    name = text.one_line(str(claims.get("name") or ""))[:120] or email.split("@", 1)[0]
    now = clock.iso()
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO users(email, name, role, created_at, updated_at)"
            " VALUES (?, ?, 'reader', ?, ?)", (email, name, now, now))
        audit.record(conn, Identity.system(f"sign-in with {found.label}"), "user.add",
                     f"user:{cur.lastrowid}", email=email, role="reader", via=OIDC)
    events.publish(events.ACCESS_CHANGED, conn, user_id=cur.lastrowid)
    return conn.execute("SELECT * FROM users WHERE id = ?", (cur.lastrowid,)).fetchone()
