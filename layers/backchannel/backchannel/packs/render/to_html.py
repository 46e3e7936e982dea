"""A self-contained HTML document: inline CSS with print styles, no scripts, no external requests (a
CSP meta tag forbids everything but inline styles), written as the records arrive."""

from __future__ import annotations

from backchannel.packs.render import fragments as f
from backchannel.packs.render import sanitize as s
from backchannel.packs.render.markup import MarkupRenderer

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"


class HtmlRenderer(MarkupRenderer):
    def begin(self, meta: dict) -> None:
        self.write(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}" />\n'
            '<meta name="referrer" content="no-referrer" />\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
            f"<title>{s.text(meta['title'])}</title>\n<style>\n{f.CSS}\n</style>\n</head>\n<body>\n"
            f"<header>\n{f.title_page(meta)}\n</header>\n<main>\n"
        )

    def open_section(self, section: dict) -> None:
        self.write(f'<section class="pack-section">\n{f.section_head(section)}\n')

    def close_section(self, section: dict) -> None:
        self.write("</section>\n")

    def end(self, tail: dict) -> None:
        self.write(
            f"</main>\n<footer>\n{f.contributors(tail['contributors'])}\n</footer>\n</body>\n</html>\n"
        )
