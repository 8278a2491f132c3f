import click


@click.group()
def indicators():
    """The plan's indicator catalogue and values."""
