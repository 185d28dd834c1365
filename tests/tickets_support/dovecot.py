"""A real IMAP server for the T1 tests: Debian's dovecot on 127.0.0.1, in a throwaway directory.

Installs `dovecot-imapd` with apt-get when missing (needs root, like CI), writes a minimal
config (plaintext login on loopback, passwd-file users, Maildir), starts it on a free port and
stops it at the end of the session.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import ensure_package, free_port, stop_process, wait_for_port

USER, PASSWORD = "suporte@webplanet.test", "senha-imap-123"


def ensure_installed() -> str | None:
    """Path of the dovecot binary, installing the Debian package if needed; None if impossible."""
    return ensure_package("dovecot-imapd", "dovecot")


class Dovecot:
    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="balcao-dovecot-"))
        self.conf = self.dir / "dovecot.conf"

    def start(self) -> "Dovecot":
        root = self.dir
        for sub in ("run", "state", "home"):
            (root / sub).mkdir()
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        as_root = os.geteuid() == 0
        owner = "dovecot" if as_root else os.environ.get("USER", "")
        self.conf.write_text(
            f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner} gid={owner} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        os.chmod(root, 0o755)
        if as_root:
            shutil.chown(root / "home", "dovecot", "dovecot")
        # Foreground (-F) child of the test process: no daemon inherits our pipes.
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait_for_port(self.process, self.port):
            return self
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        raise RuntimeError(f"dovecot did not start: {log}")

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)
