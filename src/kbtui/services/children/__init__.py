"""Children: reading and editing the child records.

``child_list`` (the compact list and its columns), ``search`` (name and pinyin matching), ``child_edit`` (the
detail form's changes), ``stats`` (counts by village and situation), ``places`` (village names the profile
knows). Import from the modules.
"""
