"""The browser fixtures live in fixtures.py (a plugin for the whole suite); helpers re-exported."""

from .fixtures import (  # noqa: F401 - re-exported for the tests here
    PHONE,
    BrowserPerson,
    LiveServer,
    fill_password_step,
    screenshot,
    sign_in,
)
