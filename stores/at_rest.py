"""Whether the home is stored as the configuration promises: the check made before publishing.

A home configured `encryption.at_rest = "volume"` must live on an encrypted volume
(docs/encryption.md). When foto cannot see that it does, it publishes nothing and serves
nothing: the likeliest cause is a volume that was not opened (the home's mount point then
shows the plain disk under it) or a home copied to another disk, and in both cases what would
be written next lands in clear. "Unknown" counts as not encrypted: a promise that cannot be
checked is not kept. The refusal names the means found or missing, never the home's path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from config import Encryption
from stores.volume import VolumeEncryption, encryption_of


class HomeNotEncrypted(Exception):
    """The home is configured to be on an encrypted volume and is not seen to be; the message
    says what was found and the fix, and is shown as it is."""

    safe_message = True


def refuse_unencrypted(home: Path, encryption: Encryption, doing: str = "publishing",
                       detect: Callable[[Path], VolumeEncryption] = encryption_of) -> None:
    """Raise `HomeNotEncrypted` when `encryption.at_rest` is "volume" and `detect` does not
    answer yes for the home (made first if missing, so that its own mount is the one looked
    at); `doing` names what is refused ("publishing", "serving"). `detect` is the detector
    on the kernel's /proc and /sys unless a test points it at another tree."""
    if encryption.at_rest == "none":
        return
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = detect(home)
    if found.encrypted == "yes":
        return
    seen = "is not on an encrypted volume" if found.encrypted == "no" \
        else "cannot be seen to be on an encrypted volume (unknown counts as not encrypted)"
    raise HomeNotEncrypted(
        f"not {doing}: the configuration says encryption.at_rest = \"volume\" but the home "
        f"{seen} ({found.how}); put the home on a LUKS volume or an fscrypt folder "
        f"(docs/encryption.md), or mount the volume that holds it, and run again")
