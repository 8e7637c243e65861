"""`cutover offline-circ check`: the offline circulation file and the ILL file of a cutover,
parsed, checked against Alma after the fulfillment load and replayed in file order, before they
are loaded at go-live (docs/offline-circ.md).

`files` reads the transaction files (the line format is `simulator/inputs/offline_circ.py`),
`bibs` the temporary ILL bibs, `opening` everything together with the snapshot and the scenario,
`lines` puts the lines and the snapshot's facts about them into DuckDB, `checks` names every
check and finds the lines each one concerns, `replay` applies the transactions in order,
`folder` writes the run folder and `command` runs it all; `make` writes a file from a CSV.
"""
