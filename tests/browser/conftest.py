"""The browser fixtures live in fixtures.py (a plugin for the whole suite); helpers re-exported."""

from .fixtures import (  # noqa: F401 - re-exported for the tests here
    PHONE,
    BrowserPerson,
    LiveServer,
    end_session_elsewhere,
    fill_password_step,
    screenshot,
    sign_in,
    sign_in_here,
)
