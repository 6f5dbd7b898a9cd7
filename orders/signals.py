from django.dispatch import Signal

# Sent inside the transaction that marks an order delivered (by staff or assumed), with
# `order` and `assumed`; receivers that write rows join that transaction.
order_delivered = Signal()
