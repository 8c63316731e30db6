"""E-mail: an outbox in each school's database, and one sender inside `gvo serve`.

- `gvo.mail.config`: the operator's settings (GVO_SMTP_URL, GVO_MAIL_FROM).
- `gvo.mail.compose`: one message from templates (text and HTML, good headers).
- `gvo.mail.outbox`: `queue` (account mail) and `notify` (everything else) put mail in the
  school's outbox inside the caller's transaction; the Managers' failed list and retry.
- `gvo.mail.volume`: each person's volume (immediate, daily digest, newsletter only,
  none), one-click unsubscribe tokens, notifications held for the digest or newsletter
  (which `gvo.newsletter` builds and sends).
- `gvo.mail.sender`: the sender thread, smtplib, retries and failures.
- `gvo.mail.refs`: what a notice is about, and the owning module's rule for whether a
  person may still open it (checked again when the mail is made).
- `gvo.mail.periodic`: timed tasks the one scheduler (gvo.newsletter.schedule) runs.

A module that must tell people of something calls

    outbox.notify(conn, who, user_ids, Letter(template, subject, why, context), kind=...)

inside the transaction of the change, with only the people who may open the item (give
the Letter a `link`: a digest or newsletter lists a held notification by its subject and
link; and, for a notice about an item, its `ref` (a type registered with gvo.mail.refs
and the item's id), so that access is checked again when the digest, the newsletter or
the message is made, and `gathered` to let notices about one item join into one message;
`gvo.mail.about.item_letter` takes both); the person's own choices about mail
(immediate, digest, newsletter, nothing, and kinds they unsubscribed from) apply there,
not in the caller.
"""
