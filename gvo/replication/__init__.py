"""Continuous encrypted replication of school databases, and restore.

The replicator ships each committed transaction's WAL frames (still
ciphertext) to a target, checkpoints, and starts a new generation (a raw
snapshot of the encrypted file) whenever it cannot prove continuity. It knows
nothing of what the databases hold.
"""
