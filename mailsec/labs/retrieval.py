"""Chapter 01's devices lab: the same mail under POP3 and IMAP4, on several devices.

``devices_lab()`` shows the lab. The learner picks a prepared scenario or builds a timeline with
the event buttons, switches protocol, POP3 settings and quota, and sees the server and every device
side by side after each step, with the changes marked and the explanation under them.

Every change re-plays the whole timeline with :func:`mailsec.retrieval.model.run` (it is pure and
fast), so switching POP3 ↔ IMAP4 shows the same story under the other protocol at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from mailsec.errors import InputError
from mailsec.i18n import texts, using
from mailsec.labs.frame import Lab
from mailsec.labs.retrieval_controls import (
    KB,
    OWN,
    OWN_STORAGE,
    DevicesControls,
)
from mailsec.labs.retrieval_controls import TEXT as CONTROLS
from mailsec.render.html import FONT, callout, escape
from mailsec.render.retrieval import comparison_table, explanation, step_view, timeline
from mailsec.retrieval.model import (
    DeleteMessage,
    DeviceEvent,
    DeviceState,
    Event,
    Expunge,
    FlagMessage,
    FullMailboxReply,
    GoOffline,
    GoOnline,
    ImapSettings,
    MailArrives,
    MessageEvent,
    MoveMessage,
    PopSettings,
    Protocol,
    ReadMessage,
    ReplyToMessage,
    Run,
    Scenario,
    Sync,
    TimePasses,
    format_size,
    run,
    shown,
    utc_now,
)
from mailsec.retrieval.scenarios import SCENARIOS, devices

__all__ = ["TEXT", "DevicesLab", "devices_lab"]


#: Subjects for the "New mail" button, used in turn.
SUBJECTS: tuple[tuple[str, str], ...] = (
    ("Hello from Ken", "ken@example.org"),
    ("Project update", "boss@example.org"),
    ("Your receipt", "shop@example.com"),
    ("Photos from the trip", "mei@example.org"),
    ("Weekly newsletter", "news@example.net"),
    ("Meeting moved", "team@example.org"),
)
STEP = timedelta(minutes=30)
"""Time between two events the learner adds (the sender's retry interval, RFC 5321 §4.5.4.1)."""

TEXT = texts(
    {
        "subjects": (
            "Hello from Ken",
            "Project update",
            "Your receipt",
            "Photos from the trip",
            "Weekly newsletter",
            "Meeting moved",
        ),
        "unknown": "There is no prepared scenario called {scenario!r}: use one of {choices!r}.",
        "title": "Lab: one mailbox, several devices",
        "intro": "Pick a scenario and a protocol, then step through it: the server and every "
        "device are shown side by side, changes are marked <strong>＋ NEW</strong>, "
        "<strong>✎ CHANGED</strong> or <strong>− REMOVED</strong>, and the explanation says why. "
        "Switch POP3 ↔ IMAP4 to replay the same story under the other protocol, or add your own "
        "events with the buttons.",
        "own_title": "Your own timeline",
        "own_story": "Add events with the buttons: mail arrives, a device checks, reads, deletes, "
        "goes offline ...",
        # What the lab says when "Read", "Delete" ... have no message to act on, by the true
        # reason.
        "no_device": "Choose a device first (the Device list above the buttons).",
        "did_not_fit": "{device} has no message to pick: {messages} was larger than the storage "
        "free on {device} ({capacity} in all), so its last 'Check mail' left it on the server.",
        "did_not_fit_plural": "{device} has no message to pick: {messages} were larger than the "
        "storage free on {device} ({capacity} in all), so its last 'Check mail' left them on the "
        "server.",
        "more_storage": "Raise 'Storage per device' or send smaller mail, then 'Check mail' again.",
        "advice": "{reason} {advice}",
        "no_message_yet": "{device} has no message to pick: add mail with 'New mail arrives' and "
        "let the device 'Check mail' first.",
        "message_size": "{label} ({size})",
        "list_separator": ", ",
        "and": "{others} and {last}",
        "nothing_to_undo": "There is no event to undo: the timeline is empty.",
        "message_option": "{label} “{subject}” ({folder})",
        "compare": "Compare the end of this timeline under POP3 (download and delete) and IMAP4",
        "bad_protocol": "The protocol {protocol!r} is not one this lab knows: use 'POP3' or "
        "'IMAP4'.",
    }
)
"""The devices lab's sentences (see :mod:`mailsec.i18n`); its controls' labels are in
:data:`mailsec.labs.retrieval_controls.TEXT`. The subjects of the "New mail" button are data
(:data:`SUBJECTS`), listed here to be translated on screen."""


class DevicesLab(DevicesControls, Lab):
    """Devices, a server mailbox and a timeline of events, under POP3 or IMAP4."""

    def __init__(
        self,
        *,
        scenario: str = "phone-then-laptop",
        protocol: Protocol = Protocol.POP3,
        clock: Callable[[], datetime] = utc_now,
        lang: str | None = None,
    ) -> None:
        if scenario != OWN and scenario not in SCENARIOS:
            raise InputError(TEXT["unknown"].format(scenario=scenario, choices=[*SCENARIOS, OWN]))
        # Scenarios start at 08:00 on the clock's day, so "morning" and "evening" in the stories
        # are morning and evening on screen.
        self._start = clock().replace(hour=8, minute=0, second=0, microsecond=0)
        self._loading = False
        self._subject = 0
        # The storage (KB) of the devices in the learner's own timeline, kept while the storage
        # slider shows the devices of a prepared scenario.
        self._own_storage = OWN_STORAGE
        self.run: Run | None = None
        self._compare_html = ""
        self._compared: Scenario | None = None
        self.base: Scenario = SCENARIOS["phone-then-laptop"]
        self.events: list[Event] = list(self.base.events)
        super().__init__(
            TEXT["title"],
            intro=TEXT["intro"],
            controls=[self._setting_controls(scenario, protocol), self._event_controls()],
            lang=lang,
        )
        self.add_class("mailsec-retrieval-lab")
        self._connect()
        self.action(self._load_scenario)()

    def _connect(self) -> None:
        """Every control to its callback; each button to its action (a table of small functions)."""
        self.on_change([self.scenario], self._load_scenario)
        self.on_change(
            [
                self.protocol,
                self.leave_copy,
                self.remove_after,
                self.remove_deleted,
                self.expunge,
                self.full_reply,
                self.quota,
            ],
            self._settings_changed,
        )
        self.on_change([self.device_count, self.storage], self._devices_changed)
        self.on_change([self.device], self._device_picked)
        self.on_change([self.step], self._show_step)
        for button_, fn in (
            (self.b_mail, self.add_mail),
            (self.b_sync, lambda: self._device_event(Sync)),
            (self.b_read, lambda: self._message_event(ReadMessage)),
            (self.b_reply, lambda: self._message_event(ReplyToMessage)),
            (self.b_flag, lambda: self._message_event(FlagMessage)),
            (self.b_delete, lambda: self._message_event(DeleteMessage)),
            (self.b_move, lambda: self._message_event(MoveMessage)),
            (self.b_expunge, lambda: self._device_event(Expunge)),
            (self.b_online, self.toggle_online),
            (self.b_wait, self.wait_a_day),
            (self.b_undo, self.undo),
            (self.b_clear, self.clear),
            (self.b_prev, lambda: self._step_by(-1)),
            (self.b_next, lambda: self._step_by(+1)),
            (self.b_last, lambda: self._step_by(10**6)),
        ):
            self.on_click(button_, fn)

    # -- reading the controls -------------------------------------------------------------------

    def client(self) -> PopSettings | ImapSettings:
        """The client setting the controls describe."""
        if self.protocol.value is Protocol.IMAP4:
            return ImapSettings(expunge_on_delete=self.expunge.value)
        leave = self.leave_copy.value
        return PopSettings(
            leave_copy=leave,
            remove_after_days=(self.remove_after.value or None) if leave else None,
            remove_when_deleted_locally=self.remove_deleted.value if leave else False,
        )

    def scenario_now(self) -> Scenario:
        """The base scenario with the learner's events and quota."""
        return Scenario(
            title=self.base.title,
            story=self.base.story,
            devices=self.base.devices,
            events=tuple(self.events),
            quota=self.quota.value * KB,
            full_reply=FullMailboxReply(self.full_reply.value),
        )

    # -- callbacks ------------------------------------------------------------------------------

    def _load_scenario(self) -> None:
        key = self.scenario.value
        own = key == OWN
        self._loading = True
        try:
            self.device_count.disabled = not own
            self.storage.disabled = not own
            if own:
                self.storage.description = CONTROLS["storage_per_device"]
                self.storage.value = self._own_storage
                self.base = Scenario(
                    title=TEXT.source["own_title"],
                    story=TEXT.source["own_story"],
                    devices=devices(self.device_count.value, capacity=self.storage.value * KB),
                    events=(),
                    quota=self.quota.value * KB,
                )
            else:
                self.base = SCENARIOS[key]
                self.quota.value = self.base.quota // KB
            self.events = list(self.base.events)
        finally:
            self._loading = False
        self.story.value = callout(shown(self.base.story), title=shown(self.base.title))
        self._enable_settings()
        self.replay(follow=True)

    def _settings_changed(self) -> None:
        if self._loading:
            return
        self._enable_settings()
        self.replay(follow=False)

    def _enable_settings(self) -> None:
        """Grey out the options that do not apply to the chosen protocol."""
        pop = self.protocol.value is Protocol.POP3
        self.leave_copy.disabled = not pop
        self.remove_after.disabled = not (pop and self.leave_copy.value)
        self.remove_deleted.disabled = not (pop and self.leave_copy.value)
        self.expunge.disabled = pop

    def _devices_changed(self) -> None:
        if self._loading or self.scenario.value != OWN:
            return
        self._own_storage = self.storage.value
        self.base = Scenario(
            title=self.base.title,
            story=self.base.story,
            devices=devices(self.device_count.value, capacity=self.storage.value * KB),
            events=(),
            quota=self.quota.value * KB,
        )
        known = {d.name for d in self.base.devices}
        self.events = [e for e in self.events if e.device_name in (None, *known)]
        self.replay(follow=True)

    def _device_picked(self) -> None:
        if self._loading:
            return
        self._update_pickers()

    def _show_step(self) -> None:
        if self._loading or self.run is None:
            return
        self._render()

    def _step_by(self, delta: int) -> None:
        self.step.value = max(self.step.min, min(self.step.max, self.step.value + delta))

    def _next_time(self, gap: timedelta = STEP) -> timedelta:
        return (self.events[-1].at + gap) if self.events else timedelta(0)

    def _selected_device(self) -> str:
        if not self.device.value:
            raise InputError(TEXT["no_device"])
        return str(self.device.value)

    def _selected_message(self) -> str:
        if not self.message.value:
            raise InputError(self._why_no_message(self._selected_device()))
        return str(self.message.value)

    def _why_no_message(self, name: str) -> str:
        """Why ``name`` holds no message: mail that did not fit in its storage, or no check yet."""
        device = self._final_device(name)
        if not device.did_not_fit:
            return TEXT["no_message_yet"].format(device=shown(name))
        *others, last = [
            TEXT["message_size"].format(label=m.label, size=format_size(m.size))
            for m in device.did_not_fit
        ]
        reason = TEXT["did_not_fit_plural" if others else "did_not_fit"].format(
            device=shown(name),
            messages=TEXT["and"].format(others=TEXT["list_separator"].join(others), last=last)
            if others
            else last,
            capacity=format_size(device.capacity),
        )
        if self.scenario.value != OWN:
            return reason
        return TEXT["advice"].format(reason=reason, advice=TEXT["more_storage"])

    def add_mail(self) -> None:
        subject, sender = SUBJECTS[self._subject % len(SUBJECTS)]
        self._subject += 1
        self._append(MailArrives(self._next_time(), subject, self.mail_size.value * KB, sender))

    def _device_event(self, kind: type[DeviceEvent]) -> None:
        self._append(kind(self._next_time(), self._selected_device()))

    def _message_event(self, kind: type[MessageEvent]) -> None:
        device, message = self._selected_device(), self._selected_message()
        self._append(kind(self._next_time(), device, message))

    def toggle_online(self) -> None:
        name = self._selected_device()
        online = self._final_device(name).online
        self._append((GoOffline if online else GoOnline)(self._next_time(), name))

    def wait_a_day(self) -> None:
        self._append(TimePasses(self._next_time(timedelta(days=1))))

    def undo(self) -> None:
        if not self.events:
            raise InputError(TEXT["nothing_to_undo"])
        self.events.pop()
        self.replay(follow=True)

    def clear(self) -> None:
        self.events = []
        self.replay(follow=True)

    def _append(self, event: Event) -> None:
        self.events.append(event)
        try:
            self.replay(follow=True)
        except Exception:
            self.events.pop()
            raise

    # -- running and showing --------------------------------------------------------------------

    def _final_device(self, name: str) -> DeviceState:
        assert self.run is not None
        return self.run.final.device(name)

    def replay(self, *, follow: bool) -> None:
        """Play the timeline again under the current settings and show a step."""
        at_end = self.run is None or self.step.value >= self.step.max
        scenario = self.scenario_now()
        self.run = run(scenario, client=self.client(), clock=lambda: self._start)
        if scenario != self._compared:  # the comparison ignores the protocol controls
            self._compare_html = self._comparison(scenario)
            self._compared = scenario
        last = len(self.run.steps) - 1
        self._loading = True
        try:
            self.step.max = last
            if follow or at_end or self.step.value > last:
                self.step.value = last
        finally:
            self._loading = False
        self._update_pickers()
        self._render()

    def _update_pickers(self) -> None:
        assert self.run is not None
        final = self.run.final
        self._loading = True
        try:
            names = [d.name for d in final.devices]
            current = self.device.value
            labels_ = [shown(n) for n in names]
            # Plain names when they are shown as they are (English): the menu's values then
            # read as its labels.
            self.device.options = (
                names if labels_ == names else list(zip(labels_, names, strict=True))
            )
            self.device.value = current if current in names else (names[0] if names else None)
            if self.device.value:
                dev = final.device(self.device.value)
                self._show_storage(dev)
                self.b_online.description = CONTROLS["go_offline" if dev.online else "go_online"]
                labels = [
                    (
                        TEXT["message_option"].format(
                            label=m.label, subject=shown(m.subject), folder=shown(m.folder)
                        ),
                        m.label,
                    )
                    for m in dev.messages
                ]
            else:
                labels = []
            current_msg = self.message.value
            self.message.options = labels
            values = [v for _, v in labels]
            self.message.value = (
                current_msg if current_msg in values else (values[0] if values else None)
            )
        finally:
            self._loading = False

    def _show_storage(self, device: DeviceState) -> None:
        """Let the storage slider show the picked device's storage (in a prepared scenario the
        devices differ, and the slider only shows it)."""
        if self.scenario.value == OWN:
            return
        size = device.capacity // KB
        self.storage.max = max(self.storage.max, size)
        self.storage.value = size
        self.storage.description = CONTROLS["storage_of"].format(device=shown(device.name))

    def _render(self) -> None:
        assert self.run is not None
        number = self.step.value
        step = self.run.steps[number]
        previous = self.run.steps[number - 1] if number > 0 else None
        self.show(
            str(timeline(self.run, number)) + str(step_view(step, previous)),
            str(explanation(step)) + self._compare_html,
        )

    def _comparison(self, scenario: Scenario) -> str:
        def play(client: PopSettings | ImapSettings) -> Run:
            # The run on screen is reused when it already has the setting compared.
            if self.run is not None and self.client() == client:
                return self.run
            return run(scenario, client=client, clock=lambda: self._start)

        pop, imap = play(PopSettings()), play(ImapSettings())
        return (
            f'<details style="{FONT}"><summary>{escape(TEXT["compare"])}</summary>'
            f"{comparison_table(pop, imap)}</details>"
        )


def devices_lab(
    scenario: str = "phone-then-laptop",
    *,
    protocol: Protocol | str = Protocol.POP3,
    clock: Callable[[], datetime] = utc_now,
    lang: str | None = None,
) -> DevicesLab:
    """The chapter 01 devices lab, ready to display.

    ``scenario`` is the key of a prepared scenario (see
    :data:`mailsec.retrieval.scenarios.SCENARIOS`) or ``"own"`` for an empty timeline;
    ``protocol`` is ``"POP3"`` or ``"IMAP4"``.
    """
    if isinstance(protocol, str):
        try:
            protocol = Protocol(protocol.upper())
        except ValueError:
            with using(lang):
                message = TEXT["bad_protocol"].format(protocol=protocol)
            raise InputError(message) from None
    return DevicesLab(scenario=scenario, protocol=protocol, clock=clock, lang=lang)
