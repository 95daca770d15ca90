"""The command layer: parsing, converters, checks, reply wording and languages."""
