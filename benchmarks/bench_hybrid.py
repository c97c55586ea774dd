"""Hybrid encryption of a 10 MB message: mailsec.hybrid beside ``openssl cms`` (AES-256-GCM, RSA-OAEP).

Run: python benchmarks/bench_hybrid.py [megabytes]

Both encrypt the same random message for one RSA-2048 recipient (the content key wrapped with
RSA-OAEP/SHA-256, the body with AES-256-GCM) and decrypt it again, as whole processes: a fresh
Python that imports mailsec, reads the key and the message from files and writes the result, and
the ``openssl cms`` command. The in-process time of mailsec is printed too. The formats differ
(mailsec's learning format against CMS AuthEnvelopedData), the work is the same. Best of 3.
Keys and the certificate are generated at run time in a temporary folder.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from mailsec.hybrid import KeyKind, decrypt, encrypt, generate_keypair

ROUNDS = 3

MAILSEC_ENCRYPT = """
import sys
from cryptography.hazmat.primitives import serialization
from mailsec.hybrid import KeyPair, encrypt
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
bob = KeyPair.from_private_key("Bob", key)
message = encrypt(open(sys.argv[2], "rb").read(), [bob.public]).message
entry = message.wrapped_keys[0]
open(sys.argv[3], "wb").write(message.nonce + message.tag + entry.wrapped + message.ciphertext)
"""

MAILSEC_DECRYPT = """
import sys
from cryptography.hazmat.primitives import serialization
from mailsec.hybrid import HybridMessage, KeyPair, WrapMethod, WrappedKey, decrypt
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
bob = KeyPair.from_private_key("Bob", key)
data = open(sys.argv[2], "rb").read()
entry = WrappedKey("Bob", bob.public.key_id, WrapMethod.RSA_OAEP, "", data[28:284])
message = HybridMessage(data[:12], data[284:], data[12:28], (entry,))
open(sys.argv[3], "wb").write(decrypt(message, bob).plaintext)
"""


def best(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=300)


def main(megabytes: int = 10) -> int:
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl is not installed (Debian package 'openssl'); nothing to compare against.")
        return 1
    bob = generate_keypair("Bob", KeyKind.RSA)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key_pem, cert_pem = folder / "bob.key", folder / "bob.crt"
        key_pem.write_bytes(
            bob.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bob")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(bob.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(bob.private_key, hashes.SHA256())
        )
        cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        plain = folder / "message.bin"
        data = os.urandom(megabytes * 1024 * 1024)
        plain.write_bytes(data)

        py = sys.executable
        ms_enc = best(
            lambda: run(
                [py, "-c", MAILSEC_ENCRYPT, str(key_pem), str(plain), str(folder / "m.enc")]
            )
        )
        ms_dec = best(
            lambda: run(
                [
                    py,
                    "-c",
                    MAILSEC_DECRYPT,
                    str(key_pem),
                    str(folder / "m.enc"),
                    str(folder / "m.dec"),
                ]
            )
        )
        assert (folder / "m.dec").read_bytes() == data
        oaep = ["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"]
        os_enc = best(
            lambda: run(
                [
                    openssl,
                    "cms",
                    "-encrypt",
                    "-binary",
                    "-aes-256-gcm",
                    "-outform",
                    "DER",
                    "-in",
                    str(plain),
                    "-out",
                    str(folder / "o.enc"),
                    "-recip",
                    str(cert_pem),
                    *oaep,
                ]
            )
        )
        os_dec = best(
            lambda: run(
                [
                    openssl,
                    "cms",
                    "-decrypt",
                    "-binary",
                    "-inform",
                    "DER",
                    "-in",
                    str(folder / "o.enc"),
                    "-inkey",
                    str(key_pem),
                    "-recip",
                    str(cert_pem),
                    "-out",
                    str(folder / "o.dec"),
                ]
            )
        )
        assert (folder / "o.dec").read_bytes() == data
        in_enc = best(lambda: encrypt(data, [bob.public]))
        message = encrypt(data, [bob.public]).message
        in_dec = best(lambda: decrypt(message, bob))

    version = subprocess.run([openssl, "version"], capture_output=True, text=True).stdout.strip()
    print(
        f"{megabytes} MB, one RSA-2048 recipient (RSA-OAEP + AES-256-GCM), best of {ROUNDS}; peer: {version}"
    )
    print(
        f"encrypt: mailsec process {ms_enc:.3f} s, openssl cms {os_enc:.3f} s, ratio {ms_enc / os_enc:.2f}x"
        f" (mailsec in-process {in_enc:.3f} s)"
    )
    print(
        f"decrypt: mailsec process {ms_dec:.3f} s, openssl cms {os_dec:.3f} s, ratio {ms_dec / os_dec:.2f}x"
        f" (mailsec in-process {in_dec:.3f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
