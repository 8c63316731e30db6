"""Outside the tests, passwords are hashed with Argon2id's production parameters.

The suite hashes in its own process with a cheap hasher (tests/conftest.py
`cheap_password_hashing`), so making people costs nothing. Here the real `gvo` command, a
fresh interpreter the tests do not reach into, adds a person: the stored hash must carry
argon2-cffi's RFC 9106 low-memory profile (Argon2id, m=65536 KiB, t=3, p=4), the one
gvo/security/passwords.py uses.
"""

import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY
from conftest import PASSWORD, TEST_HASHER, gvo_command, subprocess_env

from gvo.security import passwords
from gvo.storage.instance import Instance

GVO = Path(sys.executable).with_name("gvo")  # the installed entry point, as an operator runs it


def test_the_gvo_command_hashes_with_the_production_argon2id_profile(tmp_path):
    path = tmp_path / "instance"
    password = "tall-ships-and-harbours"

    for args in (["init"], ["school", "create", "oak", "--name", "Oak Primary"]):
        assert gvo_command("--instance", str(path), *args).returncode == 0
    # The person is added by the real command, in a process of its own.
    result = subprocess.run([str(GVO), "--instance", str(path), "user", "add", "oak",
                             "clerk@oak.example", "--name", "Jo Clerk", "--role", "manager",
                             "--password-stdin"], input=password + "\n", capture_output=True,
                            text=True, env=subprocess_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    inst = Instance.open(path, environ={})
    try:
        stored = inst.db("oak").execute(
            "SELECT password_hash FROM users WHERE email = 'clerk@oak.example'").fetchone()[0]
    finally:
        inst.close()

    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == RFC_9106_LOW_MEMORY
    assert RFC_9106_LOW_MEMORY.type is Type.ID
    assert (RFC_9106_LOW_MEMORY.memory_cost, RFC_9106_LOW_MEMORY.time_cost,
            RFC_9106_LOW_MEMORY.parallelism) == (65536, 3, 4)
    assert PasswordHasher().verify(stored, password)
    # ...while this process hashes cheaply, so the check above tells the two apart.
    cheap = extract_parameters(passwords.hash_password(password))
    assert (cheap.memory_cost, cheap.time_cost, cheap.parallelism) == (
        TEST_HASHER.memory_cost, TEST_HASHER.time_cost, TEST_HASHER.parallelism) == (8, 1, 1)
    assert passwords.verify(stored, password)


def test_an_outdated_hash_is_replaced_at_sign_in_outside_the_write_lock(instance, make_user,
                                                                         monkeypatch):
    """A hash made with other parameters is replaced by the current profile's at the
    password step, and hashing happens before the transaction (no write lock held)."""
    from gvo.people import signin

    person = make_user(mfa=False)
    conn = instance.db("alpha")
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (old, person.id))
    real_hash, in_transaction = passwords.hash_password, []

    def watched(password):
        in_transaction.append(conn.in_transaction)
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", watched)
    signin.check_password(conn, person.email, PASSWORD, "127.0.0.1")
    stored = conn.execute("SELECT password_hash FROM users WHERE id = ?",
                          (person.id,)).fetchone()[0]
    assert stored != old and not passwords.needs_rehash(stored)
    assert passwords.verify(stored, PASSWORD)
    assert in_transaction == [False]
