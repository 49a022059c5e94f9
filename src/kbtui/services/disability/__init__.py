"""Disability: placing disabled children (随班就读, 特校, 送教上门, 免予入学).

``placements`` (assessments, placements, home-delivery sessions), ``placement_check`` (what needs doing, the
roster and one child's view), ``placement_demo`` (the demo's records). Both build on ``placements``.
"""
