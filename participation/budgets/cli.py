"""`flask --app wsgi budgets …`: Pabulib files in and out."""

from pathlib import Path

import click

from participation.extensions import db


@click.group()
def budgets():
    """Participatory budgeting (시민참여예산)."""


@budgets.command("import-pb")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_pb(path: Path):
    """Load a Pabulib .pb file as a closed process, allocate it, and print its id (the last line)."""
    from participation.budgets import exchange, pabulib
    from participation.budgets.services import write_allocation

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        parsed = pabulib.read(text)
    except pabulib.PabulibError as error:
        raise click.ClickException(f"{path}:{error.line}: {error.message}") from None
    process = exchange.import_file(parsed)
    write_allocation(process.id)
    db.session.commit()
    click.echo(f"imported {len(parsed.projects)} projects and {len(parsed.votes)} votes from {path.name}; "
               f"{sum(1 for project in process.projects if project.funded)} funded ({process.rule})")
    click.echo(process.id)


@budgets.command("export-pb")
@click.argument("budget_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_pb(budget_id: int, path: Path):
    """Write a tallied process as a Pabulib .pb file (projects with votes and `selected`, the ballots)."""
    from participation.budgets import exchange
    from participation.budgets.models import BudgetProcess
    from participation.core.errors import DomainError

    process = db.session.get(BudgetProcess, budget_id)
    if process is None:
        raise click.ClickException(f"no budgeting process {budget_id}")
    try:
        text = exchange.export_text(process)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")
