"""The question index over content and answered questions."""
