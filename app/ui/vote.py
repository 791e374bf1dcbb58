"""The class vote on the degradation lab (peer instruction: predict, vote, reveal).

Students' screens are viewer sessions (context.viewer(): other machines on a server the teacher
shared with `python -m resnet_edu app --host 0.0.0.0`). Each predicts, with the lab's own choices
(the run's nets, or "I can't tell"), which net will have the lower training error. The votes of a
run live in its folder (resnet_edu/runs/votes.py): one per browser session, no names, so a
recorded run keeps its class's votes.

Predict, then Start: before the teacher's run exists, a screen's prediction waits in this server's
memory (`_Early`), and the teacher's lab counts it; the page that shows the new run writes them all
into its folder at once (on a GPU the gap can show 16 s after Start: too soon to wait for 25
screens' polls). A prediction made while the run goes is written straight into its folder.

The teacher's lab shows *how many* have predicted, and *who predicted what* only once the gap rule
has spoken (viz/gap.py, "now visible") or the run has ended: a split on the projector would sway
the students still choosing. Voting closes at that same moment; a prediction made before it
counts even when it reaches the folder a poll later.
"""

import math
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import plotly.graph_objects as go
import streamlit as st

from resnet_edu.runs import votes
from resnet_edu.runs.store import ACTIVE
from resnet_edu.viz import gap
from resnet_edu.viz.style import net_style
from resnet_edu.viz.theme import themed

from . import context, live
from .i18n import formatter, lkey, model_label, t

PAGES = ("degradation",)  # the labs that take a class vote (their `key` in lab.lab)
UNSURE = "?"  # the lab's "I can't tell" choice
UNSURE_COLOUR = "#7F7F7F"


@dataclass(frozen=True)
class Ballot:
    """One run as a question to the class."""

    run_id: str
    choices: tuple[str, ...]  # the run's nets, then UNSURE: the lab's own prediction choices
    active: bool  # queued or training
    closed_at: float | None  # Unix s when voting closed (the gap became visible, else the run ended); None: open

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def accepts(self, chosen_at: float) -> bool:
        """A prediction made at `chosen_at` counts: it was made before the evidence was on screen."""
        return self.closed_at is None or chosen_at <= self.closed_at


def ballot(run_id: str) -> Ballot | None:
    """The run as a question, or None when it cannot be one (unreadable, fewer than two nets)."""
    store = context.store()
    if not store.readable(run_id):
        return None
    status = store.status(run_id)
    # Shared by every session until the run logs again: 25 screens polling compute the gap once per log
    # (about 30 ms for 1,000 metric rows at load average 8), not 25 times.
    updated = status.get("updated")
    ended_at = float(updated) if _finite_number(updated) else -math.inf
    return _ballot(str(context.runs_dir()), run_id, len(store.metrics(run_id)), status.get("status") in ACTIVE, ended_at)


@st.cache_data(max_entries=64, show_spinner=False)
def _ballot(runs_dir: str, run_id: str, n_events: int, active: bool, ended_at: float) -> Ballot | None:
    """ballot(), computed once per (run, number of metric lines, status)."""
    models = list(context.store().config(run_id).models)
    if len(models) < 2 or any(len(m) > votes.MAX_CHOICE for m in models):
        return None
    closed_at = None
    pair = gap.plain_pair(models)
    if pair is not None:  # the same rule, on the same rows, as the page's "now visible" (live.py)
        df, events = live.run_frames((run_id,))
        if not df.empty:
            start = gap.run_start(events[run_id])
            g = gap.degradation_gap(df, *pair, start=start)
            if g.visible:  # closed at the log where it became visible; untimed (old) runs: closed outright
                closed_at = start + g.elapsed_s if start is not None and g.elapsed_s is not None else -math.inf
    if closed_at is None and not active:
        closed_at = ended_at  # the run's last status: its end
    return Ballot(run_id, tuple(models) + (UNSURE,), active, closed_at)


def _finite_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def label(choice: str) -> str:
    return t("predict.unsure") if choice == UNSURE else model_label(choice)


# -- the teacher's screen ----------------------------------------------------------------------
def teacher_tally(key: str, group: list[str]) -> None:
    """Below Start: how many have predicted (for the run shown, or for the next one), then, once the
    gap rule has spoken, who predicted what. Nothing on a server only this machine can reach, unless
    the run shown holds votes (a recorded run).

    A top-level fragment (called from the page body). It polls at the live view's pace while the run
    goes, and on a shared server also before Start, so the count of early predictions moves too.
    """
    if key not in PAGES or context.viewer():
        return
    run_id = group[0] if group else None
    b = ballot(run_id) if run_id else None
    active = b is not None and b.active
    polling = active or student_url() is not None
    st.fragment(_teacher_body, run_every=context.poll_seconds() if polling else None)(run_id, active)


def _teacher_body(run_id: str | None, was_active: bool) -> None:
    b = ballot(run_id) if run_id else None
    shared = student_url() is not None
    if b is not None and b.open and b.active and _early_box().count() and run_id == teachers_run():
        _adopt_early(b)  # predictions made before Start become this run's votes at once
    n = 0
    if b is not None:
        counts = votes.tally(votes.read(context.store().path(b.run_id)), b.choices)
        n = sum(counts.values())
        if n and not b.open:
            reveal(b, counts)
        elif n:
            st.info(t("vote.count", n=n), icon=":material/how_to_vote:")
    if shared and (b is None or not b.active):  # between runs: the class may already predict the next one
        early = _early_box().count()
        if early:
            st.info(t("vote.early_count", n=early), icon=":material/how_to_vote:")
        elif not n:
            st.caption(t("vote.invite", url=student_url()))
    elif shared and b.open and not n:
        st.caption(t("vote.invite", url=student_url()))
    if was_active and (b is None or not b.active):
        st.rerun(scope="app")  # the run ended: redraw the page once (the live view's timer stops)


def reveal(b: Ballot, counts: dict[str, int]) -> None:
    """"18 of 25 predicted plain-20; ...", and the same as bars (each net in its colour)."""
    total = sum(counts.values())
    parts = [t("vote.split_unsure", n=n, total=total) if c == UNSURE else
             t("vote.split_item", n=n, total=total, choice=label(c)) for c, n in counts.items() if n]
    st.info(t("vote.revealed", total=total, split="; ".join(parts)), icon=":material/how_to_vote:")
    # The app's one chart template (theme=None: Streamlit's theme would replace its fonts and sizes).
    st.plotly_chart(themed(split_figure(counts)), width="stretch", key=f"vote_split_{b.run_id}", theme=None,
                    config={"displaylogo": False, "displayModeBar": False})


def split_figure(counts: dict[str, int]) -> go.Figure:
    """One horizontal bar per choice, in the run's order; the count at each bar's end."""
    names = [label(c) for c in counts]
    colours = [UNSURE_COLOUR if c == UNSURE else net_style(c).colour for c in counts]
    fig = go.Figure(go.Bar(x=list(counts.values()), y=names, orientation="h", marker_color=colours,
                           text=[str(n) for n in counts.values()], textposition="outside", cliponaxis=False,
                           hoverinfo="skip"))
    fig.update_layout(height=60 + 34 * len(counts), margin=dict(l=10, r=40, t=10, b=30), showlegend=False,
                      yaxis=dict(autorange="reversed"),
                      xaxis=dict(title=t("vote.axis"), rangemode="tozero", dtick=max(1, math.ceil(max(counts.values()) / 8))))
    return fig


def student_url() -> str | None:
    """Where students' screens open this lab; None when this server listens on a loopback address only
    (the default: a self-learner's lab shows nothing of the class vote)."""
    address = _address()
    if address in context.LOOPBACK:
        return None
    if address in ("0.0.0.0", "::", ""):  # every interface: the one a classroom network reaches, if known
        address = _lan_address() or t("vote.this_machine")
    return f"http://{address}:{st.get_option('server.port')}/degradation"


def _address() -> str:
    return st.get_option("server.address") or "0.0.0.0"  # unset: Streamlit listens on every interface


@lru_cache(maxsize=1)
def _lan_address() -> str | None:
    """This machine's IPv4 address on its default route (a UDP connect sends no packet), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


# -- a student's screen ------------------------------------------------------------------------
def student_panel(key: str, models: list[str]) -> bool:
    """A viewer's prediction, sent to the teacher's current run, in place of the lab's own question.

    False (nothing drawn) for the teacher's session and labs without a vote: the lab asks its own.
    """
    if key not in PAGES or not context.viewer():
        return False
    _token()
    # Polls while the page is open: the teacher's next run must reach every student's screen.
    st.fragment(_student_body, run_every=context.poll_seconds())(tuple(models), teachers_run())
    return True


def _token() -> str:
    """This screen's voting token: in the session, and in the URL (?voter=), so a reload (a new
    Streamlit session) keeps its one vote instead of adding a second. 128 random bits: another
    screen cannot guess it; a student who shares their link shares their vote (one, not two)."""
    token = st.session_state.get("vote.token")
    if token is None:
        given = st.query_params.get("voter", "")
        token = given if votes.is_token(given) else votes.new_token()
        st.session_state["vote.token"] = token
    if st.query_params.get("voter") != token:
        st.query_params["voter"] = token
    return token


def teachers_run() -> str | None:
    """The run the class votes on: the newest one queued or training with two nets or more."""
    for info in context.store().list():  # newest first
        if info.status in ACTIVE and len(info.config.models) >= 2:
            return info.run_id
    return None


def _student_body(models: tuple[str, ...], drawn_for: str | None) -> None:
    run_id = teachers_run()
    if run_id != drawn_for:  # a run started or ended since the page was drawn: redraw it (its "watch" offer)
        st.rerun(scope="app")
    b = ballot(run_id) if run_id else None
    if b is None:
        _last_result()
        _predict_next(list(models))
        return
    token, folder = st.session_state["vote.token"], context.store().path(run_id)
    cast = votes.read(folder)
    cast = _deliver_pending(b, folder, token, cast)
    mine = cast.get(token)
    nets = " · ".join(label(m) for m in b.choices if m != UNSURE)
    if not b.open:
        st.markdown(t("vote.title_run", models=nets))
        st.caption(t("vote.yours", choice=label(mine.choice)) if mine else t("vote.closed"))
        if mine:
            st.session_state["vote.run"] = run_id
        counts = votes.tally(cast, b.choices)
        if sum(counts.values()):
            reveal(b, counts)
        return
    st.markdown(t("vote.title_run", models=nets))
    choice = st.radio(t("predict.question"), b.choices, horizontal=True, key=lkey(f"vote_{run_id}"),
                      index=b.choices.index(mine.choice) if mine and mine.choice in b.choices else None,
                      format_func=formatter(label, b.choices))
    if choice is not None and (mine is None or choice != mine.choice):
        cast = _cast(folder, token, choice, time.time()) or cast
        mine = cast.get(token)
    if mine:
        st.session_state["vote.run"] = run_id
        st.success(t("vote.sent", choice=label(mine.choice), n=len(cast)), icon=":material/how_to_vote:")
    else:
        st.caption(t("vote.how"))


def _predict_next(models: list[str]) -> None:
    """No run to vote on yet: predict now (with the page's nets). The teacher's lab counts it at once,
    and the teacher's next run adopts it, with the time it was made."""
    st.markdown(t("vote.title_next"))
    if len(models) < 2:
        return
    token, choices = st.session_state["vote.token"], models + [UNSURE]
    early = _early_box().get(token)
    choice = st.radio(t("predict.question"), choices, horizontal=True, key=lkey("vote_next"),
                      index=choices.index(early.choice) if early and early.choice in choices else None,
                      format_func=formatter(label, choices))
    if choice is not None and (early is None or early.choice != choice):
        if not _early_box().put(token, votes.Vote(choice, time.time())):
            st.warning(t("vote.full", max=votes.MAX_VOTES), icon=":material/block:")
            return
    if choice:
        st.success(t("vote.kept", choice=label(choice)), icon=":material/how_to_vote:")
    else:
        st.caption(t("vote.how_next"))


def _deliver_pending(b: Ballot, folder, token: str, cast: dict) -> dict:
    """This screen's early prediction, if the teacher's lab has not adopted it yet: record it now,
    with the time it was made (it counts if that was before the gap showed)."""
    early = _early_box().get(token)
    if early is None:
        return cast
    if token in cast:  # voted on this run already (or adopted)
        _forget_early(token)
    elif early.choice in b.choices and b.accepts(early.at):
        cast = _cast(folder, token, early.choice, early.at) or cast
        _forget_early(token)
    elif not b.open:  # made too late for this run: nothing to send any more
        _forget_early(token)
    else:  # the teacher's run compares other nets: the student predicts again below
        st.caption(t("vote.not_in_run", choice=label(early.choice)))
    return cast


def _forget_early(token: str) -> None:
    _early_box().drop(token)
    for k in [k for k in st.session_state if str(k).startswith("vote_next.")]:
        del st.session_state[k]  # the next "no run yet" question starts blank


def _adopt_early(b: Ballot) -> None:
    """The teacher's run has started: the class's early predictions for its nets become its votes."""
    box = _early_box()
    taken = box.take(b)
    if not taken:
        return
    try:
        votes.cast_many(context.store().path(b.run_id), taken)
    except votes.VoteRefused:
        box.give_back(taken)  # the students' screens send them themselves at their next poll


EARLY_TTL_S = 30 * 60  # an early prediction waits this long for the teacher's next run


class _Early:
    """Predictions made on students' screens while no run is going, in this server's memory: token -> Vote.

    Bounded like a run's votes (votes.MAX_VOTES); older than EARLY_TTL_S, forgotten. They are no
    run's votes yet: once the teacher's next run exists they go into its folder (`_adopt_early`, or
    each screen's next poll, `_deliver_pending`).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._votes: dict[str, votes.Vote] = {}

    def _prune(self) -> None:
        old = time.time() - EARLY_TTL_S
        for token in [k for k, v in self._votes.items() if v.at < old]:
            del self._votes[token]

    def put(self, token: str, vote: votes.Vote) -> bool:
        with self._lock:
            self._prune()
            if token not in self._votes and len(self._votes) >= votes.MAX_VOTES:
                return False
            self._votes[token] = vote
            return True

    def get(self, token: str) -> votes.Vote | None:
        with self._lock:
            self._prune()
            return self._votes.get(token)

    def drop(self, token: str) -> None:
        with self._lock:
            self._votes.pop(token, None)

    def count(self) -> int:
        with self._lock:
            self._prune()
            return len(self._votes)

    def take(self, b: Ballot) -> dict[str, votes.Vote]:
        """Remove and return the predictions `b` can count (for its nets, made before it closed)."""
        with self._lock:
            self._prune()
            taken = {k: v for k, v in self._votes.items() if v.choice in b.choices and b.accepts(v.at)}
            for token in taken:
                del self._votes[token]
            return taken

    def give_back(self, taken: dict) -> None:
        with self._lock:
            for token, vote in taken.items():
                self._votes.setdefault(token, vote)


@st.cache_resource(show_spinner=False)
def _early_for(runs_dir: str) -> _Early:
    return _Early()  # one per server and run store: every session shares it


def _early_box() -> _Early:
    return _early_for(str(context.runs_dir()))


def _last_result() -> None:
    """After the run this screen voted on has ended: its prediction and the class's split, in one line."""
    run_id = st.session_state.get("vote.run")
    b = ballot(run_id) if run_id else None
    if b is None or b.open:
        return
    cast = votes.read(context.store().path(run_id))
    counts = votes.tally(cast, b.choices)
    mine = cast.get(st.session_state["vote.token"])
    if mine and sum(counts.values()):
        total = sum(counts.values())
        parts = [t("vote.split_unsure", n=n, total=total) if c == UNSURE else
                 t("vote.split_item", n=n, total=total, choice=label(c)) for c, n in counts.items() if n]
        st.caption(t("vote.last", choice=label(mine.choice), split="; ".join(parts)))


def _cast(folder, token: str, choice: str, at: float) -> dict | None:
    """votes.cast, with a refusal shown in the page's language; None when nothing was recorded."""
    try:
        return votes.cast(folder, token, choice, at=at)
    except votes.VotesFull:
        st.warning(t("vote.full", max=votes.MAX_VOTES), icon=":material/block:")
    except votes.VotesBusy:
        st.warning(t("vote.busy"), icon=":material/hourglass_top:")
    except votes.VoteRefused:
        st.warning(t("vote.refused"), icon=":material/warning:")
    return None
