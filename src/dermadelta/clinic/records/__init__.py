"""Patients and their course of care: consents, consultations, plans, sessions, photos, comparisons."""
