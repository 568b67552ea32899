"""What speaks to Telegram below the handlers.

The Application subclass and its update queue (``application``), the webhook server
(``webhook``), the flood limits (``ratelimit``, ``answered``), delivery of the outbox
(``delivery``, ``outgoing``) and the fitting of texts to Telegram's limits (``texts_fit``).
The handlers (handlers/) sit above this; the services (bot/services) know nothing of it.
"""
