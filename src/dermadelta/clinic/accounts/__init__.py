"""Clinics, staff roles, and who may see which patient."""
