"""Server-rendered pages for staff and patients."""
