"""An email backend for the dispatch benchmark: one line per message in a file, nothing else.

The file proves each follow-up was sent once: every line names the row's recipient and subject.
"""

import os

from django.core.mail.backends.base import BaseEmailBackend


class CountingBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        path = os.environ["BENCH_MAIL_LOG"]
        with open(path, "a", encoding="utf-8") as log:
            for message in email_messages:
                message.message()  # build the MIME message as a real backend would
                log.write(f"{message.to[0]}\t{message.subject}\n")
        return len(email_messages)
