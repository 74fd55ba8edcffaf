"""The plugin's Chinese catalogue is whole: every message in its code and templates has a
translation, and the compiled catalogue a shop loads matches it. A message added without one
shows in English on an otherwise Chinese admin or API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

import stylerec_plugin

PLUGIN = Path(stylerec_plugin.__file__).resolve().parent
MESSAGES = PLUGIN / "locale" / "zh_Hans" / "LC_MESSAGES"


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def test_every_message_in_the_plugin_is_in_the_catalogue(tmp_path):
    # makemessages on a copy, so the committed catalogue is compared, never rewritten.
    copy = tmp_path / "stylerec_plugin"
    shutil.copytree(PLUGIN, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        # django-admin, not python -m django: from inside the package its queue.py would shadow the stdlib's.
        [str(Path(sys.executable).parent / "django-admin"), "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=copy, check=True, capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},  # no project: the app alone
    )
    extracted = {_key(e) for e in polib.pofile(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
                 if not e.obsolete}
    committed = {_key(e) for e in polib.pofile(MESSAGES / "django.po") if not e.obsolete}
    assert sorted(extracted - committed, key=str) == [], "run makemessages -l zh_Hans in stylerec_plugin/"


def test_every_message_is_translated_and_compiled():
    catalogue = polib.pofile(MESSAGES / "django.po")
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    compiled = {_key(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(MESSAGES / "django.mo")}
    stale = [e.msgid for e in catalogue.translated_entries()
             if compiled.get(_key(e)) != (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})]
    assert stale == [], "run compilemessages in stylerec_plugin/"


@pytest.mark.django_db
def test_the_photo_admin_reads_in_chinese(admin_client):
    with translation.override("zh-hans"):
        page = admin_client.get(reverse("admin:stylerec_plugin_productphoto_changelist"),
                                HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "商品遮罩" in page and "不可信" in page, "the mask filter and its choices are translated"
