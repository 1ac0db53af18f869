"""The DataRoomChecks rules, one per module, each citing the control it proves.

Every rule reads the *synthesized* template (so an escape hatch cannot hide a weakening) and is
listed in :data:`dataroom.policies.rules.catalog.RULES`.
"""
