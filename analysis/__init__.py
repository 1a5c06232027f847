"""Statistics for testbed pilots: numbers in, small named results out.

Nothing here knows about Flask, SQLAlchemy or where the numbers came from, so
every function can be used from a notebook as well as from the application.
"""
