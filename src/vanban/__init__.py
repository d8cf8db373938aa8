"""vanban: electronic official documents for the state agencies of a Vietnamese province."""
