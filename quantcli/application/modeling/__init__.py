"""Modeling: ensembles, training, tuning, model versions and validation of a registered model."""
