"""Governance records (issue 14): governor records and the instrument of government's places
(`records`, `places`), the register of interests (`interests`), the GIAS change log (`gias`),
the compliance rules (`compliance`), the public governance page (`public`) and CSV import and
export (`transfer`). Services only: the `governance` blueprint holds the pages."""
