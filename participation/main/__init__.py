"""The site's frame: home page, language switch, error pages, security headers."""
