from django.dispatch import Signal

# Sent inside the transaction that resolves a ticket, with `ticket`.
ticket_resolved = Signal()
