"""Staff insights: what the public asks, what the bot could not answer, and feedback on answers."""
