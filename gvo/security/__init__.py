"""Security building blocks: passwords, TOTP, throttling, sessions, access rules, headers."""
