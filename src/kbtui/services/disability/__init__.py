"""disability"""
