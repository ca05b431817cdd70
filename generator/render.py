"""The .docx mechanics: docxtpl, WordprocessingML and the zip package.

Kept apart from ``context`` (which builds what the template prints) so that the
report's content and its file format change independently: a format brings its own template file
and context, and this module turns any such pair into a reproducible .docx. It compiles templates
once per machine (``_CachingEnvironment``), streams a large body (``_Template``), renders strictly
(a tag the context lacks is an error naming it, never a blank), and writes the package with fixed
entry times and a fingerprint of its body (``_stable_zip``, ``edited_since_built``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import marshal
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import jinja2
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import element_class_lookup
from docx.oxml.simpletypes import ST_HpsMeasure
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, UndefinedError
from lxml import etree

from .errors import OutputError, TemplateMismatch
from .files import cache_root, write_atomically
from .money import chinese_number


def cache_dir() -> Path | None:
    """Where compiled templates are kept between runs (None: compile every time)."""
    path = cache_root() / f"{sys.implementation.cache_tag}-jinja{jinja2.__version__}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


def _cached(kind: str, source: str, make, dump, load):
    """``make()`` once per distinct ``source`` on this machine; a broken cache is ignored."""
    directory = cache_dir()
    if directory is None:
        return make()
    path = directory / f"{kind}-{hashlib.sha256(source.encode('utf-8')).hexdigest()}"
    try:
        return load(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    value = make()
    try:
        write_atomically(path, dump(value), "缓存")
    except OutputError:
        pass  # an unwritable cache only costs the compile next time
    return value


class _CachingEnvironment(Environment):
    """Compiles each template source once per machine: the report template's XML is large and
    the same on every build, and compiling it would cost more than rendering it."""

    def from_string(self, source, globals=None, template_class=None):
        code = _cached(f"code{int(bool(self.autoescape))}", source, lambda: self.compile(source),
                       marshal.dumps, marshal.loads)
        cls = template_class or self.template_class
        return cls.from_code(self, code, self.make_globals(globals), None)


class _Template(DocxTemplate):
    """docxtpl plus ``{% vmerge expr %}``: a cell merged with the one above when ``expr``
    is "continue", starting a merge when it is "restart" (groups of 一级/二级指标)."""

    _VMERGE = re.compile(r"(<w:tc[ >](?:(?!<w:tc[ >]).)*?)\{%\s*vmerge\s+([^%]*?)\s*%\}", re.DOTALL)

    _LISTING = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")

    def resolve_listing(self, xml: str) -> str:
        # docxtpl turns tabs and newlines inside texts into <w:tab/> and <w:br/> by re-scanning
        # every paragraph; only do that when some text has one.
        if not any(c in xml for c in "\t\a\n\f") or not self._LISTING.search(xml):
            return xml
        return super().resolve_listing(xml)

    _COLUMN_LOOP = re.compile(r"\{%-?\s*tc\s")

    _XMLNS = re.compile(r'\sxmlns(?::\w+)?="[^"]*"')
    _XMLNS_BYTES = re.compile(_XMLNS.pattern.encode())

    _PARAGRAPH = re.compile(r"<w:p([ >])")
    _BATCH = 10000  # pieces of Jinja's output post-processed and parsed at a time (about 1 MB)
    # Characters of XML parsed before the finished part of the body is serialized and freed (a
    # report of a few projects is serialized whole, at once, which is quicker).
    _HELD = 2 << 20

    def build_xml(self, context, jinja_env=None):
        # A 1,000-project body is 56 MB of XML: as one string, copied by each post-processing
        # step, and then as one lxml tree it took 850 MB. Without {%tc %} column loops (which
        # re-grid whole tables) it is rendered, parsed and serialized piece by piece instead.
        self.body_parts: list[bytes] = []  # see fix_tables
        src_xml = self.patch_xml(self.get_xml())
        if self._COLUMN_LOOP.search(src_xml):
            return self.render_xml_part(src_xml, self.docx._part, context, jinja_env)
        return self._rendered_pieces(src_xml, context, jinja_env)

    def _rendered_pieces(self, src_xml: str, context: dict, jinja_env: Environment):
        """docxtpl's render_xml_part, streamed: Jinja's output is cut just before a paragraph
        (every one starts with the newline docxtpl puts there), so each post-processing step,
        paragraph by paragraph, gives what it gives on the whole."""
        self.current_rendering_part = self.docx._part
        template = jinja_env.from_string(self._PARAGRAPH.sub(r"\n<w:p\1", src_xml))
        rendered, text = template.generate(context), ""
        while batch := list(itertools.islice(rendered, self._BATCH)):
            text += "".join(batch)
            cut = text.rfind("\n<w:p")
            if cut > 0:
                yield self._post_processed(text[:cut])
                text = text[cut:]
        yield self._post_processed(text)

    def _post_processed(self, xml: str) -> str:
        # docxtpl's re.sub(r"\n<w:p([ >])", r"<w:p\1"), without a Python call for each paragraph
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.resolve_listing(xml)

    # Stands in the parsed body for its children already serialized (see fix_tables).
    BODY_MARK = b"<!--disclose-body-->"
    whole = False  # keep the whole body parsed, for a step that edits it after rendering

    def fix_tables(self, xml):
        # docxtpl re-counts every row's cells to re-grid tables after {%tc %} column loops; without
        # such loops in the template the grids stand as designed and parsing is all there is to do.
        if isinstance(xml, str):
            return super().fix_tables(xml)
        # docxtpl parses the body alone and moves it into the document, which makes lxml visit
        # every node again. Parsed in place of the old body, inside the document's own start tag,
        # it needs no move; the body's copies of the document's namespace declarations go, as
        # the move would have dropped them.
        root = etree.tostring(self.docx.element, encoding="unicode")
        head, tail = root[:root.index("<w:body")], root[root.rindex("</w:body>") + len("</w:body>"):]
        declared = self._XMLNS.findall(head[:head.index(">")])
        parser = etree.XMLPullParser(events=("start",), tag=qn("w:body"), recover=True)
        parser.set_element_class_lookup(element_class_lookup)  # python-docx's element classes
        parser.feed(head)
        pieces = iter(xml)
        first = next(pieces)
        start = first.index(">") + 1
        tag = self._XMLNS.sub(lambda m: "" if m.group(0) in declared else m.group(0), first[:start])
        # lxml writes a child of the body alone with a declaration of every namespace in scope
        # (the body's own, then the document's) after its name (see _serialize_finished).
        kept = self._XMLNS.findall(tag)
        prefixes = {d.split("=")[0] for d in kept}
        in_scope = {d.encode() for d in kept + [d for d in declared if d.split("=")[0] not in prefixes]}
        body, streaming, parsed = None, not self.whole, 0
        # A child declaring a namespace of its own would keep it among those taken out.
        for own, piece in itertools.chain([(first[start:], tag + first[start:])], ((p, p) for p in pieces)):
            streaming = streaming and "xmlns" not in own
            parser.feed(piece)
            parsed += len(piece)
            if body is None:
                body = next((element for _, element in parser.read_events()), None)
            if streaming and body is not None and parsed >= self._HELD:
                streaming, parsed = self._serialize_finished(body, in_scope), 0
        parser.feed(tail)
        tree = parser.close()
        if self.body_parts:
            body.insert(0, etree.Comment(self.BODY_MARK[4:-3].decode()))
        return tree

    def _serialize_finished(self, body, in_scope: set[bytes]) -> bool:
        """Serialize each finished child of ``body`` as python-docx would within the document,
        into ``body_parts``, and free it; False (and nothing done) when one does not serialize so."""
        declarations = re.compile(rb'(?:\sxmlns(?::\w+)?="[^"]*"){%d}' % len(in_scope))
        numbered, parts = self.docx_ids_index, []
        children = body[:-1]  # the parser may still be inside the last child
        for child in children:
            xml = etree.tostring(child, encoding="UTF-8")
            if b"docPr" in xml:
                self._number_drawings(child)
                xml = etree.tostring(child, encoding="UTF-8")
            name_end = xml.index(b" ")
            added = declarations.match(xml, name_end)
            if added is None or set(self._XMLNS_BYTES.findall(added.group(0))) != in_scope:
                self.docx_ids_index = numbered  # fix_docpr_ids numbers them again
                return False
            parts.append(xml[:name_end] + xml[added.end():])
        self.body_parts += parts
        children = child = None  # without a Python reference, lxml frees a subtree without walking it
        del body[:len(parts)]
        return True

    def fix_docpr_ids(self, tree) -> None:
        # As docxtpl numbers drawings, through python-docx's xpath (which knows the prefixes); the
        # body's children serialized before were numbered then, in document order.
        if tree.tag != qn("w:document"):
            return super().fix_docpr_ids(tree)
        self._number_drawings(tree)

    def _number_drawings(self, tree) -> None:
        for element in tree.xpath(".//wp:docPr"):
            self.docx_ids_index += 1
            element.attrib["id"] = str(self.docx_ids_index)

    def map_tree(self, tree) -> None:
        if tree.tag != qn("w:document"):
            return super().map_tree(tree)
        self.docx.part._element = tree
        self.docx = self.docx.part.document

    def patch_xml(self, src_xml: str) -> str:

        def add(m: re.Match) -> str:
            cell = m.group(1)
            tag = '<w:vMerge w:val="{{ %s }}"/>' % m.group(2)
            return re.sub(r"(<w:tcW [^>]*/>(?:<w:gridSpan [^>]*/>)?)", r"\1" + tag, cell, count=1)

        def patch() -> str:
            return super(_Template, self).patch_xml(self._VMERGE.sub(add, src_xml))

        # The same template XML patches to the same Jinja source every time.
        self.patched = _cached("patched", src_xml, patch, lambda text: text.encode("utf-8"),
                               lambda data: data.decode("utf-8"))
        return self.patched  # the Jinja source of the part being rendered (see _mismatch)


# CT_Settings is a sequence: w:updateFields must come before these elements.
_AFTER_UPDATE_FIELDS = frozenset((
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
    "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType",
    "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
))


def _update_fields_on_open(settings, on: bool) -> None:
    """Ask Word/WPS to refresh fields (the 目录) on opening, when we could not fill it."""
    for el in settings.findall(qn("w:updateFields")):
        settings.remove(el)
    if not on:
        return
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    later = next((el for el in settings if el.tag.rsplit("}", 1)[-1] in _AFTER_UPDATE_FIELDS), None)
    if later is None:
        settings.append(update)
    else:
        later.addprevious(update)


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip's epoch: the same bytes for the same report


# The custom property holding the hash of the report's text (TEXT_FINGERPRINT), which a re-save by
# Word, WPS or LibreOffice keeps as long as nobody edits the text; reports built before it carry
# the hash of the body's XML (FINGERPRINT), which any re-save changes.
FINGERPRINT = "disclose-sha256"
TEXT_FINGERPRINT = "disclose-text-sha256"
_CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="%s"><vt:lpwstr>%s</vt:lpwstr>'
    "</property></Properties>"
)
_CUSTOM_TYPE = ('<Override PartName="/docProps/custom.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>')
_CUSTOM_REL = ('<Relationship Id="rIdDiscloseCustom" Target="docProps/custom.xml" '
               'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"/>')


def _stable_zip(data: bytes, body_parts: list[bytes], fixes: list | None = None,
                fingerprint: bool | str = True) -> tuple[bytes, str | None]:
    """The package re-zipped with fixed entry times, so a rebuild gives identical bytes, and
    (with ``fingerprint``) a custom property holding the hash of its body, so a later build can
    tell a hand edit (``fingerprint`` itself, when it is that hash, already known); and that hash.
    The body's children serialized apart (``body_parts``) go in place of their mark; its
    tables' columns are fitted to their texts (:func:`fit_columns`) and ``fixes`` made to them
    (see :func:`fit_tables`)."""
    digest = None
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        parts = {info.filename: [src.read(info.filename)] for info in src.infolist()}
        document = parts["word/document.xml"][0]
        if body_parts:
            before, after = document.split(_Template.BODY_MARK)
            parts["word/document.xml"] = [before, *body_parts, after]
        parts["word/document.xml"] = fit_columns(b"".join(parts["word/document.xml"]), parts["word/styles.xml"][0])
        if fixes:
            parts["word/document.xml"] = [fit_tables(b"".join(parts["word/document.xml"]),
                                                     parts["word/styles.xml"][0], fixes)]
        if fingerprint:
            digest = fingerprint if isinstance(fingerprint, str) else _text_digest(
                parts["word/document.xml"], parts.get(_COMMENTS_PART))
            parts[_CUSTOM_PART] = [(_CUSTOM_XML % (TEXT_FINGERPRINT, digest)).encode("utf-8")]
            parts["[Content_Types].xml"] = [parts["[Content_Types].xml"][0].replace(
                b"</Types>", _CUSTOM_TYPE.encode() + b"</Types>")]
            parts["_rels/.rels"] = [parts["_rels/.rels"][0].replace(
                b"</Relationships>", _CUSTOM_REL.encode() + b"</Relationships>")]
        for name, content in parts.items():
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            with dst.open(entry, "w") as stream:  # the same bytes as writestr, piece by piece
                for piece in content:
                    stream.write(piece)
    return out.getvalue(), digest


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_COMMENTS_PART = "word/comments.xml"


def _text_digest(body: Iterable[bytes], comments: Iterable[bytes] | None = None) -> str:
    """The SHA-256 of a document's text, paragraph by paragraph, as a reader sees it: every figure
    and sentence of its body, and its comments (批注: a reviewer's are kept like an edit), but not
    what Word, WPS or LibreOffice rewrite when they merely open and save it — the XML around the
    text, run boundaries, bookmarks, and the results of fields (the 目录 and its page numbers,
    refreshed on opening)."""
    digest = hashlib.sha256()
    _digest_text(digest, body)
    noted = hashlib.sha256()
    if comments is not None and _digest_text(noted, comments):  # an empty comments part is none
        digest.update(b"\x00comments\n" + noted.digest())
    return digest.hexdigest()


def _digest_text(digest, pieces: Iterable[bytes]) -> int:
    """Feed each paragraph's text to ``digest``; how many there were. The XML is parsed as it
    comes, piece by piece, each paragraph dropped once read: a large body is never held whole."""
    fields = 0  # complex fields (begin … end) and simple ones open around this point
    fed = 0
    paragraph: list[str] = []
    # Only these elements' events reach Python (most of a body is runs' and cells' properties).
    parser = etree.XMLPullParser(events=("start", "end"), huge_tree=True, tag=_TEXT_TAGS)
    for piece in itertools.chain(pieces, [None]):
        if piece is None:
            parser.close()
        else:
            parser.feed(piece)
        for event, element in parser.read_events():
            tag = element.tag
            if tag == f"{_W}fldSimple":
                fields += 1 if event == "start" else -1
            elif event == "start":
                if tag == f"{_W}fldChar":
                    kind = element.get(f"{_W}fldCharType")
                    fields += 1 if kind == "begin" else -1 if kind == "end" and fields else 0
            elif tag == f"{_W}t" and not fields and element.text:
                paragraph.append(element.text)
            elif tag == f"{_W}p":
                text = "".join(paragraph).strip()
                if text:
                    digest.update(text.encode("utf-8") + b"\n")
                    fed += 1
                paragraph.clear()
                element.clear()
                while element.getprevious() is not None:  # the paragraphs before: read already
                    del element.getparent()[0]
    return fed


_TEXT_TAGS = tuple(f"{_W}{name}" for name in ("fldSimple", "fldChar", "t", "p"))


def _chunks(stream, size: int = 1 << 20) -> Iterator[bytes]:
    while piece := stream.read(size):
        yield piece


def edited_since_built(report: Path) -> bool:
    """True when the text of ``report`` is not as this tool wrote it (its hash no longer matches
    the one recorded when it was built), or it carries no such hash: a document made some other
    way. A re-save by Word, WPS or LibreOffice that updates fields is no edit."""
    try:
        with zipfile.ZipFile(report) as archive:
            custom = archive.read(_CUSTOM_PART).decode("utf-8", "replace")
            found = re.search(r'name="%s"><vt:lpwstr>([0-9a-f]{64})<' % TEXT_FINGERPRINT, custom)
            with archive.open("word/document.xml") as body:
                if found is not None:
                    names = set(archive.namelist())
                    comments = [archive.read(_COMMENTS_PART)] if _COMMENTS_PART in names else None
                    return found.group(1) != _text_digest(_chunks(body), comments)
                digest = hashlib.sha256()  # a report built before the text's hash was recorded
                for piece in _chunks(body):  # in pieces: a large body is 56 MB
                    digest.update(piece)
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return True
    found = re.search(r'name="%s"><vt:lpwstr>([0-9a-f]{64})<' % FINGERPRINT, custom)
    return found is None or found.group(1) != digest.hexdigest()


def write_docx(context: dict, target: Path, template: Path, title: str, finish=None, for_layout: bool = False,
               fixes: list | None = None, fingerprint: bool | str = True) -> str | None:
    """Render ``template`` with ``context`` into ``target``, atomically and reproducibly; ``title``
    is the document's (its properties), e.g. 某单位2022年度单位决算公开. ``finish(document)``, when
    given, edits the rendered python-docx document before it is saved (the review draft's comments).
    A 目录 without page numbers asks Word/WPS to fill them on opening, unless ``for_layout`` (the
    copy LibreOffice lays out, which must keep the 目录's entries as they are). ``fixes`` are
    made to its tables (see :func:`fit_tables`). The fingerprint of its text is returned (None
    without ``fingerprint``; see :func:`edited_since_built`); given (the copy laid out has the
    report's text), it is not worked out again.

    Strictly: a tag of the template that the context lacks raises :class:`TemplateMismatch`
    naming it (a restyled or edited template must never print a blank where a figure was)."""
    document_template = _Template(str(template))
    document_template.whole = finish is not None
    try:
        document_template.render(context, _CachingEnvironment(undefined=StrictUndefined), autoescape=True)
    except (UndefinedError, TemplateSyntaxError) as exc:
        raise _mismatch(exc, template, getattr(document_template, "patched", "")) from exc
    document = document_template.docx
    if finish is not None:
        finish(document)
    _update_fields_on_open(document.settings.element,
                           on=not for_layout and not any(e["page"] for e in context["toc"]))
    unit = context["unit"]
    props = document.core_properties
    # Core properties hold at most 255 characters (python-docx refuses more); the page says it all.
    props.title = title[-255:]
    props.author = props.last_modified_by = unit["name"][:255]
    # Dated by the report's year, not the clock: the same workbook gives the same file.
    props.created = props.modified = datetime(unit["year"], 12, 31)
    props.revision = 1
    buffer = io.BytesIO()
    document_template.save(buffer)
    data, digest = _stable_zip(buffer.getvalue(), document_template.body_parts, fixes, fingerprint)
    write_atomically(target, data, "报告")
    return digest


def fit_tables(document: bytes, styles: bytes, fixes: list) -> bytes:
    """The body (word/document.xml) with the fixes LibreOffice made to its tables to fit them to
    the pages (:func:`generator.lo_uno.fit_tables`), so that Word and WPS lay them out alike:
    ``[index among the body's tables, "break", 1]`` puts a page break before the table (on the
    blank paragraph just before it, if there is one); ``[index, "scale", factor]`` sets every
    paragraph of the table at ``factor`` of its size and exact line height; ``[index, "closer",
    k, twips]`` sets the runs of its k-th paragraph with text ``twips`` closer."""
    from docx.oxml import parse_xml

    root = parse_xml(document)
    tables: list[list] = []  # tables next to each other, with nothing between, are one table
    for child in root.find(qn("w:body")):
        if child.tag != qn("w:tbl"):
            continue
        if tables and child.getprevious() is tables[-1][-1]:
            tables[-1].append(child)
        else:
            tables.append([child])
    sizes = _StyleSizes(parse_xml(styles))
    for index, kind, factor, *more in fixes:
        parts = tables[index]
        if kind == "closer":  # the factor-th paragraph with text, more[0] twips closer
            paragraph = [p for table in parts for p in table.iter(qn("w:p"))
                         if "".join(t.text or "" for t in p.iter(qn("w:t"))).strip()][factor]
            for run in paragraph.iter(qn("w:r")):
                _run_spacing(run, more[0])
            continue
        if kind == "break":
            before = parts[0].getprevious()
            blank = before is not None and before.tag == qn("w:p") and not "".join(before.itertext()).strip()
            (before if blank else parts[0].find(f".//{qn('w:p')}")).get_or_add_pPr().pageBreakBefore_val = True
            continue
        for paragraph in (p for table in parts for p in table.iter(_P)):
            style = paragraph.pPr.style if paragraph.pPr is not None else None
            line = sizes.exact_line(paragraph, style)
            if line is not None:
                spacing = _child(_first(paragraph, _PPR), _SPACING, _AFTER_PARAGRAPH_SPACING)
                spacing.set(qn("w:line"), str(round(line * factor)))  # float-ok: twips
                spacing.set(qn("w:lineRule"), "exact")
            for run in paragraph.iter(_R):
                rPr = _first(run, _RPR)
                sz = rPr.find(_SZ)
                size = ST_HpsMeasure.convert_from_xml(sz.get(_VAL)) if sz is not None else sizes.size(style)
                _child(rPr, _SZ, _AFTER_SZ).set(_VAL, str(round(size.pt * 2 * factor)))  # float-ok: half points
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# What follows w:spacing, and w:sz, in a run's properties (CT_RPr is a sequence).
_AFTER_SZ = frozenset(qn(f"w:{name}") for name in (
    "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
    "eastAsianLayout", "specVanish", "oMath"))
_AFTER_SPACING = _AFTER_SZ | {qn("w:w"), qn("w:kern"), qn("w:position"), qn("w:sz")}
# What follows w:spacing in a paragraph's properties (CT_PPr).
_AFTER_PARAGRAPH_SPACING = frozenset(qn(f"w:{name}") for name in (
    "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
    "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"))
_SZ, _SPACING, _PPR, _RPR = qn("w:sz"), qn("w:spacing"), qn("w:pPr"), qn("w:rPr")


def _first(parent, tag: str):
    """``parent``'s properties ``tag`` (its first child in the schema: w:pPr of a w:p, w:rPr of a w:r)."""
    element = parent.find(tag)
    if element is None:
        element = etree.SubElement(parent, tag)
        parent.insert(0, element)
    return element


def _child(parent, tag: str, later: frozenset):
    """``parent``'s child ``tag`` (Clark notation), added before the first of its children that
    come ``later`` in the schema's sequence if it has none. (python-docx's get_or_add does the
    same, a good deal more slowly: a 公开表 made smaller has a thousand runs.)"""
    element = parent.find(tag)
    if element is None:
        element = etree.SubElement(parent, tag)
        follower = next((child for child in parent if child.tag in later), None)
        if follower is not None:
            follower.addprevious(element)
    return element


def _run_spacing(run, twips: int) -> None:
    """The run's characters ``twips`` closer (negative) or further apart than they were."""
    element = _child(_first(run, _RPR), _SPACING, _AFTER_SPACING)
    before = element.get(qn("w:val"), "0")
    element.set(qn("w:val"), str(twips + (int(before) if before.lstrip("-").isdigit() else 0)))


class _StyleSizes:
    """What a paragraph's or run's styles give it (font size, exact line height, indents, a
    table's cell margins), following each style's basedOn chain to the document's defaults."""

    def __init__(self, styles):
        self.styles = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
        self.default = next((sid for sid, s in self.styles.items()
                             if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")), None)
        self.table_default = next((sid for sid, s in self.styles.items()
                                   if s.get(qn("w:type")) == "table" and s.get(qn("w:default")) in ("1", "true")), None)
        defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        self.base = defaults.sz_val if defaults is not None and defaults.sz_val is not None else None
        self.known: dict[tuple, object] = {}  # sizes and indents by the styles they come from

    def _chain(self, style_id, default=None):
        seen = set()
        style_id = style_id or (self.default if default is None else default)
        while style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            yield self.styles[style_id]
            based = self.styles[style_id].find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None

    def size(self, style_id, *more):
        """The font size a paragraph of style ``style_id`` gives its text; ``more``: styles whose
        size comes first (a run's character style) or after (its table's style), as (id, kind)."""
        key = ("size", style_id, more)
        if key not in self.known:
            self.known[key] = self._size(style_id, more)
        return self.known[key]

    def _size(self, style_id, more):
        from docx.shared import Pt

        before = [s for sid, kind in more if kind == "character" for s in self._chain(sid, "")]
        after = [s for sid, kind in more if kind == "table" for s in self._chain(sid, self.table_default)]
        for style in [*before, *self._chain(style_id), *after]:
            if style.rPr is not None and style.rPr.sz_val is not None:
                return style.rPr.sz_val
        return self.base or Pt(10)  # WordprocessingML's default: 10 pt

    def exact_line(self, paragraph, style_id):
        """The paragraph's exact line height in twips, or None when its lines are not exact."""
        pPrs = [paragraph.pPr] + [style.pPr for style in self._chain(style_id)]
        for pPr in pPrs:
            spacing = pPr.find(qn("w:spacing")) if pPr is not None else None
            if spacing is not None and spacing.get(qn("w:line")) is not None:
                exact = spacing.get(qn("w:lineRule")) == "exact"
                return int(spacing.get(qn("w:line"))) if exact else None
        return None

    def indents(self, paragraph, style_id, size: int) -> tuple[int, int]:
        """(left + right indent, first-line indent, negative when hanging) of a paragraph in twips,
        its text ``size`` half points (an indent in characters is counted in its ems)."""
        own = paragraph.pPr is not None and paragraph.pPr.find(qn("w:ind")) is not None
        key = ("indents", style_id, size)
        if own or key not in self.known:
            found = self._indents([paragraph.pPr] + [style.pPr for style in self._chain(style_id)], size)
            if own:
                return found
            self.known[key] = found
        return self.known[key]

    @staticmethod
    def _indents(pPrs, size: int) -> tuple[int, int]:
        found: dict[str, int] = {}
        for pPr in pPrs:
            ind = pPr.find(qn("w:ind")) if pPr is not None else None
            if ind is None:
                continue
            for side, names in (("left", ("leftChars", "startChars", "left", "start")),
                                ("right", ("rightChars", "endChars", "right", "end")),
                                ("first", ("firstLineChars", "hangingChars", "firstLine", "hanging"))):
                for name in names:
                    value = ind.get(qn(f"w:{name}"))
                    if side in found or value is None or not value.lstrip("-").isdigit():
                        continue
                    twips = int(value) * size * 10 // 100 if name.endswith("Chars") else int(value)
                    found[side] = -twips if name.startswith("hanging") else twips
        return found.get("left", 0) + found.get("right", 0), found.get("first", 0)

    def cell_margins(self, table) -> int:
        """The left and right margins of ``table``'s cells, and a border's width, in twips."""
        style = table.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
        tblPrs = [table.find(qn("w:tblPr"))] + [s.find(qn("w:tblPr")) for s in self._chain(
            style.get(qn("w:val")) if style is not None else None, self.table_default)]
        margins, border = {}, None
        for tblPr in tblPrs:
            if tblPr is None:
                continue
            for side, names in (("left", ("left", "start")), ("right", ("right", "end"))):
                for name in names:
                    mar = tblPr.find(f"{qn('w:tblCellMar')}/{qn('w:' + name)}")
                    if side not in margins and mar is not None and mar.get(qn("w:type"), "dxa") == "dxa":
                        margins[side] = int(mar.get(qn("w:w"), "0"))
            for edge in tblPr.findall(f"{qn('w:tblBorders')}/*") if border is None else ():
                sz = edge.get(qn("w:sz"))
                if sz is not None and sz.isdigit() and edge.get(qn("w:val")) not in ("nil", "none"):
                    border = max(border or 0, int(sz) * 5 // 2)  # eighths of a point → twips
        # Word's own default margins are 0.08 inch (115 twips) each side.
        return margins.get("left", 115) + margins.get("right", 115) + (border or 0)


# A table in WordprocessingML as lxml and Word write it: <w:tbl> … </w:tbl>, tables nested in cells.
_TABLE_TAG = re.compile(rb"<w:tbl>|</w:tbl>")


def _table_runs(document: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of top-level tables in ``document`` with nothing between them
    but empty paragraphs (the parts of a form, as a 自评表's, kept apart to break pages)."""
    depth, start, end = 0, None, None
    for tag in _TABLE_TAG.finditer(document):
        if tag.group() == b"<w:tbl>":
            if depth == 0 and (end is None or not _blank(document[end:tag.start()])):
                if start is not None:
                    yield start, end
                start = tag.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                end = tag.end()
    if start is not None and end is not None:
        yield start, end


_BLANK = re.compile(rb"(?:<w:p/>|<w:p>(?:(?!</w:p>|<w:r[ >]).)*</w:p>)*", re.DOTALL)


def _blank(xml: bytes) -> bool:
    """Whether ``xml`` is only paragraphs without text (no run)."""
    return len(xml) < 4096 and _BLANK.fullmatch(xml) is not None


def fit_columns(document: bytes, styles: bytes) -> list[bytes]:
    """The body (word/document.xml) with each table's column widths made to suit the texts it
    holds (:func:`generator.columns.refit`): no cell ending on a line of one character, and a
    cell that widths could not mend set a little closer (:func:`generator.columns.closer`).
    Tables with only empty paragraphs between them and the same columns (the parts of a 自评表)
    keep the same columns. A table changed is written again; the rest of the body is kept as is.
    In pieces of at most :data:`PIECE` bytes (a pull parser reading them holds no more at once)."""
    from docx.oxml import parse_xml

    root = re.search(rb"<w:document\b[^>]*>", document)
    if root is None:
        return _pieces(document)
    declared = {d.strip() for d in _Template._XMLNS_BYTES.findall(root.group())}
    sizes = None
    pieces, done, found = [], 0, {}
    for start, end in _table_runs(document):
        # the widths found before are part of what a table's fit depends on
        key = hashlib.sha256(repr(sorted(found.items())).encode() + styles + root.group()
                             + document[start:end]).digest()
        if key not in _FITTED:
            def fit(start=start, end=end):
                nonlocal sizes
                sizes = sizes or _StyleSizes(parse_xml(styles))
                children = list(parse_xml(root.group() + document[start:end] + b"</w:document>"))
                fitted = [_alone(etree.tostring(child, encoding="UTF-8"), declared) for child in children] \
                    if _refit_tables(children, sizes, found) else None
                return fitted, {grid: list(tried) for grid, tried in found.items()}

            # Kept on the machine too, as compiled templates are: a clerk's rebuild after a fix
            # fits only the tables the fix changed.
            _FITTED[key] = _cached(f"columns-{_columns_version()}", key.hex(), fit, marshal.dumps, marshal.loads)
            while len(_FITTED) > FITTED:
                del _FITTED[next(iter(_FITTED))]
        fitted, after = _FITTED[key]
        found = {grid: list(tried) for grid, tried in after.items()}
        if fitted is None:
            continue
        pieces += [document[done:start], *fitted]
        done = end
    return [cut for piece in [*pieces, document[done:]] for cut in _pieces(piece)]


PIECE = 1 << 20


def _pieces(data: bytes) -> list[bytes]:
    return [data[at:at + PIECE] for at in range(0, len(data), PIECE)] or [data]


def _alone(xml: bytes, declared: set[bytes]) -> bytes:
    """An element serialized alone, without the namespace declarations the document's root makes."""
    end = xml.index(b">")
    return _Template._XMLNS_BYTES.sub(lambda m: b"" if m.group(0).strip() in declared else m.group(0),
                                      xml[:end]) + xml[end:]


def _refit_tables(children: list, sizes: _StyleSizes, found: dict) -> bool:
    """Fit the columns of the tables among ``children`` (tables with blank paragraphs between);
    whether any changed. A table nesting another is left as it is. ``found``: the widths fitted
    so far, by the columns they were fitted from, tried first (see :func:`columns.refit`)."""
    from .columns import closer, refit

    tables = [child for child in children if child.tag == qn("w:tbl")]
    if any(table.find(f".//{qn('w:tbl')}") is not None for table in tables):
        return False
    grid_of = lambda table: [int(col.get(qn("w:w"), "0"))  # noqa: E731
                             for col in table.iterfind(f"{qn('w:tblGrid')}/{qn('w:gridCol')}")]
    changed = False
    for grid, members in itertools.groupby(tables, key=grid_of):
        members = list(members)
        placed = [(cell, tc) for index, table in enumerate(members) for cell, tc in _cells(table, index, sizes)]
        tried = found.setdefault(tuple(grid), [])
        widths = refit(grid, [cell for cell, _ in placed], tried=tried) if grid else grid
        if widths != grid and widths not in tried:
            tried.insert(0, widths)
            del tried[TRIED:]
        for cell, tc in placed:
            spacing = closer(cell, sum(widths[cell.column:cell.column + cell.span]))
            if spacing:
                for run in tc.iter(qn("w:r")):
                    _run_spacing(run, spacing)
                changed = True
        if widths == grid:
            continue
        changed = True
        for table in members:
            for col, width in zip(table.iterfind(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"), widths):
                col.set(qn("w:w"), str(width))
            for row in table.iterfind(qn("w:tr")):
                column = _grid_before(row)
                for tc in row.iterfind(qn("w:tc")):
                    span = _span(tc)
                    tcW = tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
                    if tcW is not None:
                        tcW.set(qn("w:w"), str(sum(widths[column:column + span])))
                        tcW.set(qn("w:type"), "dxa")
                    column += span
    return changed


TRIED = 4  # widths of alike tables tried before fitting one anew (see _refit_tables)
# The tables fitted lately, by a digest of their XML as rendered: a report is written two or three
# times over (for its headings, for LibreOffice, with the layout's fixes) with the same tables.
_FITTED: dict[bytes, tuple[list[bytes] | None, dict]] = {}
FITTED = 512


@functools.lru_cache(maxsize=1)
def _columns_version() -> str:
    """A digest of the code that fits columns: a fit kept on the machine is used by that code only."""
    from . import columns

    code = Path(columns.__file__).read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(code).hexdigest()[:16]


_VAL = qn("w:val")


def _grid_before(row) -> int:
    before = row.find(_GRID_BEFORE)
    return int(before.get(_VAL, "0")) if before is not None else 0


def _span(tc) -> int:
    span = tc.find(_GRID_SPAN)
    return int(span.get(_VAL, "1")) if span is not None else 1


_GRID_BEFORE, _GRID_SPAN, _V_MERGE = qn("w:trPr") + "/" + qn("w:gridBefore"), qn("w:tcPr") + "/" + qn("w:gridSpan"), \
    qn("w:tcPr") + "/" + qn("w:vMerge")
_TR, _TC, _P, _R, _T = qn("w:tr"), qn("w:tc"), qn("w:p"), qn("w:r"), qn("w:t")


def _cells(table, index: int, sizes: _StyleSizes):
    """The cells of ``table`` (the ``index``-th of a run) as :class:`generator.columns.Cell`, each
    with its ``w:tc``."""
    from .columns import Cell, Paragraph

    style = table.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
    table_style = (style.get(qn("w:val")) if style is not None else None, "table")
    margins = sizes.cell_margins(table)
    for number, row in enumerate(table.iterfind(_TR)):
        column = _grid_before(row)
        for tc in row.iterfind(_TC):
            span = _span(tc)
            merged = tc.find(_V_MERGE)
            if merged is None or merged.get(_VAL) == "restart":
                paragraphs = []
                for p in tc.iterfind(_P):
                    style_id = p.pPr.style if p.pPr is not None else None
                    runs = tuple(_run_text(r, style_id, table_style, sizes) for r in p.iter(_R))
                    indent, first = sizes.indents(p, style_id, int(sizes.size(style_id, table_style).pt * 2))
                    paragraphs.append(Paragraph(tuple(run for run in runs if run[0]), indent, first))
                yield Cell((index, number), column, span, tuple(paragraphs), margins), tc
            column += span


_RUN_TEXT = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:noBreakHyphen"): "-"}


def _run_text(run, style_id, table_style, sizes: _StyleSizes) -> tuple[str, int]:
    """(text, size in half points) of a run; a hidden run has no text."""
    rPr = run.rPr
    if rPr is not None and rPr.find(qn("w:vanish")) is not None:
        return "", 0
    size = rPr.sz_val if rPr is not None and rPr.sz_val is not None else sizes.size(
        style_id, (rPr.style if rPr is not None else None, "character"), table_style)
    text = "".join(child.text or "" if child.tag == _T else _RUN_TEXT.get(child.tag, "") for child in run)
    return text, int(size.pt * 2)


_UNDEFINED = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'|has no element (.+)$")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _mismatch(exc: Exception, template: Path, source: str) -> TemplateMismatch:
    """The clerk's line for a template that does not fit the context: the tag without data (as
    written in the template, e.g. ``narrative.s10_4_3``), or the text where a tag is malformed."""
    # Jinja's line numbers count the paragraphs of the part (docxtpl starts each on a new line).
    lines = _Template._PARAGRAPH.sub(r"\n<w:p\1", source).splitlines()
    if isinstance(exc, TemplateSyntaxError):
        line = lines[exc.lineno - 1] if exc.lineno and exc.lineno <= len(lines) else ""
        text = re.sub(r"<[^>]+>", "", line).strip()
        where = f"（在“{text[:60]}”处）" if text else ""
        return TemplateMismatch(f"报告模板 {template.name} 中有标签写错了{where}：请改正这个标签，或换回原模板")
    found = _UNDEFINED.search(exc.message or "")
    name = next((g for g in found.groups() if g), "") if found else (exc.message or "")
    return TemplateMismatch(f"报告模板 {template.name} 中的标签“{_tag_of(name, lines, exc)}”没有数据"
                            "（模板与程序不匹配）：请改回模板中的这个标签，或换回原模板")


def _tag_of(name: str, lines: list[str], exc: Exception) -> str:
    """The dotted name ending in ``name`` in the tags of the failing line (or else of the part)."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            frames.append(tb.tb_lineno)
        tb = tb.tb_next
    failing = [lines[n - 1] for n in frames[-1:] if 0 < n <= len(lines)]
    dotted = re.compile(r"[\w.]*(?<!\w)%s(?!\w)" % re.escape(name.strip("'")))
    for line in [*failing, *lines]:
        for tag in _TAG.finditer(line):
            if found := dotted.search(tag.group(0)):
                return found.group(0)
    return name


def template_tags(template: Path) -> dict[str, set[str]]:
    """Every name the template takes from the context, each with the attributes its tags read
    directly off it (``narrative`` → ``{"s1", …, "s10_4_5"}``): the document, its headers and
    footers, patched as they are for rendering."""
    from jinja2 import meta, nodes

    document = _Template(str(template))
    document.init_docx()
    sources = [document.patch_xml(document.get_xml())]
    for uri in (document.HEADER_URI, document.FOOTER_URI):
        sources += [document.patch_xml(document.get_part_xml(part))
                    for _, part in document.get_headers_footers(uri)]
    names: dict[str, set[str]] = {}
    environment = Environment()
    for source in sources:
        tree = environment.parse(source)
        used = meta.find_undeclared_variables(tree)
        for name in used:
            names.setdefault(name, set())
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            if isinstance(node.node, nodes.Name) and node.node.name in used:
                key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
                if isinstance(key, str):
                    names[node.node.name].add(key)
    return names


# The styles of the headings the 目录 lists, by name (Word writes its built-in names in lower case).
_HEADING_LEVELS = {"heading 1": 1, "heading 2": 2, "表标题": 2}


def headings(docx: Path, annex: str | None) -> list[tuple[int, str, str]]:
    """(level, text, entry) of the report's part and section headings: the text as printed on
    its page, the entry as the 目录 lists it (the tables numbered 一、… 十、, as published).
    Headings holding ``annex`` (the title of the 自评表, one a project) are not listed. Read
    straight from the package's XML, paragraph by paragraph (a body may be 56 MB)."""
    with zipfile.ZipFile(docx) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
        levels = {}
        for style in styles.iter(qn("w:style")):
            name = style.find(qn("w:name"))
            if name is not None and (level := _HEADING_LEVELS.get(name.get(qn("w:val"), "").lower())):
                levels[style.get(qn("w:styleId"))] = (level, name.get(qn("w:val")) == "表标题")
        found, tables = [], 0
        with archive.open("word/document.xml") as body:
            for _, paragraph in etree.iterparse(body, events=("end",), tag=qn("w:p"), huge_tree=True):
                parent = paragraph.getparent()
                style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
                heading = None if style is None or parent.tag != qn("w:body") else levels.get(style.get(qn("w:val")))
                if heading is not None:
                    text = "".join(t.text or "" for t in paragraph.iterfind(f"./{qn('w:r')}/{qn('w:t')}")).strip()
                    if text and not (annex and annex in text):
                        if heading[1]:
                            tables += 1
                            found.append((2, text, f"{chinese_number(tables)}、{text}"))
                        else:
                            found.append((heading[0], text, text))
                if parent.tag == qn("w:body"):
                    paragraph.clear()
                    while paragraph.getprevious() is not None:  # read already
                        del parent[0]
    return found
