"""`python -m gvo` runs the operator command."""

from gvo.cli import main

main()
