"""The weekly newsletter, the daily digest, and "For you": what waits for each person.

- `gvo.newsletter.facts`: approvals, meetings awaiting a reply, replies to one's comments
  (the home page's "For you" and the newsletter use the same functions).
- `gvo.newsletter.letters`: the school's schedule, building each person's newsletter,
  sending the newsletter and the digest once per period, and `register_section`, the hook
  later modules (governor terms, interests, policies) use to add warnings for Managers.
- `gvo.newsletter.schedule`: the one APScheduler job in `gvo serve` that finds the schools
  whose newsletter or digest is due.
"""
