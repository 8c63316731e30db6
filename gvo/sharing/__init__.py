"""Share: send a link to an item (a document, a page, a meeting, its minutes, an agenda
item) with a short message to chosen people, groups, boards and committees.

- `gvo.sharing.items`: what can be shared, and for each kind the rule saying whether a
  person may open the item and, if not, why (in words the sharer may read).
- `gvo.sharing.share`: the share itself: recipients expanded, those who may not open the
  item left out (and named to the sharer, with the reason), the hourly limits, the audit
  entry and the mail (`gvo.mail.outbox.notify`, kind "share": the title and a link, never
  the item's content).
"""
