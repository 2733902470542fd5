"""Versioned questionnaire content: the built-in LOB-scan and schools' own copies."""
