"""Actions (tasks): who does what by when, agreed in minutes or made by hand.

- `tasks`: the rules: where a task lives (a library folder), who sees it, who may make and
  change it, its assignees, status and attachments; the lists the /actions pages show.
- `notices`: mail to assignees of a new action, the newsletter's "Your actions" section and
  the 'task' reference type of gvo.mail.refs.
- `demo_actions`: the demo school's actions.
"""
