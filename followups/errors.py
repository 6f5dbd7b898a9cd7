class FollowUpError(Exception):
    """A follow-up link or answer that is refused; the message is for a person."""
