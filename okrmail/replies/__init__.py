"""Handling of people's email replies to check-in questions."""
