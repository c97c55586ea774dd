"""The timeline runner: it plays a scenario step by step and keeps what every step left behind.

:class:`_World` is everything one run changes — the server side (:mod:`.server`), the devices and
their clients (:mod:`.device`, :mod:`.pop_client`, :mod:`.imap_client`), the clock and the trace.
:func:`run` plays each event on it in turn and takes a frozen snapshot after each
(:class:`~mailsec.retrieval.model.results.StepResult`), with the list of what changed since the
step before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from mailsec.i18n import texts
from mailsec.retrieval.model.device import _Client, _Device
from mailsec.retrieval.model.events import (
    AddDevice,
    Event,
    GoOffline,
    GoOnline,
    MailArrives,
    Scenario,
    SetQuota,
    Sync,
    TimePasses,
)
from mailsec.retrieval.model.imap_client import _ImapClient
from mailsec.retrieval.model.pop_client import _PopClient
from mailsec.retrieval.model.results import (
    Change,
    DeviceState,
    MessageView,
    Run,
    ServerState,
    StepResult,
)
from mailsec.retrieval.model.server import _Mailbox, _SenderServer
from mailsec.retrieval.model.tracing import _Trace
from mailsec.retrieval.model.vocabulary import (
    ChangeKind,
    ClientSettings,
    DeviceSpec,
    FullMailboxReply,
    ImapSettings,
    PopSettings,
    Protocol,
    format_size,
    in_flag_order,
    shown,
    utc_now,
)
from mailsec.trace import Outcome

_CLIENTS: dict[Protocol, type[_Client]] = {Protocol.POP3: _PopClient, Protocol.IMAP4: _ImapClient}
"""The mail client each protocol runs on a device."""

TEXT = texts(
    {
        "start": "The mailbox starts empty with a quota of {quota}; {devices}.",
        "device_online": "{device} ({protocol}, {storage} of storage, online)",
        "device_offline": "{device} ({protocol}, {storage} of storage, offline)",
        "separator": ", ",
        "no_devices": "no devices yet",
        "time": "Time passes; nobody touches the mail.",
        "set_up": "{device} is set up with the account ({protocol}: {settings}); it starts empty.",
        "offline": "{device} goes offline: it can use only what is stored on it.",
        "online": "{device} is back online and checks for mail.",
        "cannot_check": "{device} is offline: it cannot reach the server, so nothing is checked.",
        "new_here": "new here",
        "body_cached": "body cached",
        "body_dropped": "body dropped",
        "gone": "gone from here",
        "protocol_settings": "{protocol} ({settings})",
    }
)
"""The runner's sentences (see :mod:`mailsec.i18n`)."""


class _World:
    """Everything a run changes: the server side, the devices, the clock and the trace."""

    def __init__(self, scenario: Scenario, client: ClientSettings, start: datetime) -> None:
        self.trace = _Trace()
        self.now = start
        self.mailbox = _Mailbox(scenario.quota, scenario.full_reply, self.trace)
        self.sender = _SenderServer(self.mailbox, self.trace)
        self.default_client = client
        """The client setting of every device that does not name its own."""
        self.devices: dict[str, _Device] = {}
        self.arrived: list[str] = []
        """Every message label sent so far: ``M1``, ``M2`` ... in order."""
        for spec in scenario.devices:
            self._add_device(spec)

    def describe_start(self) -> None:
        """The first sentence of the trace: the empty mailbox and the devices."""
        devices = TEXT["separator"].join(
            TEXT["device_online" if d.online else "device_offline"].format(
                device=shown(d.name), protocol=d.protocol.value, storage=format_size(d.capacity)
            )
            for d in self.devices.values()
        )
        self.trace.say(
            TEXT["start"].format(
                quota=format_size(self.mailbox.quota), devices=devices or TEXT["no_devices"]
            ),
            Outcome.INFO,
            "RFC 9208 §3",
        )

    def play(self, event: Event, now: datetime) -> None:
        """One step: the sender's server retries what is due, the event happens, and online IMAP
        clients hear of what changed (IDLE, RFC 2177)."""
        self.now = now
        self.sender.retry_due(now)
        self._apply(event)
        for device in self.devices.values():
            if device.online and device.protocol is Protocol.IMAP4:
                _ImapClient(self.mailbox, device, self.trace, now).resync(quiet=True)

    def snapshot(self, number: int, event: Event | None, before: StepResult | None) -> StepResult:
        """The world as it is now, what changed since ``before``, and the trace of this step."""
        server = ServerState(
            self.mailbox.quota,
            self.mailbox.views(),
            tuple(self.sender.queue),
            tuple(self.sender.bounces),
        )
        devices = tuple(d.state() for d in self.devices.values())
        changes = () if before is None else _changes(before.server, before.devices, server, devices)
        return StepResult(number, self.now, event, server, devices, changes, self.trace.take())

    # -- events ---------------------------------------------------------------------------------

    def _apply(self, event: Event) -> None:
        if isinstance(event, MailArrives):
            label = f"M{len(self.arrived) + 1}"
            self.arrived.append(label)
            self.sender.send(label, event.subject, event.size, event.sender, self.now)
        elif isinstance(event, SetQuota):
            self.mailbox.set_quota(event.quota)
        elif isinstance(event, TimePasses):
            self.trace.say(TEXT["time"], Outcome.INFO)
        elif isinstance(event, AddDevice):
            device = self._add_device(event.spec)
            self.trace.say(
                TEXT["set_up"].format(
                    device=shown(device.name),
                    protocol=device.protocol.value,
                    settings=device.client.summary,
                ),
                Outcome.INFO,
            )
            if device.online:
                self._check_mail(device)
        else:
            self._device_event(self.devices[event.device_name or ""], event)

    def _device_event(self, device: _Device, event: Event) -> None:
        if isinstance(event, GoOffline):
            device.online = False
            self.trace.say(TEXT["offline"].format(device=shown(device.name)), Outcome.INFO)
        elif isinstance(event, GoOnline):
            device.online = True
            self.trace.say(TEXT["online"].format(device=shown(device.name)), Outcome.INFO)
            self._check_mail(device)
        elif isinstance(event, Sync):
            self._check_mail(device)
        else:
            self._client(device).act(event)

    def _check_mail(self, device: _Device) -> None:
        if not device.online:
            self.trace.say(
                TEXT["cannot_check"].format(device=shown(device.name)),
                Outcome.WARN,
            )
            return
        self._client(device).check_mail()

    def _client(self, device: _Device) -> _Client:
        return _CLIENTS[device.protocol](self.mailbox, device, self.trace, self.now)

    def _add_device(self, spec: DeviceSpec) -> _Device:
        device = _Device(spec.name, spec.capacity, spec.client or self.default_client, spec.online)
        self.devices[spec.name] = device
        return device


# -- running ---------------------------------------------------------------------------------------


def _changes(
    before_server: ServerState,
    before_devices: Iterable[DeviceState],
    server: ServerState,
    devices: Iterable[DeviceState],
) -> tuple[Change, ...]:
    out: list[Change] = []

    def compare(place: str, old: tuple[MessageView, ...], new: tuple[MessageView, ...]) -> None:
        if old == new:  # most places do not change in a step: nothing to list
            return
        old_map = {(m.folder, m.label): m for m in old}
        new_map = {(m.folder, m.label): m for m in new}
        for key, m in new_map.items():
            prev = old_map.get(key)
            if prev is None:
                out.append(Change(place, m.folder, m.label, ChangeKind.ADDED, TEXT["new_here"]))
            elif prev.flags != m.flags or prev.body != m.body:
                parts = [f"+{f.value}" for f in in_flag_order(m.flags - prev.flags)]
                parts += [f"−{f.value}" for f in in_flag_order(prev.flags - m.flags)]
                if prev.body != m.body:
                    parts.append(TEXT["body_cached" if m.body else "body_dropped"])
                out.append(Change(place, m.folder, m.label, ChangeKind.CHANGED, " ".join(parts)))
        for key, m in old_map.items():
            if key not in new_map:
                out.append(Change(place, m.folder, m.label, ChangeKind.REMOVED, TEXT["gone"]))

    compare("server", before_server.messages, server.messages)
    old_devices = {d.name: d for d in before_devices}
    for d in devices:
        prev = old_devices.get(d.name)
        compare(d.name, prev.messages if prev else (), d.messages)
    return tuple(out)


def run(
    scenario: Scenario,
    *,
    client: ClientSettings | None = None,
    quota: int | None = None,
    full_reply: FullMailboxReply | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Run:
    """Play ``scenario`` and return the state after every step.

    ``client`` is the mail client setting of every device that does not name its own (POP3 or
    IMAP4 and their options; IMAP4 with defaults when omitted), so the same scenario can be played
    under both protocols. ``quota`` and ``full_reply`` override the scenario's. ``clock`` gives the
    start time (step 0); each event happens ``event.at`` after it.
    """
    if quota is not None or full_reply is not None:
        scenario = replace(
            scenario,
            quota=scenario.quota if quota is None else quota,
            full_reply=scenario.full_reply if full_reply is None else full_reply,
        )
    settings = client if client is not None else ImapSettings()
    start = clock()
    world = _World(scenario, settings, start)
    world.describe_start()
    steps = [world.snapshot(0, None, None)]
    for number, event in enumerate(scenario.events, start=1):
        world.play(event, start + event.at)
        steps.append(world.snapshot(number, event, steps[-1]))
    label = (
        TEXT["protocol_settings"].format(
            protocol=settings.protocol.value, settings=settings.summary
        )
        if isinstance(settings, PopSettings)
        else settings.protocol.value
    )
    return Run(scenario, label, tuple(steps), tuple(world.arrived))


def compare(
    scenario: Scenario,
    *,
    pop: PopSettings | None = None,
    imap: ImapSettings | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[Run, Run]:
    """The same scenario played under POP3 (download and delete, unless ``pop`` says otherwise)
    and under IMAP4, from the same start time: the comparison the devices lab shows."""
    start = clock()
    return (
        run(scenario, client=pop or PopSettings(), clock=lambda: start),
        run(scenario, client=imap or ImapSettings(), clock=lambda: start),
    )
