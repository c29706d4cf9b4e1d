"""The use cases, one module per thing a person does.

report (open, resume) · assess (re-assess, tell departments) · decide · apology · retrospective ·
recovery (finish what was left half-done) · queries (read an incident). They share context (Deps,
Env), ports (what they need from outside), snapshots (rows to the picture views draw) and thread
(drawing in the chat, idempotently). Nothing here knows Slack or Block Kit.
"""
