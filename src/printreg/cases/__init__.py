"""Cases: the case form, detail and history pages, and what they show of a case's audit trail."""
