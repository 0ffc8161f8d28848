"""Reading results, never feeding a cached run: measures on trained networks, networks rebuilt from a results file,
the failure rules (how a run ended), rounding to the spread, and agreement within the spread."""
