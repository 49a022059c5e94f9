"""Stock district plugins (区县 profiles): the dashboard's progress by town."""
