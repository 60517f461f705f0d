"""Validation: purged splits, CPCV and its path evaluation, classification scores, gates."""
