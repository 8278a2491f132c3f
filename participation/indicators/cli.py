import click

from participation.extensions import db


@click.group()
def indicators():
    """The plan's indicator catalogue and values."""


@indicators.command("load")
def load():
    """Load the shipped catalogue of the plan's 40 measures (insert or update by code; idempotent)."""
    from participation.indicators.services import load_catalogue

    count = load_catalogue()
    db.session.commit()
    click.echo(f"indicator catalogue loaded: {count} measures")


@indicators.command("refresh")
@click.option("--year", type=int, default=None, help="One plan year (default: every year up to now).")
def refresh(year):
    """Count the automatic measures now (what the worker does on its schedule)."""
    from participation.indicators.counts import refresh, years_so_far
    from participation.indicators.models import YEARS

    if year is not None and year not in YEARS:
        raise click.BadParameter(f"the plan's years are {YEARS[0]}-{YEARS[-1]}", param_hint="--year")
    for each in [year] if year else years_so_far():
        written = refresh(each)
        db.session.commit()
        click.echo(f"{each}: " + (", ".join(f"{code}={value}" for code, value in written.items()) or "nothing"))
