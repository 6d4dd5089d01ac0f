"""Checks on what a card says: phone numbers, links and discretion, each made into payloads."""
