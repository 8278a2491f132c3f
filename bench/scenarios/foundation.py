"""What exists from the start: the auth path, the home page, a code list."""

from bench.context import Bench, bearer
from bench.scenarios import scenario


@scenario("auth")
def auth(bench: Bench) -> None:
    people = bench.people[:1000]
    requests = [["GET", "/api/v1/me", bearer(token), None] for _uid, token in people]
    figures = bench.measure(requests)
    bench.against_baseline("GET /api/v1/me with a token (auth path)", figures, None,
                           "token lookup + user + roles; cycles over 1,000 tokens")


@scenario("home")
def home(bench: Bench) -> None:
    figures = bench.measure([["GET", "/", None, None]])
    bench.against_baseline("GET / (home page)", figures, None, "newest items of each channel that provides them")


@scenario("categories")
def categories(bench: Bench) -> None:
    figures = bench.measure([["GET", "/api/v1/categories", None, None]])
    bench.against_baseline("GET /api/v1/categories", figures, None, "no database")
