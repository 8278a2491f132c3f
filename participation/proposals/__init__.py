"""Citizen proposals (시민제안, 상상대로 서울)."""
