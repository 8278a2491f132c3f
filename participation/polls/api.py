from participation.api import ApiBlueprint

bp = ApiBlueprint("polls_api", __name__, description="Mobile voting (엠보팅)")
