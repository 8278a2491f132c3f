"""Online surveys (온라인 여론조사)."""
