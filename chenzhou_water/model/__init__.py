"""The Vensim model as data: its metadata, its units check, its variable catalogue, and the
results contract (the variables every run returns).

Nothing here runs the model; :mod:`chenzhou_water.engine` and :mod:`chenzhou_water.scenario` do.
"""
