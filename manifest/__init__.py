"""Teams app package for Talent Nord: manifest template, icons and the zip builder."""
