from participation.api import ApiBlueprint

bp = ApiBlueprint("surveys_api", __name__, description="Online surveys (온라인 여론조사)")
