"""Operating GVO: checks of an installation (`gvo doctor`), structured logs and metrics.

Services only (no Flask): the web layer's hooks that feed them are in gvo.web.observe.
"""
