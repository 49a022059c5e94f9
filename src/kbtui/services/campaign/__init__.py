"""Campaign: the yearly 控辍保学 campaign and its home visits.

``campaigns`` (the current campaign, switching), ``people`` (the register of cadres and teachers) and
``responsibility`` (双线 responsible people by rule), ``tasks`` (visit tasks), ``visits`` (findings and
evidence, with ``evidence`` the stored files), ``checking`` (the checking levels), ``spotcheck`` (the county's
draw), ``overview`` (where the campaign is). Lower modules first: campaigns < people < tasks < the rest.
"""
