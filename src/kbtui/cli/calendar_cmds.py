"""The school calendar: ``kbtui calendar show``."""
from __future__ import annotations

import datetime as dt

import click

from kbtui.cli import cli
from kbtui.cli.common import print_json, with_workspace
from kbtui.cli.escalation_cmds import DATE, escalation_errors
from kbtui.services import school_calendar as sc
from kbtui.services.escalation import absences as absence_service
from kbtui.services.lookup import EscalationError
from kbtui.services.workspace import Workspace


@cli.group("calendar")
def calendar_group() -> None:
    """校历：按国家法定节假日、调休和本县的放假安排计算的上课日。"""


@calendar_group.command("show")
@click.option("--term", "term", type=click.IntRange(1), default=None,
              help="第几个学期（按配置文件 [calendar] 的顺序；默认今天所在或下一个学期）。")
@click.option("--on", "on", type=DATE, default=None, help="显示这一天所在的学期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def calendar_show(workspace: Workspace, term, on, as_json) -> None:
    """逐月列出一个学期的上课日，以及放假、调休上课的日子，供与县教育局的校历通知核对。"""
    with escalation_errors():
        calendar = absence_service.calendar_of(workspace)
        try:
            start, end = sc.term_of(calendar, on or dt.date.today(), term)
        except ValueError as err:
            raise EscalationError(str(err)) from None
    months = sc.term_months(calendar, (start, end))
    total = sum(m.school_days for m in months)
    if as_json:
        print_json({"term": [start.isoformat(), end.isoformat()], "school_days": total,
                    "source": sc.describe(calendar),
                    "months": [{"month": f"{m.year}-{m.month:02d}", "school_days": m.school_days,
                                "days": [d.date.isoformat() for w in m.weeks for d in w if d and d.school]}
                               for m in months],
                    "changes": sc.changes_of(months)})
        return
    click.echo(f"{workspace.profile.township}校历：{start} 至 {end}，共 {total} 个上课日")
    click.echo(sc.describe(calendar))
    for month in months:
        click.echo("")
        for line in sc.month_lines(month):
            click.echo(line)
    click.echo("")
    click.echo(sc.LEGEND)
    changes = sc.changes_of(months)
    if changes:
        click.echo("")
        click.echo("放假和调休：")
        for line in changes:
            click.echo(f"  {line}")
