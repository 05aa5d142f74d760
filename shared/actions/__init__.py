"""The actions layer: what each client action does (the event function's domain)."""
