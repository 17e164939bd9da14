"""Whether a folder lives on encrypted storage, as far as Linux lets an unprivileged process see.

foto cannot encrypt its own files on this stack (docs/encryption.md: DuckDB 2.0.1 writes
encrypted databases securely only with its httpfs extension, which cannot be had here), so a
deployment puts the home on an encrypted volume, and the publication checks that it does
(`stores.at_rest`). This module answers the question from what the kernel publishes:

- the mount holding the folder: the longest mount point of `/proc/self/mountinfo` that is a
  prefix of the resolved path (a later mount on the same point hides an earlier one; a bind
  mount names the device of the filesystem it shows, so it needs nothing special);
- an overlay is judged by its upper folder (where its writes land), found the same way;
- a block device: dm-crypt when it is a device-mapper node whose `dm/uuid` names a
  cryptsetup encryption (`CRYPT-LUKS2-...`, `CRYPT-PLAIN-...`); a device stacked on others
  (LVM on LUKS, RAID on LUKS members) is encrypted when every device under it (`slaves/`,
  followed down) is; a loop device by the file behind it;
- fscrypt (ext4, f2fs): the encryption policy of the folder itself, by ioctl;
- eCryptfs and gocryptfs by filesystem type; ZFS's native encryption is a dataset property
  only `zfs get` reads, which is not for a service to run: unknown.

The answer is one of yes / no / unknown with the means (`dm-crypt`, `fscrypt`, ...) or the
reason, never a path or a device name: a path of a home can carry a person's name.
`proc` and `sys` are parameters so that the tests can point them at a tree laid out as the
kernel lays out an encrypted machine.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Verdict = Literal["yes", "no", "unknown"]

# cryptsetup's device-mapper uuids of encrypting targets; CRYPT-VERITY-, CRYPT-INTEGRITY- and
# CRYPT-SUBDEV- (an integrity layer under an authenticated LUKS2 device) protect, not hide.
CRYPT_UUIDS = ("CRYPT-LUKS1-", "CRYPT-LUKS2-", "CRYPT-PLAIN-", "CRYPT-LOOPAES-",
               "CRYPT-TCRYPT-", "CRYPT-BITLK-", "CRYPT-FVAULT2-")
ENCRYPTING_FSTYPES = {"ecryptfs": "ecryptfs", "fuse.gocryptfs": "gocryptfs",
                      "fuse.cryfs": "cryfs"}
# Filesystems whose contents never reach a disk of their own (tmpfs can reach swap, in clear).
MEMORY_FSTYPES = {"tmpfs", "ramfs"}
# Encryption these can carry that no file of /proc or /sys shows.
UNREADABLE_FSTYPES = {"zfs": "zfs: its dataset encryption is readable only with `zfs get`"}

# <linux/fscrypt.h>: _IOWR('f', 22, __u8[9]) and _IOW('f', 21, struct fscrypt_policy_v1)
FS_IOC_GET_ENCRYPTION_POLICY_EX = 0xC0096616
FS_IOC_GET_ENCRYPTION_POLICY = 0x400C6615
_POLICY_MAX = 24        # sizeof(struct fscrypt_policy_v2), the largest policy
_MAX_DEPTH = 16         # stacking deeper than this is a loop in the tree, not a machine


@dataclass(frozen=True)
class VolumeEncryption:
    """`encrypted`: yes, no or unknown; `how`: the means (yes) or why not / why not known."""

    encrypted: Verdict
    how: str


@dataclass(frozen=True)
class Mount:
    """One line of mountinfo, the parts this module reads."""

    point: str
    device: str          # "major:minor"
    fstype: str
    source: str
    options: str         # the superblock options (overlay's upperdir is one)


def encryption_of(folder: Path, proc: Path = Path("/proc"),
                  sys: Path = Path("/sys")) -> VolumeEncryption:
    """Whether `folder` (which must exist) is stored encrypted; see the module's docstring."""
    return _of_path(Path(os.path.realpath(folder)), folder, proc, sys, 0)


def _of_path(resolved: Path, real: Path, proc: Path, sys: Path, depth: int) -> VolumeEncryption:
    if depth > _MAX_DEPTH:
        return VolumeEncryption("unknown", "storage stacked too deep to follow")
    mount = mount_of(resolved, mounts(proc))
    if mount is None:
        return VolumeEncryption("unknown", "no mount holds the folder")
    if mount.fstype in ENCRYPTING_FSTYPES:
        return VolumeEncryption("yes", ENCRYPTING_FSTYPES[mount.fstype])
    if mount.fstype in UNREADABLE_FSTYPES:
        return VolumeEncryption("unknown", UNREADABLE_FSTYPES[mount.fstype])
    if mount.fstype in MEMORY_FSTYPES:
        return VolumeEncryption("no", f"{mount.fstype}: memory, which can be swapped out in clear")
    if mount.fstype == "overlay":
        upper = _option(mount.options, "upperdir")
        if upper is None:
            return VolumeEncryption("no", "overlay without an upper folder: nothing is written")
        if not Path(upper).is_dir():
            return VolumeEncryption("unknown", "overlay whose upper folder this process cannot see")
        return _of_path(Path(upper), Path(upper), proc, sys, depth + 1)
    if fscrypt_policy(real) == "yes":
        return VolumeEncryption("yes", "fscrypt")
    device = _device_dir(mount, sys)
    if device is None:
        return VolumeEncryption("unknown",
                                f"{mount.fstype}: not on a block device this can inspect")
    return _of_device(device, mount.fstype, proc, sys, depth)


def mounts(proc: Path) -> list[Mount]:
    """The mounts of this process's namespace, in mount order."""
    found = []
    for line in (proc / "self" / "mountinfo").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash < 5 or len(fields) < dash + 3:
            continue
        found.append(Mount(point=_unescape(fields[4]), device=fields[2],
                           fstype=fields[dash + 1], source=_unescape(fields[dash + 2]),
                           options=fields[dash + 3] if len(fields) > dash + 3 else ""))
    return found


def mount_of(path: Path, table: list[Mount]) -> Mount | None:
    """The mount `path` is on: the longest mount point that holds it, the last one mounted
    there when several were (it hides the others)."""
    best: Mount | None = None
    for mount in table:
        point = Path(mount.point)
        if (path == point or point in path.parents) and (
                best is None or len(point.parts) >= len(Path(best.point).parts)):
            best = mount
    return best


def fscrypt_policy(folder: Path) -> Verdict:
    """Whether `folder` has an fscrypt policy: yes, no (the filesystem says none, or has no
    fscrypt at all), or unknown (the folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return "unknown"
    try:
        for request, buffer in (
                (FS_IOC_GET_ENCRYPTION_POLICY_EX,
                 bytearray(struct.pack("=Q", _POLICY_MAX) + bytes(_POLICY_MAX))),
                (FS_IOC_GET_ENCRYPTION_POLICY, bytearray(12))):
            try:
                fcntl.ioctl(fd, request, buffer)
                return "yes"
            except OSError as err:
                if err.errno == errno.ENODATA:          # fscrypt there, this folder plain
                    return "no"
                if err.errno in (errno.ENOTTY, errno.EOPNOTSUPP, errno.EINVAL):
                    continue                            # not this request / no fscrypt
                return "unknown"
        return "no"
    finally:
        os.close(fd)


def _device_dir(mount: Mount, sys: Path) -> Path | None:
    """The sysfs folder of the mount's block device: by its numbers, else (a filesystem such
    as btrfs shows an anonymous 0:N) by the `/dev/...` it was mounted from."""
    major = mount.device.split(":", 1)[0]
    if major != "0":
        entry = sys / "dev" / "block" / mount.device
        return entry if entry.exists() else None
    if mount.source.startswith("/dev/"):
        entry = sys / "class" / "block" / Path(os.path.realpath(mount.source)).name
        return entry if entry.exists() else None
    return None


def _of_device(device: Path, fstype: str, proc: Path, sys: Path, depth: int) -> VolumeEncryption:
    """A block device: dm-crypt itself, a loop device by its backing file, or a device made
    of others (LVM, RAID, a partition table on a mapped device) by all of those."""
    if depth > _MAX_DEPTH:
        return VolumeEncryption("unknown", "storage stacked too deep to follow")
    uuid = _read(device / "dm" / "uuid")
    if uuid is not None and uuid.startswith(CRYPT_UUIDS):
        return VolumeEncryption("yes", "dm-crypt")
    backing = _read(device / "loop" / "backing_file")
    if backing:
        found = _of_path(Path(backing), Path(backing), proc, sys, depth + 1)
        return VolumeEncryption(found.encrypted, f"loop device on {found.how}")
    below = _slaves(device, sys)
    if below:
        verdicts = [_of_device(d, fstype, proc, sys, depth + 1) for d in below]
        if all(v.encrypted == "yes" for v in verdicts):
            return VolumeEncryption("yes", verdicts[0].how)
        if any(v.encrypted == "no" for v in verdicts):
            return VolumeEncryption("no", f"{fstype} on a device stacked on an unencrypted one")
        return VolumeEncryption("unknown",
                                next(v.how for v in verdicts if v.encrypted == "unknown"))
    if uuid is not None:
        return VolumeEncryption("unknown", f"{fstype} on a device-mapper device that is not "
                                           "cryptsetup's")
    return VolumeEncryption("no", f"{fstype} on an unencrypted block device")


def _slaves(device: Path, sys: Path) -> list[Path]:
    """The devices under `device`; a partition's are its disk's."""
    folder = device / "slaves"
    if not folder.is_dir() and (device / "partition").exists():
        folder = device.resolve().parent / "slaves"
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        target = sys / "class" / "block" / entry.name
        found.append(target if target.exists() else entry)
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _option(options: str, name: str) -> str | None:
    for option in options.split(","):
        key, _, value = option.partition("=")
        if key == name and value:
            return _unescape(value)
    return None


def _unescape(text: str) -> str:
    r"""mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 4 <= len(text) and text[i + 1:i + 4].isdigit():
            out.append(chr(int(text[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
