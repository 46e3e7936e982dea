"""Conference packs: the content of a session, event or personal pack read page by page from the
stores, and streaming renderers for HTML, Markdown, JSON and EPUB 3 (see ``docs/packs.md``)."""
