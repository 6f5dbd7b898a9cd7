"""What messaging tells the apps above it; it connects nothing itself.

- `message_sent(sender=Message, message)`: a message left through its channel (orders records
  it on the order's timeline, the follow-up engine on its rows).
- `message_failed(sender=Message, message)`: a message is failed for good, after its last
  attempt or a refusal; `message.last_error` says why (the follow-up engine shows it to the
  owner, with a Retry).
- `recipient_bounced(sender, recipient, reason)`: the provider reported that `recipient` cannot
  or will not receive mail; `reason` is "bounced", "complained" or "rejected". The follow-up
  engine adds the address to its suppression list.
- `sms_replied(sender, phone, text, provider)`: see below.
"""

from django.dispatch import Signal

message_sent = Signal()
message_failed = Signal()
recipient_bounced = Signal()

# `sms_replied(sender, phone, text, provider)`: a buyer answered an SMS (the provider's push
# to the SMS webhook); `phone` is E.164. The follow-up engine stops follow-ups on "TD".
sms_replied = Signal()
