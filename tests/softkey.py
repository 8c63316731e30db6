"""A software passkey authenticator for the tests: what a browser and its authenticator answer
to navigator.credentials.create() and .get(), as the JSON passkeys.js sends (WebAuthn §5.1,
§6.1: "none" attestation, an ES256 key on P-256, flags, a signature counter).

Every part is real (CBOR, ECDSA, SHA-256): only the device is simulated, so each check of
gvo.security.passkeys meets a real answer, a real wrong one, or a replay.
"""

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from gvo.security.passkeys import b64url, from_b64url

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: present, verified, attested data


@dataclass
class SoftKey:
    """One passkey on a simulated device, for `origin`; `counter` its signature counter,
    `verified` whether it reports user verification."""

    origin: str
    counter: int = 0
    verified: bool = True
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(
        ec.SECP256R1()))
    user_handle: bytes = b""

    def _flags(self) -> int:
        return UP | (UV if self.verified else 0)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def create(self, options_json: str) -> str:
        """The answer to registration options (JSON from the server)."""
        options = json.loads(options_json)
        self.user_handle = from_b64url(options["user"]["id"])
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        attested = (bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
                    + self._cose_key())
        auth_data = rp_hash + bytes([self._flags() | AT]) + struct.pack(
            ">I", self.counter) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps({
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
            "type": "public-key", "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {"clientDataJSON": b64url(self._client_data(
                "webauthn.create", options["challenge"])),
                "attestationObject": b64url(attestation), "transports": ["internal"]}})

    def get(self, options_json: str, *, rp_id: str | None = None, bump: int = 1) -> str:
        """The answer to authentication options (JSON from the server); the counter goes up
        by `bump` first (0 or less: a counter that did not go up, as a cloned device's)."""
        options = json.loads(options_json)
        self.counter += bump
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([self._flags()]) + struct.pack(">I", max(self.counter, 0))
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
            "type": "public-key", "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {"clientDataJSON": b64url(client_data),
                         "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature),
                         "userHandle": b64url(self.user_handle)}})
