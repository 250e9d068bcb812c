"""The Polish catalogue is complete: ``makemessages`` leaves no untranslated or fuzzy
entry, and the compiled ``.mo`` says what the ``.po`` says.

makemessages runs as a maintainer runs it in the project root (``MAKEMESSAGES``), on
a scratch copy of ``locale/``: the scratch folder reaches the source through
symlinks, so the messages are extracted from the working tree as it is and the
working tree is never written. A failure lists each entry to translate with where
its text is; translate it in ``locale/pl/LC_MESSAGES/<domain>.po`` and compile
(``manage.py compilemessages -l pl --ignore=.venv``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
LANGUAGE = "pl"
# The command that brings the catalogue up to date (run from the project root).
MAKEMESSAGES = [
    "makemessages",
    "-l",
    LANGUAGE,
    "--ignore=tests",
    "--ignore=bench",
    "--no-obsolete",
]
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib", "msgfmt")


# A .po reader: just what the checks need (gettext's own tools write these files).


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    locations: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def untranslated(self) -> bool:
        return not self.msgstr or any(text == "" for text in self.msgstr.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def describe(self) -> str:
        where = ", ".join(self.locations) or "no location"
        context = f" [context {self.msgctxt!r}]" if self.msgctxt is not None else ""
        plural = f" / {self.msgid_plural!r}" if self.msgid_plural is not None else ""
        return f"{self.msgid!r}{plural}{context} ({where})"


def _unquote(text: str) -> str:
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def read_po(text: str) -> list[Entry]:
    """The entries of a .po file, in order (obsolete ``#~`` ones marked so)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int | None] | None = None
    started = False

    def finish():
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for raw in text.splitlines() + [""]:
        line = raw.strip()
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line or line.startswith("#"):
                continue
        elif not line:
            finish()
            continue
        elif line.startswith("#,"):
            if started:  # comments open the next entry
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        elif line.startswith("#:"):
            if started:
                finish()
            entry.locations.extend(line[2:].split())
            continue
        elif line.startswith("#"):
            if started:
                finish()
            continue
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"'):
            if target is None:
                continue
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
            continue
        if keyword in ("msgctxt", "msgid") and started and target and target[0] == "msgstr":
            finish()  # an entry without a blank line before the next
        started = True
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            entry.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            setattr(entry, keyword, _unquote(rest))
            target = (keyword, None)
    return entries


def incomplete(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """(untranslated, fuzzy) live entries, the header aside."""
    live = [e for e in entries if not e.obsolete and not e.is_header]
    return [e for e in live if e.untranslated], [e for e in live if e.fuzzy]


def test_read_po_finds_untranslated_fuzzy_and_plural_entries():
    entries = read_po(
        "\n".join(
            [
                "#, fuzzy",
                'msgid ""',
                'msgstr ""',
                '"Plural-Forms: nplurals=3;\\n"',
                "",
                "#: panel/views.py:1 panel/views.py:9",
                'msgid "Done"',
                'msgstr "Gotowe"',
                "",
                "#: templates/a.html:3",
                "#, fuzzy, python-format",
                'msgid "%(n)s left"',
                'msgstr "zostało %(n)s"',
                "",
                'msgctxt "a sender name"',
                'msgid ""',
                '"allowed"',
                'msgstr ""',
                "",
                'msgid "one day"',
                'msgid_plural "%(n)d days"',
                'msgstr[0] "dzień"',
                'msgstr[1] "%(n)d dni"',
                'msgstr[2] ""',
                "",
                '#~ msgid "Gone"',
                '#~ msgstr ""',
            ]
        )
    )
    assert [e.msgid for e in entries] == ["", "Done", "%(n)s left", "allowed", "one day", "Gone"]
    assert entries[1].locations == ["panel/views.py:1", "panel/views.py:9"]
    untranslated, fuzzy = incomplete(entries)
    assert [e.msgid for e in untranslated] == ["allowed", "one day"]
    assert [e.msgid for e in fuzzy] == ["%(n)s left"]
    assert untranslated[0].msgctxt == "a sender name"
    assert entries[-1].obsolete


def _gettext_tools():
    missing = [tool for tool in GETTEXT_TOOLS if not shutil.which(tool)]
    if missing:
        message = f"gettext tools missing ({', '.join(missing)}): apt-get install gettext"
        if os.environ.get("CI", "") not in ("", "0", "false"):
            pytest.fail(message)
        pytest.skip(message)


def domains() -> list[str]:
    """The catalogues kept for the language: django, and djangojs once there is one."""
    folder = LOCALE / LANGUAGE / "LC_MESSAGES"
    return [d for d in ("django", "djangojs") if (folder / f"{d}.po").exists()]


def _scratch_tree(scratch: Path) -> None:
    """``scratch`` as the project root for makemessages: every source folder and file
    a symlink to the real one, ``locale/`` a copy (the only thing written)."""
    skip = {Path(p).resolve() for p in (settings.STATIC_ROOT, settings.MEDIA_ROOT) if p} | {LOCALE}
    for item in ROOT.iterdir():
        if item.name.startswith(".") or item.resolve() in skip:
            continue
        (scratch / item.name).symlink_to(item)
    shutil.copytree(LOCALE, scratch / "locale")


def extracted(domain: str) -> str:
    """The catalogue of ``domain`` as makemessages leaves it, made on a scratch copy."""
    with tempfile.TemporaryDirectory(prefix="makemessages-") as scratch:
        scratch = Path(scratch)
        _scratch_tree(scratch)
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), *MAKEMESSAGES, "-d", domain, "--symlinks"],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        return (scratch / "locale" / LANGUAGE / "LC_MESSAGES" / f"{domain}.po").read_text()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("domain", domains())
def test_makemessages_leaves_no_untranslated_or_fuzzy_polish_entry(domain):
    _gettext_tools()
    before = _snapshot(LOCALE)
    untranslated, fuzzy = incomplete(read_po(extracted(domain)))
    assert _snapshot(LOCALE) == before  # the working tree's locale/ is left as it was
    problems = [f"untranslated: {e.describe()}" for e in untranslated]
    problems += [f"fuzzy (check it, then drop the flag): {e.describe()}" for e in fuzzy]
    if problems:
        pytest.fail(
            f"locale/{LANGUAGE}/LC_MESSAGES/{domain}.po after `manage.py "
            f"{' '.join(MAKEMESSAGES)} -d {domain}` has {len(problems)} entries to translate:\n"
            + "\n".join(problems)
            + f"\nGive each its msgstr in that file (new entries may go at its end), then run "
            f"`manage.py compilemessages -l {LANGUAGE} --ignore=.venv`.",
            pytrace=False,
        )


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as fp:
        catalog = dict(GNUTranslations(fp)._catalog)
    catalog.pop("", None)  # the header: its dates may differ
    return catalog


@pytest.mark.parametrize("domain", domains())
def test_the_compiled_catalogue_matches_the_po(domain):
    _gettext_tools()
    folder = LOCALE / LANGUAGE / "LC_MESSAGES"
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / f"{domain}.mo"
        po = folder / f"{domain}.po"
        result = subprocess.run(  # noqa: S603
            [shutil.which("msgfmt"), "--check", "-o", str(fresh), str(po)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"msgfmt --check refuses {po}:\n{result.stderr}"
        assert _catalog(folder / f"{domain}.mo") == _catalog(fresh), (
            f"{domain}.mo is older than {domain}.po: "
            f"run manage.py compilemessages -l {LANGUAGE} --ignore=.venv"
        )
