from participation.api import ApiBlueprint

bp = ApiBlueprint("indicators_api", __name__, description="The plan's 40 indicators")
