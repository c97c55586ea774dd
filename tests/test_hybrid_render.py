"""mailsec.render.hybrid: numbers a person reads, and what the pictures say without colour."""

from __future__ import annotations

import pytest

from mailsec.hybrid import Part, make_cast, run_pipeline
from mailsec.hybrid.measure import Cost, Measurement, SizePoint
from mailsec.render.hybrid import (
    Metric,
    format_bytes,
    format_seconds,
    measurement_table,
    message_parts_table,
    pipeline_html,
    size_speed_plot,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (512, "512 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (262_144, "256 KB"),
        (10 * 1024**2, "10 MB"),
    ],
)
def test_format_bytes(value, text):
    assert format_bytes(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0.000286, "286 µs"), (0.0123, "12.3 ms"), (15.31, "15.3 s")]
)
def test_format_seconds(value, text):
    assert format_seconds(value) == text


def fake_measurement() -> Measurement:
    points = (
        SizePoint(1024, Cost(0.001, 0.01, 1536, 6), Cost(0.0001, 0.0001, 1316, 1)),
        SizePoint(4096, Cost(0.004, 0.04, 5632, 22), Cost(0.0001, 0.0002, 4388, 1)),
    )
    return Measurement(points, 2048, 1, "a made-up run for the test")


def test_plot_summary_states_the_numbers_and_the_source():
    svg = size_speed_plot(fake_measurement(), metric=Metric.DECRYPT)
    assert (
        "At 4 KB: public-key only 40.0 ms, hybrid 200 µs (200.0 times as much for public-key "
        "only). Source: a made-up run for the test." in svg
    )
    assert ">10 ms</text>" in svg and ">100 µs</text>" in svg


def test_size_plot_counts_recipients_exactly():
    """Public-key only repeats every chunk per recipient; hybrid adds one entry per recipient."""
    html = measurement_table(fake_measurement(), metric=Metric.SIZE, recipients=2)
    assert "<td" in html
    assert "11 KB (11,264 bytes)" in html  # 2 recipients x 22 chunks x 256 bytes
    assert "4.5 KB (4,652 bytes)" in html  # 12 + 4,096 + 16 + 2 x (256 + 8)


def test_a_zero_time_from_a_fake_clock_still_draws():
    zero = Measurement(
        (SizePoint(1024, Cost(0, 0, 1536, 6), Cost(0, 0, 1316, 1)),), 2048, 1, "zeros"
    )
    assert "<svg" in size_speed_plot(zero)


def test_pipeline_html_marks_the_changed_part_and_hides_plaintext():
    cast = make_cast()
    run = run_pipeline(
        "secret words",
        [cast.bob.public, cast.carol.public],
        cast.carol,
        tamper_part=Part.EPHEMERAL_KEY,
        tamper_recipient="Carol",
    )
    html = pipeline_html(run)
    assert "Carol cannot read it" in html
    assert "secret words" not in html
    table = message_parts_table(run.received, changed=Part.EPHEMERAL_KEY, changed_recipient="Carol")
    marked = [row for row in table.split("<tr>") if "changed on the way" in row]
    assert len(marked) == 1 and "one-time public key for Carol" in marked[0]
