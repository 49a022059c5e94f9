"""Every command's help and every usage error is Chinese: none of click's English words reach the user.

The English words to look for come from click's own message catalogue (``kbtui.cli.zh.CATALOG`` keys, the
texts click prints) and its type names: whatever click adds later and the catalogue misses shows up here.
"""
from __future__ import annotations

import re

import click
import pytest

from kbtui.cli import cli, zh
from tests.conftest import run_cli

_PLACEHOLDER = re.compile(r"\{[^}]*\}|%\([^)]*\)s")
_WORD = re.compile(r"[A-Za-z]{3,}")
_OPTION = re.compile(r"(?<![A-Za-z])--?[A-Za-z][\w-]*")
_PATH = re.compile(r"[\w.-]*/[\w./-]*")          # a file name the user types (journal/journal.key)

CLICK_WORDS = {w.lower() for msgid in zh.CATALOG for w in _WORD.findall(_PLACEHOLDER.sub(" ", msgid))} | {
    "text", "integer", "float", "boolean", "range", "options", "command", "args", "argument", "choice",
    "filename", "datetime", "uuid", "usage", "error"}


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


# our own command names (``case show``, ``case open``) are what the user types, not click's English
OUR_WORDS = {part for path, _ in commands() for name in path for part in (name, *name.split("-"))}
ALL = [path for path, _ in commands()]
LEAVES = [(path, command) for path, command in commands() if not isinstance(command, click.Group)]


def click_english(text: str) -> set[str]:
    plain = _PATH.sub(" ", _OPTION.sub(" ", text))
    return {w for w in _WORD.findall(plain) if w.lower() in CLICK_WORDS and w not in OUR_WORDS}


def _run(*args: str, tmp_path) -> str:
    result = run_cli(*args, data_dir=tmp_path / "data")
    return result.output


def test_the_word_list_knows_the_usual_suspects():
    assert {"usage", "error", "show", "message", "exit", "try", "help", "missing", "argument", "invalid", "value",
            "such", "option", "text", "integer", "path"} <= CLICK_WORDS
    assert click_english("Usage: kbtui visit [OPTIONS] ID\nError: No such option: --x") == {"Usage", "OPTIONS", "Error",
                                                                                              "such", "option"}
    assert click_english("用法： kbtui visit [选项] 身份证号 --help --no-such-option") == set()


def test_root_help_is_chinese(tmp_path):
    out = _run("--help", tmp_path=tmp_path)
    assert "用法：" in out and "选项" in out and "命令" in out and "显示本帮助后退出" in out
    assert click_english(out) == set(), out


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_help_of_every_command_is_chinese(path, tmp_path):
    out = _run(*path, "--help", tmp_path=tmp_path)
    assert "用法：" in out, out
    assert click_english(out) == set(), out
    usage = out.splitlines()[0]
    assert not re.search(r"\b[A-Z][A-Z_]{2,}\b", usage), usage     # no ID_NUMBER / FILE metavars


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_unknown_option_is_refused_in_chinese(path, tmp_path):
    result = run_cli(*path, "--no-such-thing", data_dir=tmp_path / "data")
    assert result.exit_code == 2
    assert "没有选项“--no-such-thing”" in result.output, result.output
    assert "用法说明请看：" in result.output
    assert click_english(result.output) == set(), result.output


REQUIRED = [(path, command) for path, command in LEAVES if any(p.required for p in command.params)]


@pytest.mark.parametrize("path,command", REQUIRED, ids=[" ".join(p) for p, _ in REQUIRED])
def test_missing_argument_or_option_is_named_in_chinese(path, command, tmp_path):
    result = run_cli(*path, data_dir=tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "错误：缺少" in result.output, result.output
    assert click_english(result.output) == set(), result.output


def _typed_options():
    for path, command in LEAVES:
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and isinstance(
                    param.type, (click.Choice, click.types._NumberParamTypeBase)) \
                    or type(param.type).__name__ == "DateType":
                yield path, command, param


TYPED = list(_typed_options())
#: A value each required option's type accepts (the other options of the command must not be wrong too).
VALID = {"DateType": "2024-09-02", "OutputFile": "out.xlsx"}


@pytest.mark.parametrize("path,command,param", TYPED, ids=[f"{' '.join(p)} {o.opts[0]}" for p, _, o in TYPED])
def test_a_wrong_value_of_a_typed_option_is_refused_in_chinese(path, command, param, tmp_path):
    args = [*path]
    for other in command.params:          # the required arguments, so that only the bad value is wrong
        if isinstance(other, click.Argument) and other.required:
            args += ["x"] * (1 if other.nargs == 1 else 1)
        elif isinstance(other, click.Option) and other.required and other is not param:
            args += [other.opts[0], VALID.get(type(other.type).__name__, "1")]
    args += [param.opts[0], "随便写"]
    result = run_cli(*args, data_dir=tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert f"错误：{param.opts[0]} 的值不对" in result.output, result.output
    assert click_english(result.output) == set(), result.output
    if isinstance(param.type, click.Choice):
        assert "可选：" + "、".join(map(str, param.type.choices)) in result.output


def test_a_wrong_choice_argument_lists_the_choices(tmp_path):
    result = run_cli("import", "随便写", "名单.xlsx", data_dir=tmp_path / "data")
    assert result.exit_code == 2
    assert "名单类型 的值不对：“随便写”不是可选的值" in result.output
    assert "police" in result.output and "派出所户籍名单" in result.output
    assert click_english(result.output) == set()


def test_an_extra_argument_and_a_missing_value_are_chinese(tmp_path):
    extra = run_cli("stats", "多余", data_dir=tmp_path / "data")
    assert extra.exit_code == 2 and "多余的参数（多余）" in extra.output
    missing = run_cli("visit", "x", "--status", data_dir=tmp_path / "data")
    assert missing.exit_code == 2 and "选项“--status”后面须写一个值" in missing.output
    for result in (extra, missing):
        assert click_english(result.output) == set(), result.output


def test_help_columns_line_up_with_chinese_metavars(tmp_path):
    out = _run("visit", "--help", tmp_path=tmp_path)
    starts = {zh.display_width(line[: line.index(help_)]) for line in out.splitlines()
              for help_ in ("就读学校。", "年级。", "备注。") if help_ in line}
    assert len(starts) == 1, out
