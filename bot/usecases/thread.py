"""Drawing an incident in the chat: post each part once, edit it in place ever after.

Posting is made idempotent the way Slack allows: the intent is recorded before the post (a Post row
with no ts yet), every post carries a Marker as message metadata, and a post whose outcome is unknown
(the bot stopped, or Slack answered 5xx after posting) is looked for before it is made again.
Drawing happens under the incident's lock, from one snapshot read once, so a slower redraw never
paints an older state over a newer one.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.snapshot import Snapshot
from bot.store.repo import Repo
from bot.store.tables import Incident, Post
from bot.usecases import snapshots
from bot.usecases.context import Env, get
from bot.usecases.ports import HEADER, Marker, PostRef, Undelivered

log = logging.getLogger(__name__)


class Thread:
    """One incident's messages during one use case."""

    def __init__(self, env: Env, incident_id: int) -> None:
        self.env = env
        self.id = incident_id
        self.snap: Snapshot | None = None
        self.posts: dict[str, Post] = {}
        self._link: str | None = None
        self._surely_absent = True
        self.incident: Incident | None = None

    # reading -------------------------------------------------------------------------------------
    def load(self, repo: Repo) -> Snapshot:
        self.incident = get(repo, self.id)
        self.snap = snapshots.build(self.env, repo, self.incident)
        self.posts = repo.posts(self.id)
        return self.snap

    def link(self) -> str:
        """The header's permalink (Env.permalink asks Slack once per process)."""
        snap = self.snap
        if self._link is None and snap is not None and snap.header_ts:
            self._link = self.env.permalink(snap.channel, snap.header_ts)
        return self._link or ""

    # drawing -------------------------------------------------------------------------------------
    def show(self, *kinds: str, edit: tuple[str, ...] = ()) -> None:
        """Post ``kinds`` not posted yet and edit the others, and edit ``edit`` where posted: one read,
        one write."""
        with self.env.lock(self.id):
            with self.env.transaction() as repo:
                snap = self.load(repo)
                fresh = {kind for kind in kinds if kind not in self.posts}
                for kind in fresh:
                    self.posts[kind] = repo.add_intent(self.id, kind, snap.channel)
                if fresh:  # recovery in another process leaves a recently touched incident alone
                    repo.touch(self.incident)
            edits = [k for k in edit if k not in kinds and k in self.posts and self.posts[k].ts]
            made = self.draw([*edits, *kinds], fresh=fresh)
            if made:
                with self.env.transaction() as repo:
                    self.record(repo, made)

    def refresh(self, *kinds: str) -> None:
        """Redraw the parts already posted, so old buttons show the incident as it is now."""
        with self.env.lock(self.id):
            with self.env.read() as repo:
                self.load(repo)
            self.draw([k for k in kinds if k in self.posts and self.posts[k].ts], new=False)

    def draw(
        self,
        kinds: list[str] | tuple[str, ...],
        *,
        new: bool = True,
        fresh: set[str] | frozenset[str] = frozenset(),
    ) -> dict[str, PostRef]:
        """Draw ``kinds`` from the loaded snapshot; returns the posts made (or found) that need saving.

        New posts come first (the header before all: thread parts need its ts), then the edits. A
        post that fails stops the drawing: its intent stays recorded unless Slack surely did not make
        it, and recovery or `/oops resume` finishes it. An edit that fails only leaves an old picture,
        so it is logged and the rest goes on. ``fresh`` are the parts whose intent this use case
        recorded: nobody can have posted them yet; the others are looked for before posting."""
        assert self.snap is not None
        posted = {k for k, row in self.posts.items() if row.ts}
        posting = sorted((k for k in kinds if new and k not in posted), key=lambda k: k != HEADER)
        made: dict[str, PostRef] = {}
        for kind in posting:
            try:
                ref = self._post_once(kind, look=kind not in fresh)
            except Undelivered as exc:
                with self.env.transaction() as repo:
                    self.record(repo, made)  # keep what was posted before the failure
                    post = repo.post(self.id, kind)
                    if not exc.uncertain and self._surely_absent and post is not None and post.ts is None:
                        repo.session.delete(post)  # Slack said no, and nothing earlier can be there
                raise
            made[kind] = ref
            if kind == HEADER:
                self.snap = dataclasses.replace(self.snap, header_ts=ref.ts, channel=ref.channel)
        for kind in kinds:
            row = self.posts.get(kind)
            if kind in posted and row is not None and row.ts:
                try:
                    self.env.messenger.show(kind, self.snap, PostRef(row.channel, row.ts))
                except Undelivered as exc:
                    log.info("could not redraw the %s of OOPS-%s (%s)", kind, self.id, exc.code)
        return made

    def _post_once(self, kind: str, *, look: bool) -> PostRef:
        snap = self.snap
        assert snap is not None
        marker = Marker(snap.id, kind)
        thread_ts = None if kind == HEADER else snap.header_ts
        self._surely_absent = not look
        if look:  # an intent left by an earlier run: it may have been posted already
            found, looked = self._find(snap.channel, thread_ts, marker)
            if found is not None:
                self.env.messenger.show(kind, snap, found)
                return found
            self._surely_absent = looked
        try:
            return self.env.messenger.show(kind, snap, None)
        except Undelivered as exc:
            if not exc.uncertain:
                raise
            found, looked = self._find(snap.channel, thread_ts, marker)
            if found is not None:
                return found
            if not looked:  # it may be there and we cannot see: keep the intent, try later
                raise
            return self.env.messenger.show(kind, snap, None)

    def _find(self, channel: str, thread_ts: str | None, marker: Marker) -> tuple[PostRef | None, bool]:
        """The post if it was made, and whether we could look at all. Slack refusing the look for
        good (a missing scope, a channel the bot cannot read) means posting, at worst, twice; a look
        that may work later (a 5xx, a rate limit) keeps the intent for later instead."""
        if marker.part != HEADER and not thread_ts:
            return None, True
        try:
            return self.env.messenger.find(channel, thread_ts, marker), True
        except Undelivered as exc:
            if exc.transient:
                raise
            log.warning("cannot look for the %s of OOPS-%s (%s)", marker.part, marker.incident, exc.code)
            return None, False

    def record(self, repo: Repo, made: dict[str, PostRef]) -> None:
        for kind, ref in made.items():
            self.posts[kind] = repo.set_post(
                self.id, kind, ref.channel, ref.ts, known=self._attached(repo, kind)
            )
            if kind == HEADER:
                incident = get(repo, self.id)
                incident.header_ts, incident.channel = ref.ts, ref.channel
                repo.touch(incident)

    def _attached(self, repo: Repo, kind: str) -> Post | None:
        """The row loaded earlier, brought into this transaction (no query), or None to look it up."""
        row = self.posts.get(kind)
        return repo.session.merge(row, load=False) if row is not None and row.id is not None else None
