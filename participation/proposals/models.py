"""Tables of this channel."""
