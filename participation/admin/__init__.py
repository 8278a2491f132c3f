"""The admin console: users and roles, settings with history, the participation pause switch."""
