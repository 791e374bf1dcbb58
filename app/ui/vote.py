"""The class vote on the degradation lab (peer instruction: predict, vote, reveal).

Students' screens are viewer sessions (context.viewer(): other machines on a server the teacher
shared with `python -m resnet_edu app --host 0.0.0.0`). Each predicts, with the lab's own choices
(the run's nets, or "I can't tell"), which net of the teacher's current run will have the lower
training error. The vote goes into that run's folder (resnet_edu/runs/votes.py): one per browser
session, no names, so a recorded run keeps its class's votes.

The teacher's lab shows *how many* have predicted while the run goes, and *who predicted what*
only once the gap rule has spoken (viz/gap.py, "now visible") or the run has ended: a split on
the projector would sway the students still choosing. Voting closes at that same moment. A
prediction made before it still counts when it reaches the run a poll later, even one made before
the teacher pressed Start (on a GPU the gap can show 16 s after Start: too soon to vote after it).
"""

import math
import socket
import time
from dataclasses import dataclass
from functools import lru_cache

import plotly.graph_objects as go
import streamlit as st

from resnet_edu.runs import votes
from resnet_edu.runs.store import ACTIVE
from resnet_edu.viz import gap
from resnet_edu.viz.style import net_style

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
    """Above the live run: the count of predictions, then the split once the gap rule has spoken.

    A top-level fragment (called from the page body), polling at the live view's pace while the run goes.
    """
    if key not in PAGES or context.viewer() or not group:
        return
    first = ballot(group[0])
    if first is None:
        return
    st.fragment(_teacher_body, run_every=context.poll_seconds() if first.active else None)(group[0], first.active)


def _teacher_body(run_id: str, polling: bool) -> None:
    b = ballot(run_id)
    if b is None:
        return
    counts = votes.tally(votes.read(context.store().path(run_id)), b.choices)
    n = sum(counts.values())
    if n and not b.open:
        reveal(b, counts)
    elif n:
        st.info(t("vote.count", n=n), icon=":material/how_to_vote:")
    elif b.open:
        url = student_url()
        st.caption(t("vote.invite", url=url) if url else t("vote.unreachable", address=_address()))
    if polling and not b.active:
        st.rerun(scope="app")  # the run ended: redraw once, without this fragment's timer


def reveal(b: Ballot, counts: dict[str, int]) -> None:
    """"18 of 25 predicted plain-20; ...", and the same as bars (each net in its colour)."""
    total = sum(counts.values())
    parts = [t("vote.split_unsure", n=n, total=total) if c == UNSURE else
             t("vote.split_item", n=n, total=total, choice=label(c)) for c, n in counts.items() if n]
    st.info(t("vote.revealed", total=total, split="; ".join(parts)), icon=":material/how_to_vote:")
    st.plotly_chart(split_figure(counts), width="stretch", key=f"vote_split_{b.run_id}",
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
    """Where students' screens open this lab; None when this server listens on a loopback address only."""
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
    """No run to vote on yet: predict now (with the page's nets); it is sent when the teacher starts one."""
    st.markdown(t("vote.title_next"))
    if len(models) < 2:
        return
    choices = models + [UNSURE]
    pending = st.session_state.get("vote.pending")
    choice = st.radio(t("predict.question"), choices, horizontal=True, key=lkey("vote_next"),
                      index=choices.index(pending[0]) if pending and pending[0] in choices else None,
                      format_func=formatter(label, choices))
    if choice is not None and (pending is None or pending[0] != choice):
        st.session_state["vote.pending"] = (choice, time.time())  # the time it was made decides if it counts
    st.caption(t("vote.kept", choice=label(choice)) if choice else t("vote.how_next"))


def _deliver_pending(b: Ballot, folder, token: str, cast: dict) -> dict:
    """A prediction made before this run could be voted on: record it now, with the time it was made."""
    pending = st.session_state.get("vote.pending")
    if not pending:
        return cast
    choice, chosen_at = pending
    if token in cast:  # voted on this run already
        _forget_pending()
    elif choice in b.choices and b.accepts(chosen_at):
        cast = _cast(folder, token, choice, chosen_at) or cast
        _forget_pending()
    elif not b.open:  # made too late for this run, or for other nets: nothing to send any more
        _forget_pending()
    else:  # the teacher's run compares other nets: the student predicts again below
        st.caption(t("vote.not_in_run", choice=label(choice)))
    return cast


def _forget_pending() -> None:
    st.session_state.pop("vote.pending", None)
    for k in [k for k in st.session_state if str(k).startswith("vote_next.")]:
        del st.session_state[k]  # the next "no run yet" question starts blank


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
