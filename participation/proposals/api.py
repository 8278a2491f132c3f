from participation.api import ApiBlueprint

bp = ApiBlueprint("proposals_api", __name__, description="Citizen proposals (시민제안, 상상대로 서울)")
