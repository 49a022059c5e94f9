"""click's own words in Chinese: help headings, usage lines, usage errors, type names and metavars.

click marks every text it prints with ``gettext`` (``_(…)`` and ``ngettext(…)`` looked up in each of its
modules at call time). ``install()`` puts a lookup in this catalog in their place, before any command is
declared (``Path`` types name themselves when they are built), so every command of kbtui speaks Chinese
without each command doing anything. ``localize(command)`` then gives a command tree Chinese
metavars: ``[选项]``, ``命令 [参数]...`` and the arguments' names (``ARGUMENT_METAVARS``).

A text missing from the catalog stays English; ``tests/test_cli_chinese.py`` runs ``--help`` and usage
errors of every command and fails on any English word of click's.
"""
from __future__ import annotations

import importlib
import unicodedata
from typing import Any

import click

#: click's message ids → Chinese (keeps click's named placeholders; ``{x!r}`` becomes ``“{x}”``).
CATALOG: dict[str, str] = {
    "Aborted!": "已取消。",
    "deprecated": "已停用",
    "Options": "选项",
    "Positional arguments": "参数",
    "Commands": "命令",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "提示：命令“{name}”已停用。{extra_message}",
    "Missing command.": "缺少命令。",
    "Value must be an iterable.": "应为多个值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "提示：“{name}”已停用。{extra_message}",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（运行时决定）",
    "Did you mean {possibility}?": "是不是要写 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是要写其中之一：{possibilities}？）",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用法说明请看：{command} {option}",
    "Invalid value: {message}": "值不对：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项“{name}”。",
    "No such command {name!r}.": "没有命令“{name}”。",
    "Option {name!r} does not take a value.": "选项“{name}”后面不带值。",
    "Option {name!r} requires an argument.": "选项“{name}”后面须写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项“{name}”后面须写 {nargs} 个值。",
    "Argument {name!r} takes {nargs} values.": "参数“{name}”需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符不对（{option}）",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不再询问，直接确认。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Show the version and exit.": "显示版本号后退出。",
    "Show this message and exit.": "显示本帮助后退出。",
    "Usage:": "用法：",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的不一致。",
    "Error: invalid input": "错误：输入无效，请输入 y（是）或 n（否）",
    "Press any key to continue...": "按任意键继续……",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not {choice}.": "“{value}”不是可选的值，只能是：{choice}。",
    "{value!r} is not one of {choices}.": "“{value}”不是可选的值，可选：{choices}。",
    "{value!r} is not a valid {number_type}.": "“{value}”不是{number_type}。",
    "{value} is not in the range {range}.": "{value} 超出范围（{range}）。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "“{value}”应为是或否（可写：{states}）",
    "{value!r} is not a valid UUID.": "“{value}”不是有效的编号。",
    "{value!r} does not match the format {format}.": "“{value}”的格式不对，应为 {format}。",
    "{value!r} does not match the formats {formats}.": "“{value}”的格式不对，应为 {formats} 之一。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a file.": "“{filename}”是文件，应为目录。",
    "{name} {filename!r} is a directory.": "“{filename}”是目录，应为文件。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”无法读取（没有权限）。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”无法写入（没有权限）。",
    "{name} {filename!r} is not executable.": "{name}“{filename}”不能执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "unknown error": "未知错误",
}

#: click's parameter types by the name shown as metavar and in "… is not a valid {number_type}".
TYPE_NAMES: dict[str, str] = {
    "StringParamType": "文本", "UnprocessedParamType": "文本", "IntParamType": "整数",
    "IntRange": "整数", "FloatParamType": "数字", "FloatRange": "数字", "BoolParamType": "是或否",
    "DateTime": "日期时间", "UUIDParameterType": "编号", "File": "文件",
}

#: Argument names (the function parameter) → metavar shown in usage lines and help.
ARGUMENT_METAVARS: dict[str, str] = {
    "id_number": "身份证号", "id_numbers": "身份证号", "file": "文件", "path": "文件",
    "source": "名单类型", "login": "系统用户名", "name": "姓名", "case_key": "案卷", "step": "步骤",
    "rung": "步骤", "ledger_id": "台账", "report_id": "报表", "option": "安置方式", "campaign_id": "排查工作",
    "items": "说明=文件", "output": "输出文件", "helper": "帮扶人",
}

_CLICK_MODULES = ("core", "exceptions", "types", "parser", "decorators", "formatting", "termui", "utils",
                  "_termui_impl", "shell_completion")


def translate(message: str) -> str:
    return CATALOG.get(message, message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


def _hint(error: click.BadParameter) -> str:
    """The parameter an error is about, as written on the command line (``--how``, ``身份证号``)."""
    if error.param_hint is not None:
        hint: Any = error.param_hint
    elif error.param is not None:
        hint = error.param.get_error_hint(error.ctx)
    else:
        hint = None
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(hint)
    return (hint or "").replace("'", "")


def _bad_value_message(self: click.BadParameter) -> str:
    hint = _hint(self)
    return f"{hint} 的值不对：{self.message}" if hint else f"值不对：{self.message}"


def _missing_message(self: click.MissingParameter) -> str:
    """缺少参数“身份证号”。 instead of click's ``Missing argument 'ID_NUMBER'.`` layout."""
    hint = _hint(self)
    kind = self.param_type or (self.param.param_type_name if self.param is not None else "parameter")
    missing = translate({"argument": "Missing argument", "option": "Missing option"}.get(kind, "Missing parameter"))
    extra = self.message or ""
    if self.param is not None:
        more = self.param.type.get_missing_message(param=self.param, ctx=self.ctx)
        extra = "，".join(x for x in (extra, more) if x)
    return f"{missing}“{hint}”。{extra}" if hint else f"{missing}。{extra}"


_installed = False


def install() -> None:
    """Make click speak Chinese (idempotent). Called by ``kbtui.cli.common`` before any command exists."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:       # a module a later click renames: its texts stay as click wrote them
            continue
        if hasattr(module, "_"):
            module._ = translate
        if hasattr(module, "ngettext"):
            module.ngettext = translate_plural
    for cls_name, label in TYPE_NAMES.items():
        cls = getattr(click.types, cls_name, None)
        if cls is not None:
            cls.name = label
    click.BadParameter.format_message = _bad_value_message  # type: ignore[method-assign]
    click.MissingParameter.format_message = _missing_message  # type: ignore[method-assign]
    click.Choice.get_invalid_choice_message = _invalid_choice  # type: ignore[method-assign]
    click.formatting.term_len = display_width    # help columns line up with Chinese text


def _invalid_choice(self: click.Choice, value: Any, ctx: click.Context | None) -> str:
    return f"“{value}”不是可选的值，可选：{'、'.join(map(str, self.choices))}"


def display_width(text: str) -> int:
    """Terminal cells taken by ``text`` (a Chinese character takes two), ANSI colours not counted."""
    plain = click._compat.strip_ansi(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."


def localize(root: click.Command) -> None:
    """Chinese metavars for a command and every command under it (the root group's ``LazyGroup`` runs it
    for each command as its module is loaded)."""
    def walk(command: click.Command) -> None:
        command.options_metavar = OPTIONS_METAVAR
        for param in command.params:
            if isinstance(param, click.Argument) and param.name in ARGUMENT_METAVARS \
                    and (param.metavar is None or param.metavar.isascii()):
                label = ARGUMENT_METAVARS[param.name]
                label = label if param.required else f"[{label}]"
                param.metavar = label if param.nargs == 1 else f"{label}..."
        if isinstance(command, click.Group):
            command.subcommand_metavar = SUBCOMMAND_METAVAR
            for sub in command.commands.values():
                walk(sub)

    walk(root)
