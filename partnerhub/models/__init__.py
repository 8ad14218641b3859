"""Models: risk predictions from the vault's linked records (issue 16: care-home need).

Each model family lives in its own package (``care_home`` first). They are pure functions over
pandas frames: the frames are built elsewhere (through the cohort layer, from the vault) and
nothing here reads or writes a store.
"""

__all__: list[str] = []
