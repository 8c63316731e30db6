"""Meetings of the board and its committees: agenda, papers, attendance, minutes, packs, feeds.

Who sees what (one rule, applied in every page, PDF, feed and search):
- any signed-in member of the school sees meetings and their non-confidential
  agenda items, papers and minutes (papers also need the library's own access);
- a *confidential* item, its papers and its minutes (part 2) are seen only by
  members of the meeting's board or committee, Editors, Managers and holders of
  "manage meetings" (`rules.sees_confidential`);
- only Managers and holders of "manage meetings" create and change meetings,
  agendas, registers and minutes.
"""
