"""Policies and their review cycle (issue 15).

`register` (the policy register: add, change, read, who may), `lifecycle` (drafts beside the
live version, approval at a meeting, history), `statutory` (the DfE list shipped as data, the
school type, adding what is missing, `status` for the compliance dashboard), `reports` (page
and CSV), `warnings` (newsletter section, home page, calendar), `public` (the public policy
viewer) and `demo`. A policy's text is a library document or page: versions, comments,
approvals, search and room rules are the library's.
"""
