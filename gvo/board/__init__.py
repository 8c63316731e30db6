"""The governing board and its committees (`bodies`): who sits where, in which position."""
