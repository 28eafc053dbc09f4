"""The imaging pipeline: photo -> standardized face -> zones -> metrics -> comparison.

Each stage is a pure function in its own module that takes one frozen dataclass and
returns the next; :mod:`dermadelta.imaging.pipeline` only chains them.
"""
