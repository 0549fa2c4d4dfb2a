"""Village power on BPMN (issue 26): 四议两公开 and the micro-power list (小微权力清单), with the
village affairs supervision committee's check, and public disclosure (村务公开) of their results."""
