"""User text: Markdown with raw HTML off, then sanitised. The one way user text becomes HTML."""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a", "h2", "h3",
                "h4", "table", "thead", "tbody", "tr", "th", "td", "hr"}


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _markdown.render(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return Markup(clean)
