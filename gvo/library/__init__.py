"""The library: folders, documents and their versions, pages, comments, approvals, search.

Small service modules, each taking the school's connection and an `Identity`
(who is asking, with their role). Access is decided in one place,
`gvo.library.access`, and every listing, search and count goes through it.
"""

from gvo.library import documents, pages  # noqa: F401  (registers comment subjects)
