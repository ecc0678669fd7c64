"""The README's handler example runs as written: its `nginx` block is taken from README.md, only the port changed."""
import re
import struct

from conftest import ROOT


def readme_example():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```nginx\n(.*?)```", text, re.S).group(1)
    assert "listen 127.0.0.1:6666;" in block
    return block.replace("listen 127.0.0.1:6666;", "listen 127.0.0.1:$PORT;")


def test_readme_handler_echoes_big_endian_frames(tcplua):
    s = tcplua(readme_example())
    c = s.connect()
    for payload in (b"hello", b"x" * 300):  # 300 = 00 00 01 2c: read little-endian it would never arrive
        frame = struct.pack(">I", len(payload)) + payload
        c.send(frame)
        assert c.recv_exact(len(frame)) == frame
    assert s.log_lines(r"\[error\]") == []
