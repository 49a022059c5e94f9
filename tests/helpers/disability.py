"""The three disabled children of the placement tests (鹿角 2024 profile) and the CLI steps they share."""
from __future__ import annotations

import datetime as dt
import json

from kbtui.domain.idcard import make_id
from tests.conftest import run_cli

D = dt.date
KID = make_id("500243", D(2013, 5, 1), 11)        # 王小明, 智力二级


KID2 = make_id("500243", D(2012, 3, 2), 12)       # 李小红, 肢体一级


KID3 = make_id("500243", D(2014, 7, 9), 13)       # 赵小刚, 多重一级


def ok(*args, data_dir):
    result = run_cli(*args, data_dir=data_dir)
    assert result.exit_code == 0, result.output
    return result


def js(*args, data_dir):
    return json.loads(ok(*args, "--json", data_dir=data_dir).stdout)


def home_delivery(data, kid=KID, *extra):
    ok("placement", "assess", kid, "--date", "2024-06-12", "--members", "王建国、刘芳", "--members", "陈医生",
       "--conclusion", "需送教上门", "--review", "2025-06-30", data_dir=data)
    return ok("placement", "set", kid, "送教上门", "--school", "鹿角中心校", "--teachers", "张老师、李老师",
              "--plan", "个别化教育计划：生活适应、识字", "--start", "2024-09-02", "--date", "2024-08-30",
              "--evidence", "送教上门协议书", *extra, data_dir=data)
