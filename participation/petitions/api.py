from participation.api import ApiBlueprint

bp = ApiBlueprint("petitions_api", __name__, description="Petitions (청원, 온라인 청원시스템)")
