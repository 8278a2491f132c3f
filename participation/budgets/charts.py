"""The results page's chart (pygal, an SVG image with no script; the page shows the same numbers in a table)
and the sentences that explain each project's outcome."""

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from participation.budgets import allocation
from participation.budgets.models import BudgetProcess, Rule
from participation.budgets.money import money

STYLE = Style(
    background="white", plot_background="white", foreground="#1b1f24", foreground_strong="#1b1f24",
    foreground_subtle="#d0d5dd", colors=("#0b4ea2", "#8a94a3"),
    font_family='"Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif',
    label_font_size=14, major_label_font_size=14, legend_font_size=14, value_font_size=13,
)
LABEL_MAX = 16


def ballot_projects(process: BudgetProcess) -> list:
    projects = [project for project in process.projects if project.funded is not None]
    return sorted(projects, key=lambda project: (-project.votes, project.cost, project.id))


def votes_chart(process: BudgetProcess) -> bytes:
    """Votes per project, funded projects in the first colour."""
    projects = ballot_projects(process)
    chart = pygal.HorizontalBar(width=560, height=120 + 30 * len(projects), style=STYLE, js=[],
                                disable_xml_declaration=True, legend_at_bottom=True, legend_at_bottom_columns=2,
                                print_values=True, show_y_guides=False, margin=8, truncate_label=LABEL_MAX)
    # A horizontal bar chart draws its first label at the bottom: reversed, the most voted is on top.
    ordered = list(reversed(projects))
    chart.x_labels = [project.title for project in ordered]
    chart.add(_("선정"), [project.votes if project.funded else None for project in ordered])
    chart.add(_("미선정"), [None if project.funded else project.votes for project in ordered])
    return chart.render(is_unicode=True).encode()


def explain(process: BudgetProcess, project) -> str:
    """Why this project was funded or not, in one or two sentences."""
    outcome = project.outcome or {}
    remaining = outcome.get("remaining")
    if project.funded:
        if outcome.get("how") == allocation.BY_SHARES:
            payers = format(outcome.get("payers") or 0, ",")
            return _("지지한 %(payers)s명이 균등하게 나눠 받은 몫에서 비용을 나눠 냈습니다 "
                     "(한 사람이 낸 금액은 많아야 %(largest)s).",
                     payers=payers, largest=money(process, outcome.get("largest_payment")))
        if outcome.get("how") == allocation.BY_COMPLETION:
            return _("균등 배분 뒤 남은 예산 %(remaining)s으로 득표순에 따라 선정되었습니다.",
                     remaining=money(process, remaining))
        return _("차례가 왔을 때 남은 예산 %(remaining)s 안에 들어 선정되었습니다.",
                 remaining=money(process, remaining))
    if project.outcome_reason == allocation.NO_BALLOTS:
        return _("투표가 없어 선정된 사업이 없습니다.")
    text = ""
    if process.rule == Rule.equal_shares and outcome.get("supporters_money_left") is not None:
        text = _("지지자들에게 남은 몫을 모두 합쳐도 %(left)s로 비용에 모자랐습니다. ",
                 left=money(process, outcome.get("supporters_money_left")))
    if project.outcome_reason == allocation.BUDGET_EXHAUSTED:
        return text + _("예산 소진: 차례가 왔을 때 남은 예산이 %(remaining)s뿐이었고, "
                        "그 뒤로 선정된 사업이 없습니다.",
                        remaining=money(process, remaining))
    return text + _("남은 예산보다 큼: 차례가 왔을 때 남은 예산 %(remaining)s보다 비용이 커서 건너뛰었습니다. "
                    "그 뒤의 더 작은 사업은 선정될 수 있었습니다.", remaining=money(process, remaining))


def explanations(process: BudgetProcess) -> dict[int, str]:
    return {project.id: explain(process, project) for project in ballot_projects(process)}
