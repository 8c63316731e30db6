-- Issue 14 (attack 10, F1): members of an academy trust are not trustees or governors of
-- its board (Academy Trust Handbook, "members" and "trustees" are distinct tiers; DfE
-- Governance Handbook): they neither vote nor count towards a board's or committee's
-- quorum, and they fill no governor's place. The built-in category says so as the associate
-- member's does: votes = 0 (gvo.governance.places leaves such categories out of quorum and
-- governor places).
UPDATE governor_categories SET votes = 0, label = 'Member (academy trust, not a trustee)'
    WHERE key = 'member' AND builtin = 1;
