"""`cutover plan`: a consortium's cutover in clusters (docs/commands/plan.md): the milestones
of every institution (`milestones`), what each may still do in the legacy system week by week
(`calendar`), which legacy changes reach Alma (`classes`) and the change log classed by them
(`changes`), the summary and the report's view data (`report`), and the command that writes
the run folder (`command`)."""
