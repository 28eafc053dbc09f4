"""Views, one module per surface; each is thin and calls the records actions."""
