"""The command line speaks the chosen language; its JSON and exit codes do not change."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict[str, str], config: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    base.update(env)
    base["IPMSG_TUI_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "ipmsg_tui", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, ("send", "--help"), "封缄：对方须打开才能看到"),
        ({"LANGUAGE": "ja"}, ("send", "--help"), "封書にする"),
        ({"LANG": "ja_JP.UTF-8"}, ("--language", "zh_CN", "--help"), "界面语言"),
        ({"LANG": "zh_CN.UTF-8"}, ("--language=en", "--help"), "language of the interface"),
        ({"LC_ALL": "C", "LANGUAGE": "zh_CN"}, ("--help",), "language of the interface"),
    ],
)
def test_help_is_in_the_chosen_language(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], expected: str
) -> None:
    result = run(*args, env=env, config=tmp_path / "none.toml")
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_the_config_files_language_is_used_and_a_flag_overrides_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "ja"\n', encoding="utf-8")
    assert "表示言語" in run("--help", env={"LANG": "zh_CN.UTF-8"}, config=config).stdout
    flagged = run("--language", "zh_CN", "--help", env={}, config=config)
    assert "界面语言" in flagged.stdout


def test_errors_are_translated_and_keep_their_exit_code(tmp_path: Path) -> None:
    result = run("who", "--wait", "soon", env={"LANG": "zh_CN.UTF-8"}, config=tmp_path / "x")
    assert result.returncode == 2
    assert "'soon' 不是秒数" in result.stderr
    result = run("history", "--limit", "0", env={"LANGUAGE": "ja"}, config=tmp_path / "x")
    assert result.returncode == 2
    assert "'0' は正の整数ではありません" in result.stderr


def test_a_bad_language_setting_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "klingon"\n', encoding="utf-8")
    result = run("history", env={}, config=config)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "language 'klingon' is not one of auto, en, zh_CN, ja" in result.stderr


ENGLISH_PHRASE = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")
ARGPARSE_ENGLISH = ("usage:", "options:", "positional arguments", "show this help", "error:")


@pytest.mark.parametrize(
    ("env", "usage", "required"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "用法：", "缺少以下必需参数：TARGET, TEXT"),
        ({"LANGUAGE": "ja"}, "使い方: ", "次の引数が必要です: TARGET, TEXT"),
    ],
)
def test_argparse_speaks_the_language_too(
    tmp_path: Path, env: dict[str, str], usage: str, required: str
) -> None:
    config = tmp_path / "none.toml"
    for args in (("--help",), ("send", "--help"), ("keys", "--help"), ("history", "--help")):
        shown = run(*args, env=env, config=config)
        assert shown.returncode == 0 and shown.stdout.startswith(usage), shown.stdout
        assert not [w for w in ARGPARSE_ENGLISH if w in shown.stdout], shown.stdout
        # No English phrase is left: what stays Latin is flags, metavars and names.
        assert not ENGLISH_PHRASE.findall(shown.stdout), shown.stdout
    missing = run("send", env=env, config=config)
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1].endswith(required), missing.stderr
    assert not [w for w in ARGPARSE_ENGLISH if w in missing.stderr], missing.stderr
    unknown = run("who", "--frobnicate", env=env, config=config)
    assert unknown.returncode == 2 and "--frobnicate" in unknown.stderr
    assert not [w for w in ARGPARSE_ENGLISH if w in unknown.stderr], unknown.stderr
