"""Training records (issue 16): the school's courses, each person's completions with an
optional certificate, and each governor's status on the mandatory courses.

`validity` (expiry arithmetic and the four statuses, pure functions), `courses` (the course
list, who may manage it), `certificates` (the restricted library folders certificates live
in), `completions` (recording and removing completions), `reports` (the mandatory list's
statuses, by person and by course, CSV and XLSX), `warnings` (the newsletter's sections),
`compliance_rule` (the dashboard's rule) and `demo_training`.

Who may do what: holders of "Manage training" (`manage_training`; Managers hold every
capability) manage courses and record or remove anyone's completions, and read every
report; everyone else (Authors and up: Readers only read) records and removes their own
completions and reads their own status. A certificate is seen only by its person and the
Managers (the library's rooms decide it).
"""
