"""People: accounts, roles, API tokens, e-mail verification and password reset."""
