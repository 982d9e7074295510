"""The Teams edge: the only code that imports botbuilder."""
