"""The skills audit (issue 16): the school's question set (`questions`), each person's dated
answers (`answers`), and reports for the board or a committee (`reports`, page, CSV and
XLSX). Migration 0035 holds the tables and GVO's default question set."""
