"""Encrypted storage: keys, SQLCipher connections, migrations, the instance.

Nothing here knows about Flask; the web layer and the CLI both use it.
"""
