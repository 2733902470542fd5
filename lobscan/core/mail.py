"""Sending e-mail over SMTP from configuration; without MAIL_SERVER the mail goes to the log."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)

    outbox = config.get("MAIL_OUTBOX")
    if isinstance(outbox, list):  # tests read what was sent
        outbox.append(message)
    if not config["MAIL_SERVER"]:
        current_app.logger.warning(
            "Geen MAIL_SERVER ingesteld; e-mail niet verstuurd.\nAan: %s\nOnderwerp: %s\n\n%s",
            to, subject, body,
        )
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
