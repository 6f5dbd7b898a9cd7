"""What messaging tells the apps above it; it connects nothing itself.

- `message_sent(sender=Message, message)`: a message left through its channel (orders records
  it on the order's timeline).
- `recipient_bounced(sender, recipient, reason)`: the provider reported that `recipient` cannot
  or will not receive mail; `reason` is "bounced", "complained" or "rejected". The follow-up
  engine adds the address to its suppression list.
"""

from django.dispatch import Signal

message_sent = Signal()
recipient_bounced = Signal()
