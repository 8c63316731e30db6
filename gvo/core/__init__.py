"""Infrastructure every layer may use: the clock, settings, errors, events, text and number
rules, transactions, the person acting (`identity`) and the audit log (`audit`).

Nothing here imports Flask (tests/test_architecture.py).
"""
