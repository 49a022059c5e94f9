"""The children, collections and journal in a PostgreSQL database (the district server), through psycopg 3.

``local`` starts a server in a folder from the system's binaries (tests, CI, trying the district mode).
"""
