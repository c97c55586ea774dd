"""A full 1 KB-10 MB run of :func:`mailsec.hybrid.measure.measure`, kept for the notebook.

Written by ``benchmarks/bench_hybrid_sizes.py --write``; do not edit by hand. The times were
measured once on the machine named in ``REFERENCE.source``; they are shown, labelled as
such, because the notebook's own quick run stops at 256 KB to stay within a few seconds.
"""

from mailsec.hybrid.measure import Cost, Measurement, SizePoint

__all__ = ["REFERENCE"]

REFERENCE = Measurement(
    points=(
        SizePoint(
            1024,
            Cost(0.0001196030000301107, 0.0015805660000296484, 1536, 6),
            Cost(5.085500004042842e-05, 0.00028624499998386455, 1316, 1),
        ),
        SizePoint(
            4096,
            Cost(0.000446136000050501, 0.006155648999992991, 5632, 22),
            Cost(6.11919999755628e-05, 0.00031960700005129183, 4388, 1),
        ),
        SizePoint(
            16384,
            Cost(0.0017242960000203311, 0.02405287400006273, 22272, 87),
            Cost(4.683299994212575e-05, 0.0002862000000050102, 16676, 1),
        ),
        SizePoint(
            65536,
            Cost(0.0066899810000222715, 0.09487816299997576, 88320, 345),
            Cost(7.702700008849206e-05, 0.0002742310000485304, 65828, 1),
        ),
        SizePoint(
            262144,
            Cost(0.025890669000091293, 0.37817008799993346, 353280, 1380),
            Cost(9.687200008556829e-05, 0.00033273999997618375, 262436, 1),
        ),
        SizePoint(
            1048576,
            Cost(0.10316364300001624, 1.504657242999997, 1412864, 5519),
            Cost(0.0003662059999669509, 0.0005568989998891993, 1048868, 1),
        ),
        SizePoint(
            4194304,
            Cost(0.42047320800008947, 6.08407195999996, 5651456, 22076),
            Cost(0.0014147350000257575, 0.0012189189999389782, 4194596, 1),
        ),
        SizePoint(
            10485760,
            Cost(1.0506451659999811, 15.306676260000017, 14128384, 55189),
            Cost(0.00299342699997851, 0.0029495759999917937, 10486052, 1),
        ),
    ),
    rsa_bits=2048,
    repeats=3,
    source="a reference run on 2026-11-28: Intel(R) Xeon(R) Processor, Python 3.11.7, cryptography 50.0.2 with OpenSSL 4.0.3 29 Sep 2026, made with benchmarks/bench_hybrid_sizes.py --write on a shared machine; your own machine will give other times",
)
