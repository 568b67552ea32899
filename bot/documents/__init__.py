"""Files the bot makes for people: Excel workbooks (xlsx), charts (charts, in the packaged
CJK font of fonts) and the printable PDF of invite cards (cards). Channel-free: services
and the CLI call them; nothing here imports telegram."""
