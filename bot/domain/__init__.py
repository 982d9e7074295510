"""Pure domain: the programme, cohorts, people and the rules between them."""
