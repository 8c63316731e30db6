"""Browser tests: Playwright driving Debian's Chromium against the real waitress server.

A package, so this directory's conftest.py does not collide with tests/conftest.py.
"""
