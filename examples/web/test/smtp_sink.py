"""A real SMTP server for the web front end's end-to-end test: aiosmtpd on 127.0.0.1:PORT, each mail it is sent
appended to FILE as one JSON line: {"to": [...], "subject": ..., "text": the plain-text part, decoded}.

Usage: smtp_sink.py PORT FILE   (with a Python that has aiosmtpd). It prints "ready" once it listens, and stops
when its standard input closes (the test holds it open).
"""

import email
import email.policy
import json
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        line = {"to": list(envelope.rcpt_tos), "subject": str(message["Subject"]), "text": text}
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        return "250 Message accepted for delivery"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    port, path = int(sys.argv[1]), sys.argv[2]
    open(path, "a", encoding="utf-8").close()
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
