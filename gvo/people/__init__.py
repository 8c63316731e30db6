"""The people of a school: accounts (roles, capabilities, set-up links), groups, sign-in
(`signin`), the school's settings, and the demo office.

Services take the school's connection and the `Identity` acting; nothing here imports Flask.
"""
