"""Batch analysis of a whole photo set for research: the parts that need no Django.

- :mod:`~dermadelta.batch.photos`: which photos, from a folder or a CSV manifest, validated;
- :mod:`~dermadelta.batch.progress`: the append-only record of finished photos that makes a batch resumable;
- :mod:`~dermadelta.batch.tidy`: one row per photo, zone and metric, written as CSV and Parquet;
- :mod:`~dermadelta.batch.summary`: outcomes by concern, needle depth and number of sessions.

The analyses themselves run as tasks of the clinic's job engine
(:mod:`dermadelta.clinic.research`); ``dermadelta batch`` puts the two together.
"""
