"""The ``kbtui`` command line: the root group and its global options. Each command group lives in its own
module, named with the command in ``COMMANDS`` and imported only when that command runs (``cli.lazy``:
``kbtui --help`` imports no service)."""
from __future__ import annotations

from pathlib import Path

import click

from kbtui.cli import zh

zh.install()     # before any command is declared: click's own words (help, usage errors) in Chinese

from kbtui.cli.lazy import LazyCommand, LazyGroup  # noqa: E402

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: every command: the module that declares it and the first paragraph of its help (what ``--help`` lists;
#: ``tests/test_cli_lazy.py`` fails when this differs from the command's own)
COMMANDS: dict[str, LazyCommand] = {
    "operators": LazyCommand("kbtui.cli.admin_cmds",
                             "操作员：系统用户名（SSH 登录名）、姓名、角色和范围（村或学校）。"),
    "audit": LazyCommand("kbtui.cli.admin_cmds", "修改日志：校验日志和数据、查看谁在何时改了什么、更换日志密钥。"),
    "backup": LazyCommand("kbtui.cli.admin_cmds",
                          "备份数据目录（儿童数据、日志、附件、配置；区县数据库连同数据库）到 <数据目录>/backups/，"
                          "保留最近 N 份。"),
    "restore": LazyCommand("kbtui.cli.admin_cmds",
                           "把备份恢复到一个空目录并校验（备份清单的签名、每个文件的校验值、日志、"
                           "数据与日志一致、儿童人数）。不会覆盖现有数据。"),
    "calendar": LazyCommand("kbtui.cli.calendar_cmds", "校历：按国家法定节假日、调休和本县的放假安排计算的上课日。"),
    "campaign": LazyCommand("kbtui.cli.campaign_cmds", "排查工作（学期、年度）：列出、新建、切换，查看阶段和期限。"),
    "people": LazyCommand("kbtui.cli.campaign_cmds",
                          "人员名单：镇村干部、学校教师等，包括职务、单位、电话和包保范围。"),
    "assign": LazyCommand("kbtui.cli.campaign_cmds",
                          "分配双线责任人：按规则（--rule），或手工指定一个村、组或几名儿童（--gov / --edu）。"),
    "tasks": LazyCommand("kbtui.cli.campaign_cmds", "走访任务：每人、每村的任务数、已完成、逾期。"),
    "absence": LazyCommand("kbtui.cli.escalation_cmds", "缺课记录：登记缺课、记录返校、导入缺课名单。"),
    "escalation": LazyCommand("kbtui.cli.escalation_cmds",
                              "劝返流程：查看到期事项、推进流程、记录已完成的处置、生成法律文书。"),
    "case": LazyCommand("kbtui.cli.escalation_cmds", "一生一案：立案、记录劝返、劝返复学、动态销号。"),
    "import": LazyCommand("kbtui.cli.import_cmds", "导入名单：名单类型见下，文件为 Excel（.xlsx/.xls）或 CSV。"),
    "plugins": LazyCommand("kbtui.cli.info_cmds", "列出已加载的插件、来源（内置 / 已安装 / 插件目录）和登记的内容。"),
    "store": LazyCommand("kbtui.cli.store_cmds", "数据存放：把乡镇数据目录迁入区县的 PostgreSQL 数据库。"),
    "stats": LazyCommand("kbtui.cli.info_cmds", "统计：儿童人数，按情况、按村、按台账分列，以及待核实人数。"),
    "check": LazyCommand("kbtui.cli.info_cmds", "检查数据问题：身份证号无效、疑似重复、年龄不符、情况与记录矛盾等。"),
    "ledger": LazyCommand("kbtui.cli.ledger_cmds", "台账：列出、导出为可打印的 Excel 表、导入线下填写后的台账。"),
    "placement": LazyCommand("kbtui.cli.placement_cmds",
                             "残疾儿童：专家委员会评估、入学安置、送教上门记录、免予入学名册和待办检查。"),
    "report": LazyCommand("kbtui.cli.report_cmds",
                          "报表：按村或学校汇总的统计表（附件3、统计表、辍学情况报告、比对报告等），"
                          "预览或导出为 Excel。"),
    "risk": LazyCommand("kbtui.cli.risk_cmds",
                        "辍学风险预警：按配置的预警因素给排查范围内的儿童评分，列出预警名单并安排结对帮扶、家访和立案。"),
    "init": LazyCommand("kbtui.cli.setup_cmds", "按地方配置新建一个空的数据目录。"),
    "demo": LazyCommand("kbtui.cli.setup_cmds",
                        "生成一个虚构乡镇的演示数据（默认双山镇2024年秋期，约1500名儿童），并打开界面。"),
    "tui": LazyCommand("kbtui.cli.setup_cmds", "打开终端界面（与不带命令运行 kbtui 相同）。"),
    "visit": LazyCommand("kbtui.cli.work_cmds", "登记一次走访（入户核实）的结果：更新儿童的核实情况并完成其走访任务。"),
    "evidence": LazyCommand("kbtui.cli.work_cmds",
                            "为儿童当前的核实情况补充佐证材料：每项写成 说明=文件路径（或只写说明）。"),
    "review": LazyCommand("kbtui.cli.work_cmds", "逐级核查核实结果（录入 → 村/校核查 → 镇核查 → 县复核），通过或退回。"
                                                 "操作员的职务取自人员名单。"),
    "spotcheck": LazyCommand("kbtui.cli.work_cmds",
                             "专项督导检查：按家庭类型随机抽户、打印督查名单、登记督查结果、列出不一致。"),
}
COMMAND_MODULES = tuple(dict.fromkeys(entry.module for entry in COMMANDS.values()))


@click.group(cls=LazyGroup, lazy=COMMANDS, on_load=zh.localize, heading=zh.translate("Commands"),
             invoke_without_command=True, context_settings=CONTEXT_SETTINGS,
             options_metavar=zh.OPTIONS_METAVAR, subcommand_metavar=zh.SUBCOMMAND_METAVAR)
@click.option("--data-dir", type=click.Path(path_type=Path, readable=False), envvar="KBTUI_DATA_DIR",
              help="数据目录（也可用环境变量 KBTUI_DATA_DIR；默认在用户数据目录下）。")
@click.option("--operator", default=None, help="操作员（默认为当前登录的系统用户名；代他人操作仅限镇管理员和测试）。")
@click.option("--plugins-dir", "plugin_dirs", multiple=True, type=click.Path(path_type=Path),
              help="额外的插件目录，可重复指定（仅镇管理员；目录须属于数据目录的所有者或 root，他人不可写）。")
@click.version_option(package_name="kbtui", message="kbtui %(version)s")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, operator: str | None, plugin_dirs: tuple[Path, ...]) -> None:
    """控辍保学工作台：导入名单、比对分类、入户核实、劝返跟踪、导出台账。

    不带命令时打开终端界面（TUI）。
    """
    from kbtui.cli import common  # heavy: imported where used (services: once a command runs)

    common.start(ctx, data_dir, operator, plugin_dirs)


def main() -> None:
    cli(prog_name="kbtui")


__all__ = ["cli", "main", "COMMANDS"]
