"""Text that is almost hex or base64 gets a hint, not a decode of its ASCII bytes; and
``decode --proto FILE`` with several top-level messages picks the one type that reads
the input completely. Real blobs: the bundled samples, damaged the way a copy and
paste damages them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SAMPLES
from wiretool.cli import app
from wiretool.errors import InputError
from wiretool.inputs import InputFormat, decode_input

HEX = (SAMPLES / "person.hex").read_bytes()
B64 = (SAMPLES / "addressbook.b64").read_bytes().strip()


def _hint(raw: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        decode_input(raw)
    return caught.value


def test_the_samples_still_decode() -> None:
    assert decode_input(HEX).format is InputFormat.HEX
    assert decode_input(B64).format is InputFormat.BASE64


def test_an_xxd_dump_with_a_digit_lost() -> None:
    lines = HEX.splitlines(keepends=True)
    assert lines[2].startswith(b"00000020: 6f6d ")
    broken = b"".join([*lines[:2], lines[2][:11] + lines[2][12:], *lines[3:]])  # "6fd"
    error = _hint(broken)
    assert f"its line 3 (offset {len(lines[0]) + len(lines[1])})" in error.message


def test_hex_with_a_digit_lost() -> None:
    digits = decode_input(HEX).data.hex().encode()
    broken = digits[:10] + digits[11:]  # one digit of the sixth byte lost
    error = _hint(broken)
    assert "odd number of hex digits" in error.message
    assert "--input-format raw" in error.message
    spaced = b"08 96 01 12 02 68 6"
    error = _hint(spaced)
    assert error.offset == 18 and "group '6' at offset 18" in error.message
    assert "group '8' at offset 2" in _hint(b"0x8 0x96 0x01").message


@pytest.mark.parametrize("ending", [b"...", "…".encode(), b" ...\n"])
def test_a_blob_cut_when_copied(ending: bytes) -> None:
    for blob in (decode_input(HEX).data.hex().encode()[:40], B64[:40]):
        error = _hint(blob + ending)
        assert "looks cut short" in error.message
        assert error.offset == len(blob) + (1 if ending.startswith(b" ") else 0)


@pytest.mark.parametrize("prefix", [b"payload=", b"data: ", b"body = ", b"grpc.body:"])
def test_a_key_prefix(prefix: bytes) -> None:
    for blob, reading in ((B64, "base64"), (decode_input(HEX).data.hex().encode(), "hex")):
        error = _hint(prefix + blob)
        key = prefix.strip().decode()
        assert f"starts with {key!r}" in error.message and f"reads as {reading}" in error.message
        assert error.offset == 0


def test_quotes_python_bytes_and_braces() -> None:
    assert "in quotes" in _hint(b'"' + B64 + b'"').message
    assert "offset 0 and the one at offset 11" in _hint(b"'0a03616263'").message
    assert "Python's bytes notation" in _hint(b"b'\\x0a\\x03abc'").message
    error = _hint(b"{0x0a, 0x03, 0x61, 0x62, 0x63}")
    assert "list of bytes in {}" in error.message and "'}' at offset 29" in error.message


@pytest.mark.parametrize("text", [b"hello, world!", b"name: Ada Lovelace", b"'Ada Lovelace'", b"x=1, y=2",
                                  b"just some words..."])
def test_text_that_is_not_almost_anything_is_still_raw(text: bytes) -> None:
    assert decode_input(text).format is InputFormat.RAW


def test_raw_reads_it_all_the_same() -> None:
    assert decode_input(b"payload=" + B64, InputFormat.RAW).data == b"payload=" + B64


def _decode(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, ["decode", *args], input=stdin,
                                    env={"COLUMNS": "120", "NO_COLOR": "1"})
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_says_what_to_fix() -> None:
    code, out, err = _decode("-f", "json", "-", stdin=b"payload=" + B64)
    assert code == 2 and out == ""
    assert err.startswith("wiretool: error: input starts with 'payload='")


# -- decode --proto FILE with several top-level messages, no --type ----------------------

def test_the_one_type_that_reads_the_input_completely() -> None:
    code, out, err = _decode("-f", "table", "--proto", "samples/person.proto",
                             "samples/person.bin")
    assert code == 0, err
    assert err == ("wiretool: no --type given: reading the input as wiretool.samples.Person, "
                   "the only one of the schema's 2 top-level messages that reads it "
                   "completely\n")
    assert "timezone_offset_minutes" in out  # named by the schema


def test_an_address_book_is_read_as_one() -> None:
    code, out, err = _decode("-f", "json", "--proto", "samples/person.proto",
                             "samples/addressbook.b64")
    assert code == 0, err
    assert "as wiretool.samples.AddressBook" in err
    assert '"type":"wiretool.samples.AddressBook"' in out


def test_several_or_none_fit_lists_the_candidates() -> None:
    code, out, err = _decode("--proto", "samples/person.proto", "-", stdin=b"")
    assert code == 2 and out == ""
    assert "2 of them read the input completely; choose one with --type" in err
    assert "wiretool.samples.Person   (reads the input completely)" in err
    code, _, err = _decode("--proto", "samples/shop/shop.proto", "samples/person.bin")
    assert code == 2
    assert "none of them reads the input completely" in err and "shop.v1.Order" in err


def test_type_given_is_used_as_before() -> None:
    code, out, err = _decode("-f", "json", "--proto", "samples/person.proto", "-t",
                             "AddressBook", "samples/person.bin")
    assert err == "" and '"type":"wiretool.samples.AddressBook"' in out
    assert code == 1  # the bytes contradict that type: said, exit 1
