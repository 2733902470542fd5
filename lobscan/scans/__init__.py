"""Scans: a questionnaire run for a team in a cycle, its invite links, respondents and answers."""
