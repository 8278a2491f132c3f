"""What every channel shares: the model base, time, errors, pagination, permissions, audit, text."""
