"""Talent Nord companion: the Teams bot for the Talent Nord 2.0 programme."""
