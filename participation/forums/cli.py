"""`flask --app wsgi forums …`: a forum's open data in Pol.is's export format, and Pol.is conversations in."""

from pathlib import Path

import click
import numpy as np

from participation.extensions import db


@click.group()
def forums():
    """Deliberation forums (공론장): Pol.is-format export and import."""


@forums.command("import-polis")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_polis(directory: Path):
    """Import a Pol.is export (summary.csv, comments.csv, participants-votes.csv, votes.csv) as a closed forum
    that staff can study; prints the new forum's id as its last line."""
    from participation.forums import interchange, polis

    try:
        conversation = polis.read_export(directory)
    except polis.FormatError as error:
        raise click.ClickException(str(error)) from None
    forum = interchange.import_conversation(conversation, source=directory.resolve().name)
    db.session.commit()
    stored = forum.opinion_map or {}
    reactions = int((~np.isnan(conversation.votes)).sum())
    click.echo(f"imported {forum.title!r}: {len(conversation.comments)} statements, "
               f"{len(conversation.participants)} participants, {reactions} reactions; "
               f"{len(stored.get('groups', []))} opinion groups here"
               + (f" (the export showed {conversation.groups})" if conversation.groups is not None else ""))
    click.echo(forum.id)


@forums.command("export-polis")
@click.argument("forum_id", type=int)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_polis(forum_id: int, directory: Path):
    """Recount the forum, then write its Pol.is-format export (the four CSV files) into DIRECTORY."""
    from participation.forums import counts, interchange
    from participation.forums.models import Forum

    if db.session.get(Forum, forum_id) is None:
        raise click.ClickException(f"no forum {forum_id}")
    counts.refresh_forum(forum_id)
    db.session.commit()
    for path in interchange.write_export(db.session.get(Forum, forum_id), directory):
        click.echo(f"wrote {path}")
