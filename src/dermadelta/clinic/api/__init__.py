"""The HTTP API at ``/api/v1/``: clinic staff with a token call the same actions and access helpers as the web pages."""
