"""The Slack adapter: Bolt listeners, the Messenger, and the Block Kit views."""
