"""The one YAML checker: every input file (scenario, sweep, sensitivity, hydrology, calibration
targets and parameters) is read and checked with :mod:`chenzhou_water.schema.checker`, which
collects located problems (file, line, YAML path) and raises them together;
:mod:`chenzhou_water.schema.model_rules` holds the checks of names and values against the model.
"""
