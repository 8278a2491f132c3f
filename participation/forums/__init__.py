"""Deliberation forums (공론장, 시민에게 묻습니다)."""
