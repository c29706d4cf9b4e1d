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
from bot.store.tables import Post
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

    # reading -------------------------------------------------------------------------------------
    def load(self, repo: Repo) -> Snapshot:
        self.snap = snapshots.build(self.env, repo, get(repo, self.id))
        self.posts = repo.posts(self.id)
        return self.snap

    def link(self) -> str:
        """The header's permalink, asked of Slack once per use case."""
        snap = self.snap
        if self._link is None and snap is not None and snap.header_ts:
            self._link = self.env.messenger.permalink(snap.channel, snap.header_ts)
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

        ``fresh`` are the parts whose intent this use case recorded: nobody can have posted them yet.
        The others without a ts are looked for first. The header goes first: thread parts need its ts.
        A part that cannot be posted stops the drawing (its intent stays recorded; recovery or
        `/oops resume` finishes it)."""
        assert self.snap is not None
        made: dict[str, PostRef] = {}
        ordered = sorted(kinds, key=lambda k: k != HEADER)
        attempted = ""
        try:
            for kind in ordered:
                attempted = kind
                row = self.posts.get(kind)
                if row is not None and row.ts:
                    self.env.messenger.show(kind, self.snap, PostRef(row.channel, row.ts))
                    continue
                if not new:
                    continue
                ref = self._post_once(kind, look=kind not in fresh)
                made[kind] = ref
                if kind == HEADER:
                    self.snap = dataclasses.replace(self.snap, header_ts=ref.ts, channel=ref.channel)
        except Undelivered as exc:
            with self.env.transaction() as repo:
                self.record(repo, made)  # keep what was posted before the failure
                if not exc.uncertain:  # Slack said no: nothing to look for next time
                    post = repo.post(self.id, attempted)
                    if post is not None and post.ts is None:
                        repo.session.delete(post)
            raise
        return made

    def _post_once(self, kind: str, *, look: bool) -> PostRef:
        snap = self.snap
        assert snap is not None
        marker = Marker(snap.id, kind)
        thread_ts = None if kind == HEADER else snap.header_ts
        if look:  # an intent left by an earlier run: it may have been posted already
            found = self._find(snap.channel, thread_ts, marker)
            if found is not None:
                self.env.messenger.show(kind, snap, found)
                return found
        try:
            return self.env.messenger.show(kind, snap, None)
        except Undelivered as exc:
            if not exc.uncertain:
                raise
            found = self._find(snap.channel, thread_ts, marker)
            if found is not None:
                return found
            return self.env.messenger.show(kind, snap, None)

    def _find(self, channel: str, thread_ts: str | None, marker: Marker) -> PostRef | None:
        if marker.part != HEADER and not thread_ts:
            return None
        try:
            return self.env.messenger.find(channel, thread_ts, marker)
        except Undelivered as exc:
            log.info("could not look for %s of OOPS-%s (%s)", marker.part, marker.incident, exc.code)
            return None

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
