"""Trust and transparency: the public moderation log, the monthly transparency report and appeals."""
