"""Training the screening model from generated listings (see ``generate``) or reviewers' labels."""
