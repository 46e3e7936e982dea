"""EPUB 3 written straight into a zip on the output stream: ``mimetype`` first and stored, then one
XHTML chapter per section streamed into its zip entry as the records arrive, then the contributors,
the navigation document, the package document and ``META-INF/container.xml`` (the manifest lists
only chapter names: bounded by the number of sessions)."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

from backchannel.packs.render import fragments as f
from backchannel.packs.render.markup import MarkupRenderer

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


def _page(title: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        'lang="en" xml:lang="en">\n'
        f'<head>\n<meta charset="utf-8" />\n<title>{escape(title)}</title>\n'
        '<link rel="stylesheet" type="text/css" href="pack.css" />\n</head>\n<body>\n'
        f"{body}"
    )


_TAIL = "\n</body>\n</html>\n"


class _Head:
    """The output stream, seekable while only the ``mimetype`` entry has been written (it is held
    here until then), so zipfile writes that entry's sizes in its header with no data descriptor, as
    EPUB requires, even when the real output (an S3 multipart upload) cannot seek."""

    def __init__(self, out) -> None:
        self.out = out
        self.head: io.BytesIO | None = io.BytesIO()
        self.written = 0

    def write(self, data) -> int:
        if self.head is not None:
            return self.head.write(data)
        self.out.write(data)
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.head.tell() if self.head is not None else self.written

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.head is None:
            raise io.UnsupportedOperation("seek")
        return self.head.seek(offset, whence)

    def seekable(self) -> bool:
        return self.head is not None

    def release(self) -> None:
        data = self.head.getvalue()
        self.head = None
        self.write(data)

    def flush(self) -> None:
        pass


class EpubRenderer(MarkupRenderer):
    def __init__(self, out) -> None:
        super().__init__(out)
        self.head = _Head(out)
        self.zip = zipfile.ZipFile(self.head, "w", compression=zipfile.ZIP_DEFLATED)
        self.chapters: list[tuple[str, str]] = []  # (file name, title)
        self.entry = None

    def write(self, text: str) -> None:
        self.entry.write(text.encode("utf-8"))

    def _open(self, name: str, title: str) -> None:
        self.chapters.append((name, title))
        self.entry = self.zip.open(f"EPUB/{name}", "w", force_zip64=False)
        self.write(_page(title, ""))

    def _close(self) -> None:
        self.write(_TAIL)
        self.entry.close()
        self.entry = None

    def begin(self, meta: dict) -> None:
        info = zipfile.ZipInfo("mimetype", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        self.zip.writestr(info, "application/epub+zip")
        self.head.release()
        self.zip._seekable = False  # from here on, entries carry data descriptors (streamed)
        self.zip.writestr("META-INF/container.xml", CONTAINER)
        self.zip.writestr("EPUB/pack.css", f.CSS)
        self._open("title.xhtml", meta["title"])
        self.write(f'<section epub:type="titlepage">\n{f.title_page(meta)}\n</section>')
        self._close()

    def open_section(self, section: dict) -> None:
        self._open(f"section-{len(self.chapters):04d}.xhtml", section["title"])
        self.write(f"<section>\n{f.section_head(section)}\n")

    def close_section(self, section: dict) -> None:
        self.write("</section>")
        self._close()

    def end(self, tail: dict) -> None:
        self._open("contributors.xhtml", "Contributors")
        self.write(f"<section>\n{f.contributors(tail['contributors'])}\n</section>")
        self._close()
        meta = self.meta
        toc = "".join(f"<li><a href={quoteattr(n)}>{escape(t)}</a></li>\n" for n, t in self.chapters)
        nav = _page(
            meta["title"], f'<nav epub:type="toc" id="toc">\n<h1>Contents</h1>\n<ol>\n{toc}</ol>\n</nav>'
        )
        self.zip.writestr("EPUB/nav.xhtml", nav + _TAIL)
        self.zip.writestr("EPUB/package.opf", self._package())
        self.zip.close()

    def _package(self) -> str:
        meta = self.meta
        modified = meta["generatedAt"][:19] + "Z"
        items = "".join(
            f'<item id="c{i}" href={quoteattr(n)} media-type="application/xhtml+xml"/>\n'
            for i, (n, _) in enumerate(self.chapters)
        )
        spine = "".join(f'<itemref idref="c{i}"/>\n' for i in range(len(self.chapters)))
        ident = f"urn:backchannel:pack:{meta['id']}:v{meta['version']}"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="pub-id" xml:lang="en">\n'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f'<dc:identifier id="pub-id">{escape(ident)}</dc:identifier>\n'
            f"<dc:title>{escape(meta['title'])}</dc:title>\n"
            "<dc:language>en</dc:language>\n"
            "<dc:publisher>Backchannel</dc:publisher>\n"
            f'<meta property="dcterms:modified">{escape(modified)}</meta>\n'
            "</metadata>\n<manifest>\n"
            '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>\n'
            '<item id="css" href="pack.css" media-type="text/css"/>\n'
            f"{items}</manifest>\n<spine>\n{spine}</spine>\n</package>\n"
        )
