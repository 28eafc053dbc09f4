"""The append-only log of every read and change of a patient's record and photos."""
