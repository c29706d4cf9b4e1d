"""Callback and action ids: the contract between the Block Kit views and the listeners."""

import re

# The slash command: the app manifest declares it and the Bolt app listens for it.
COMMAND = "/oops"

REPORT_VIEW = "oops_report"
REASSESS_VIEW = "oops_reassess"
DECIDE_VIEW = "oops_decide"
EDIT_DRAFT_VIEW = "oops_edit_draft"
RETRO_VIEW = "oops_retro"

RUNBOOK_SELECT = "oops.runbook"
REASSESS = "oops.reassess"
ADD_DEPARTMENT = "oops.add_department"
ADD_DEPARTMENT_BLOCK = "add_department:"  # + incident id: a select carries no value of ours
DECIDE_PREFIX = "oops.decide."
DECIDE_PATTERN = re.compile("^" + re.escape(DECIDE_PREFIX))
CHANGE_DECISION = "oops.change_decision"
DRAFT_REGENERATE = "oops.draft.regenerate"
DRAFT_EDIT = "oops.draft.edit"
DRAFT_APPROVE = "oops.draft.approve"
RETRO_WHEN = "oops.retro.when"
RETRO_SCHEDULE = "oops.retro.schedule"
RETRO_START = "oops.retro.start"
RETRO_HOLD = "oops.retro.hold"  # the same modal, from step 5, before the reminder
RETRO_MOVE = "oops.retro.move"  # "Move it" on a reminder (in the thread or a direct message)
RETRO_MOVE_WHEN = "oops.retro.move_when"  # its time picker, in the block RETRO_MOVE_BLOCK
RETRO_MOVE_BLOCK = "retro_move"
WATCH_RECORD = "oops.watch.record"  # "Record the figures" after the apology: opens WATCH_VIEW
WATCH_VIEW = "oops_watch"
SEARCH_MORE = "oops.search.more"  # value: {"q": the query, capped, "p": the page to show}
CHECKLIST_RETIRE = "oops.checklist.retire"  # value: {"item": row id, "q": the checklist's query}
HOME_SEARCH = "oops.home.search"  # the App Home's button that opens the search modal
HOME_SEARCH_VIEW = "oops_home_search"  # the search modal (its query input's block is "query")
HOME_SEARCH_MORE = "oops.home.search.more"  # in the modal; value as SEARCH_MORE's

# The retrospective form's action item rows (blocks "action_<n>_text|owner|due") and its Add button.
ACTION_ROW_PREFIX = "action_"
RETRO_ADD_ACTION = "oops.retro.add_action"
# Action items: Done (value: item id) and Snooze (value: "<item id>:<days>"), in a DM or the thread.
ACTION_DONE = "oops.action.done"
ACTION_SNOOZE = "oops.action.snooze"
ACTION_SNOOZE_WEEK = "oops.action.snooze.week"  # two buttons in one block need two action ids

# Every input in our modals uses this action id; blocks are told apart by block_id.
VALUE = "value"
QUESTION_PREFIX = "q_"
