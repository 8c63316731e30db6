"""A school's whole life as the operator sees it: its export for a school that leaves, and its
deletion for good (crypto-shredding). The operator commands are gvo/cli/school_export.py and
gvo/cli/school_delete.py; what they did is kept in the control database's operator log."""
