"""Flask wiring shared by the blueprints: the app's request handling (`app`), route access
declarations (`access`), shared forms, htmx helpers, one mapping of service errors to
responses, file downloads and streamed uploads.

With the blueprints (and `gvo.security.sessions`), the only code that imports Flask.
"""
