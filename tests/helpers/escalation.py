"""The three children of the escalation tests (双城 2020 profile, seed 003)."""
import datetime as dt

from kbtui.domain.idcard import make_id

D = dt.date
KID = make_id("230113", D(2010, 5, 1), 11)      # 王小明


KID2 = make_id("230113", D(2011, 3, 2), 12)     # 李小红


KID3 = make_id("230113", D(2012, 7, 9), 13)     # 赵小刚
