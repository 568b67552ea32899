"""What every handler module shares: access checks, callback data, the context type,
the one-flow-at-a-time guard, the menu, the command list, the error handler, the gate for
strangers, and the builders of small conversations (one question, an area picker)."""
