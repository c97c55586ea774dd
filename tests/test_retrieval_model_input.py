"""Bad input to the mailbox model: contradictory POP3 settings, unknown or duplicate devices,
events out of order, impossible sizes and quotas and unknown scenarios are refused with an
InputError whose sentence says what to change.
"""

from __future__ import annotations

import pytest
from retrieval_timelines import minutes, play, scenario

from mailsec.errors import InputError
from mailsec.retrieval.model import (
    AddDevice,
    DeviceSpec,
    MailArrives,
    MoveMessage,
    PopSettings,
    SetQuota,
    Sync,
)
from mailsec.retrieval.scenarios import devices, get_scenario


def test_contradictory_pop_settings_are_refused():
    with pytest.raises(InputError, match="only apply when a copy is left on the server"):
        PopSettings(remove_after_days=7)
    with pytest.raises(InputError, match="only apply when a copy is left on the server"):
        PopSettings(remove_when_deleted_locally=True)
    with pytest.raises(InputError, match=r"remove_after_days=0 is not a number of days"):
        PopSettings(leave_copy=True, remove_after_days=0)


def test_unknown_device_is_refused_with_the_known_names():
    with pytest.raises(InputError) as info:
        scenario(Sync(minutes(0), "Fridge"))
    assert info.value.message == (
        "Event 1 (Fridge checks for mail) names the device 'Fridge', which is not set up yet: "
        "use one of ['Phone']."
    )


def test_events_out_of_order_are_refused():
    with pytest.raises(InputError, match="list the events in time order"):
        scenario(Sync(minutes(5), "Phone"), Sync(minutes(1), "Phone"))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: scenario(MailArrives(minutes(0), "a", 0)), "give a size above 0"),
        (lambda: scenario(SetQuota(minutes(0), -1)), "the quota -1 is below 0"),
        (lambda: scenario(MoveMessage(minutes(0), "Phone", "M1", "Spam")), "'Spam' does not exist"),
        (lambda: scenario(devs=(DeviceSpec("A", 1), DeviceSpec("A", 2))), "share a name"),
        (
            lambda: scenario(AddDevice(minutes(0), DeviceSpec("Phone", 1))),
            "already one: give the new device another name",
        ),
        (lambda: DeviceSpec(" ", 10), "A device needs a name"),
        (lambda: DeviceSpec("Phone", -1), "give 0 or more"),
        (lambda: scenario(quota=-5), "The quota is -5 bytes"),
        (lambda: get_scenario("holiday"), "no prepared scenario called 'holiday'"),
        (lambda: devices(5, capacity=1), "choose 1 to 4 devices"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(make, match):
    with pytest.raises(InputError, match=match):
        make()


def test_asking_for_an_unknown_device_in_a_step():
    r = play(scenario())
    with pytest.raises(InputError, match="no device called 'Laptop' at step 0"):
        r.final.device("Laptop")
