from participation.api import ApiBlueprint

bp = ApiBlueprint("forums_api", __name__, description="Deliberation forums (공론장, 시민에게 묻습니다)")
