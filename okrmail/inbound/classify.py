"""What kind of message this is: a person's reply, an auto-reply, or a bounce."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from okrmail.inbound import bounces, headers, robots


@dataclass(frozen=True)
class Classification:
    kind: str  # reply | auto-reply | bounce
    why: str = ""
    out_of_office: bool = False
    failed: tuple[str, ...] = ()  # bounce: addresses that failed for good
    delayed: tuple[str, ...] = ()  # bounce: addresses the server is still trying

    def describe(self) -> str:
        """One line: the kind, then what a person would want to know next."""
        if self.kind == "bounce":
            return " ".join(["bounce", *(self.failed or self.delayed)])
        return self.kind


def classify(raw: bytes, message: Message, text: str) -> Classification:
    """Bounces first (a report may also carry Auto-Submitted), then robots, else a reply."""
    bounce = bounces.detect(raw, message)
    if bounce is not None:
        kind = "permanent" if bounce.permanent else "temporary"
        return Classification(
            "bounce",
            why=f"{kind} delivery failure",
            failed=bounce.permanent,
            delayed=bounce.temporary,
        )
    robot = robots.detect(message, headers.subject(message), text)
    if robot is not None:
        return Classification("auto-reply", why=robot.why, out_of_office=robot.out_of_office)
    return Classification("reply")
