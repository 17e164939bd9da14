"""Encryption at rest (issue 17 item 4): foto cannot encrypt its files on this stack
(docs/encryption.md), so a home configured `encryption.at_rest = "volume"` must be seen on an
encrypted volume, or nothing is published.

The detector is run on trees laid out as the kernel lays out /proc and /sys on a machine with
LUKS, LVM on LUKS, RAID on LUKS members, a plain disk, ZFS and eCryptfs (a fixture of the
operating system's layout, not a stand-in for foto's code), and on this machine's own /proc
and /sys, where the test folder is on no encrypted volume.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from config import DEFAULT_PATH, Encryption, FotoConfig, load_config
from publish.publication import publish, rollback
from stores.at_rest import HomeNotEncrypted, refuse_unencrypted
from stores.keys import home_key, rotate_key
from stores.volume import VolumeEncryption, encryption_of, fscrypt_policy, mount_of, mounts

ROOT = Path(__file__).resolve().parents[1]
VOLUME = Encryption(at_rest="volume")


def _machine(tmp_path: Path, mountinfo: list[str], devices: dict[str, dict]) -> tuple[Path, Path]:
    """A /proc and a /sys: `mountinfo` lines, and block devices by name with their numbers,
    device-mapper uuid, the devices under them and a loop's backing file."""
    proc, sysfs = tmp_path / "proc", tmp_path / "sys"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text("\n".join(mountinfo) + "\n")
    for folder in ("devices/virtual/block", "dev/block", "class/block"):
        (sysfs / folder).mkdir(parents=True)
    for name, spec in devices.items():
        device = sysfs / "devices" / "virtual" / "block" / name
        (device / "slaves").mkdir(parents=True)
        if "uuid" in spec:
            (device / "dm").mkdir()
            (device / "dm" / "uuid").write_text(spec["uuid"] + "\n")
        if "backing" in spec:
            (device / "loop").mkdir()
            (device / "loop" / "backing_file").write_text(spec["backing"] + "\n")
        (sysfs / "dev" / "block" / spec["numbers"]).symlink_to(device)
        (sysfs / "class" / "block" / name).symlink_to(device)
    for name, spec in devices.items():
        for below in spec.get("slaves", []):
            (sysfs / "devices" / "virtual" / "block" / name / "slaves" / below).symlink_to(
                sysfs / "devices" / "virtual" / "block" / below)
    return proc, sysfs


def _line(number: int, point: Path | str, numbers: str, fstype: str, source: str,
          options: str = "rw") -> str:
    point = str(point).replace(" ", "\\040")
    return f"{number} 1 {numbers} / {point} rw,relatime shared:1 - {fstype} {source} {options}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "srv" / "foto home"       # a space: mountinfo writes it as \040
    folder.mkdir(parents=True)
    return folder


ROOT_FS = _line(1, "/", "8:1", "ext4", "/dev/sda1")


def test_a_home_on_luks_is_encrypted(tmp_path: Path, home: Path) -> None:
    proc, sysfs = _machine(tmp_path, [ROOT_FS, _line(2, home, "253:0", "ext4", "/dev/dm-0")], {
        "sda1": {"numbers": "8:1"},
        "dm-0": {"numbers": "253:0", "uuid": "CRYPT-LUKS2-1f2e3d4c-home", "slaves": ["sda2"]},
        "sda2": {"numbers": "8:2"}})
    assert encryption_of(home, proc, sysfs) == VolumeEncryption("yes", "dm-crypt")
    assert encryption_of(home / "..", proc, sysfs).encrypted == "no"   # the disk around it


def test_lvm_on_luks_is_followed_down(tmp_path: Path, home: Path) -> None:
    proc, sysfs = _machine(tmp_path, [ROOT_FS, _line(2, home.parent, "253:1", "xfs",
                                                     "/dev/mapper/vg-srv")], {
        "sda1": {"numbers": "8:1"},
        "dm-1": {"numbers": "253:1", "uuid": "LVM-abcdef", "slaves": ["dm-0"]},
        "dm-0": {"numbers": "253:0", "uuid": "CRYPT-LUKS1-9a8b-pv", "slaves": ["sda2"]},
        "sda2": {"numbers": "8:2"}})
    assert encryption_of(home, proc, sysfs) == VolumeEncryption("yes", "dm-crypt")


def test_lvm_on_a_plain_disk_is_not_encrypted(tmp_path: Path, home: Path) -> None:
    proc, sysfs = _machine(tmp_path, [ROOT_FS, _line(2, home, "253:1", "ext4", "/dev/dm-1")], {
        "dm-1": {"numbers": "253:1", "uuid": "LVM-abcdef", "slaves": ["sda2"]},
        "sda2": {"numbers": "8:2"}})
    assert encryption_of(home, proc, sysfs).encrypted == "no"


def test_raid_is_encrypted_only_when_every_member_is(tmp_path: Path, home: Path) -> None:
    devices = {"md0": {"numbers": "9:0", "slaves": ["dm-0", "dm-1"]},
               "dm-0": {"numbers": "253:0", "uuid": "CRYPT-LUKS2-a-m0"},
               "dm-1": {"numbers": "253:1", "uuid": "CRYPT-LUKS2-b-m1"}}
    mountinfo = [ROOT_FS, _line(2, home, "9:0", "ext4", "/dev/md0")]
    proc, sysfs = _machine(tmp_path / "both", mountinfo, devices)
    assert encryption_of(home, proc, sysfs).encrypted == "yes"
    devices["dm-1"] = {"numbers": "253:1", "uuid": "LVM-plain-member", "slaves": ["sdc"]}
    devices["sdc"] = {"numbers": "8:32"}
    proc, sysfs = _machine(tmp_path / "one", mountinfo, devices)
    assert encryption_of(home, proc, sysfs).encrypted == "no"


def test_dm_verity_and_integrity_are_not_encryption(tmp_path: Path, home: Path) -> None:
    for uuid in ("CRYPT-VERITY-0123-root", "CRYPT-INTEGRITY-0123-x"):
        proc, sysfs = _machine(tmp_path / uuid, [_line(1, "/", "253:0", "ext4", "/dev/dm-0")],
                               {"dm-0": {"numbers": "253:0", "uuid": uuid}})
        assert encryption_of(home, proc, sysfs).encrypted == "unknown", uuid


def test_a_plain_disk_a_bind_mount_and_an_earlier_mount_hidden_by_a_later_one(
        tmp_path: Path, home: Path) -> None:
    """A bind mount names the device of what it shows; of two mounts on one point, the later
    hides the earlier (a LUKS volume not opened leaves the plain disk under its mount point)."""
    devices = {"sda1": {"numbers": "8:1"}, "sdb1": {"numbers": "8:17"},
               "dm-0": {"numbers": "253:0", "uuid": "CRYPT-LUKS2-c-data"}}
    bind = _line(2, home, "253:0", "ext4", "/dev/dm-0")
    proc, sysfs = _machine(tmp_path / "a", [ROOT_FS, bind], devices)
    assert encryption_of(home, proc, sysfs).encrypted == "yes"
    proc, sysfs = _machine(tmp_path / "b", [ROOT_FS, bind,
                                            _line(3, home, "8:17", "ext4", "/dev/sdb1")], devices)
    assert encryption_of(home, proc, sysfs) == VolumeEncryption(
        "no", "ext4 on an unencrypted block device")


def test_a_loop_device_is_judged_by_the_file_behind_it(tmp_path: Path, home: Path) -> None:
    image = tmp_path / "vault" / "home.img"
    image.parent.mkdir()
    image.write_bytes(b"")
    proc, sysfs = _machine(tmp_path, [ROOT_FS, _line(2, image.parent, "253:0", "ext4",
                                                     "/dev/dm-0"),
                                      _line(3, home, "7:0", "ext4", "/dev/loop0")], {
        "sda1": {"numbers": "8:1"}, "loop0": {"numbers": "7:0", "backing": str(image)},
        "dm-0": {"numbers": "253:0", "uuid": "CRYPT-PLAIN-vault"}})
    assert encryption_of(home, proc, sysfs) == VolumeEncryption("yes", "loop device on dm-crypt")


def test_an_overlay_is_judged_by_its_upper_folder(tmp_path: Path, home: Path) -> None:
    upper = tmp_path / "upper"
    upper.mkdir()
    devices = {"sda1": {"numbers": "8:1"}, "dm-0": {"numbers": "253:0",
                                                     "uuid": "CRYPT-LUKS2-d-ov"}}
    overlay = _line(3, home, "0:50", "overlay", "overlay",
                    f"rw,lowerdir=/lower,upperdir={upper},workdir=/work")
    proc, sysfs = _machine(tmp_path / "enc", [ROOT_FS, _line(2, upper, "253:0", "ext4",
                                                             "/dev/dm-0"), overlay], devices)
    assert encryption_of(home, proc, sysfs).encrypted == "yes"
    proc, sysfs = _machine(tmp_path / "plain", [ROOT_FS, overlay], devices)
    assert encryption_of(home, proc, sysfs).encrypted == "no"


@pytest.mark.parametrize("fstype, source, verdict, how", [
    ("ecryptfs", "/srv/.private", "yes", "ecryptfs"),
    ("fuse.gocryptfs", "/srv/cipher", "yes", "gocryptfs"),
    ("zfs", "tank/foto", "unknown", "zfs: its dataset encryption is readable only with `zfs get`"),
    ("tmpfs", "tmpfs", "no", "tmpfs: memory, which can be swapped out in clear"),
    ("nfs4", "server:/export", "unknown", "nfs4: not on a block device this can inspect"),
])
def test_filesystems_known_by_their_type(tmp_path: Path, home: Path, fstype: str, source: str,
                                         verdict: str, how: str) -> None:
    proc, sysfs = _machine(tmp_path, [ROOT_FS, _line(2, home, "0:60", fstype, source)],
                           {"sda1": {"numbers": "8:1"}})
    assert encryption_of(home, proc, sysfs) == VolumeEncryption(verdict, how)


def test_mountinfo_escapes_and_the_longest_mount_point(tmp_path: Path, home: Path) -> None:
    proc, _ = _machine(tmp_path, [ROOT_FS, _line(2, home.parent, "8:2", "ext4", "/dev/sda2"),
                                  _line(3, home, "8:3", "ext4", "/dev/sda3")], {})
    table = mounts(proc)
    assert table[2].point == str(home)
    assert mount_of(home / "published", table).device == "8:3"
    assert mount_of(home.parent / "foto", table).device == "8:2"    # a prefix, not a parent
    assert mount_of(Path("/elsewhere"), table).device == "8:1"


def test_fscrypt_sees_no_policy_on_this_machine(tmp_path: Path) -> None:
    """An fscrypt policy cannot be made without the filesystem's encrypt feature and a key in
    the kernel; the ioctl is still made, and on a plain folder it answers no."""
    assert fscrypt_policy(tmp_path) == "no"
    assert fscrypt_policy(tmp_path / "missing") == "unknown"


def test_this_machine_does_not_encrypt_the_test_folder(tmp_path: Path) -> None:
    found = encryption_of(tmp_path)
    assert found.encrypted in ("no", "unknown")
    assert str(tmp_path) not in found.how and "/" not in found.how.split(":")[0]


# -- configuration -------------------------------------------------------------------------------

def _defaults() -> dict:
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_sample_promises_nothing_and_volume_is_accepted() -> None:
    assert load_config(None).encryption.at_rest == "none"
    data = _defaults() | {"encryption": {"at_rest": "volume"}}
    assert FotoConfig.model_validate(data).encryption == VOLUME


@pytest.mark.parametrize("section", [{"at_rest": "duckdb"}, {"at_rest": True}, {},
                                     {"at_rest": "volume", "key_file": "/k"}])
def test_a_wrong_encryption_section_is_refused(section: dict) -> None:
    with pytest.raises(ValidationError):
        FotoConfig.model_validate(_defaults() | {"encryption": section})
    without = _defaults()
    del without["encryption"]
    with pytest.raises(ValidationError):
        FotoConfig.model_validate(without)


# -- the refusal -----------------------------------------------------------------------------

def _detector(verdict: str, how: str):
    return lambda _home: VolumeEncryption(verdict, how)


def test_the_refusal_names_what_was_found_and_the_fix(tmp_path: Path) -> None:
    home = tmp_path / "private name" / "home"
    refuse_unencrypted(home, Encryption(at_rest="none"), detect=_detector("no", "ext4"))
    refuse_unencrypted(home, VOLUME, detect=_detector("yes", "dm-crypt"))
    with pytest.raises(HomeNotEncrypted) as refused:
        refuse_unencrypted(home, VOLUME, detect=_detector("no", "ext4 on an unencrypted disk"))
    said = str(refused.value)
    assert said.startswith("not publishing: ") and "is not on an encrypted volume" in said
    assert "(ext4 on an unencrypted disk)" in said and "docs/encryption.md" in said
    assert "private name" not in said and HomeNotEncrypted.safe_message
    with pytest.raises(HomeNotEncrypted, match=r"^not serving: .*unknown counts as not"):
        refuse_unencrypted(home, VOLUME, doing="serving", detect=_detector("unknown", "zfs"))


def test_publish_and_rollback_refuse_an_unencrypted_home(tmp_path: Path) -> None:
    """On this machine the test folder is on no encrypted volume: with at_rest "volume" the
    publication refuses before it builds, and a rollback before it points."""
    home = tmp_path / "home"
    run_dir = home / "runs" / "r1"
    run_dir.mkdir(parents=True)
    for folder in ("publications/a/triage", "publications/b/triage"):
        (home / folder).mkdir(parents=True)
    os.symlink("publications/b/triage", home / "published")
    for path in (home, *home.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o700)
    with pytest.raises(HomeNotEncrypted, match="^not publishing"):
        publish(home, run_dir, "r1", {}, load_config(None).retention, encryption=VOLUME)
    assert not (run_dir / "publication").exists()
    with pytest.raises(HomeNotEncrypted):
        rollback(home, encryption=VOLUME)
    assert os.readlink(home / "published") == "publications/b/triage"


# -- foto's own keys ------------------------------------------------------------------------------

def test_the_session_key_rotates_and_the_search_hash_key_does_not(tmp_path: Path) -> None:
    old = home_key(tmp_path, "session")
    new = rotate_key(tmp_path, "session")
    assert new != old and len(new) == 32 and home_key(tmp_path, "session") == new
    path = tmp_path / "keys" / "session.key"
    assert path.read_bytes() == new and (path.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["session.key"]
    search = home_key(tmp_path, "search_hash")
    with pytest.raises(ValueError, match="not rotated"):
        rotate_key(tmp_path, "search_hash")
    assert home_key(tmp_path, "search_hash") == search


# -- end to end ------------------------------------------------------------------------------

def _volume_config(tmp_path: Path) -> Path:
    path = tmp_path / "volume.json"
    path.write_text(json.dumps(_defaults() | {"encryption": {"at_rest": "volume"}}))
    return path


@pytest.mark.e2e
def test_foto_run_refuses_a_home_configured_encrypted_that_is_not(tmp_path: Path) -> None:
    """`foto run` on the sample with at_rest "volume" in a home on this machine's plain disk:
    exit 1, the refusal line, and nothing written under the home (not even a build)."""
    home = tmp_path / "home"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "foto.cli", "run", "--inbox", str(ROOT / "data/sample/inbox"),
         "--home", str(home), "--config", str(_volume_config(tmp_path))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "foto run: not publishing: the configuration says encryption.at_rest = \"volume\"" \
        in done.stdout
    assert "docs/encryption.md" in done.stdout and str(home) not in done.stdout
    assert list(home.iterdir()) == []
    served = subprocess.run(
        [sys.executable, "-m", "foto.cli", "serve", "--home", str(home), "--port", "1",
         "--config", str(_volume_config(tmp_path))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert served.returncode == 2 and "foto serve: not serving:" in served.stdout


@pytest.mark.e2e
def test_the_nightly_job_itself_refuses_to_publish(tmp_path: Path) -> None:
    """The Dagster daemon starts the nightly job without the command line's check: the job
    runs, and its publication step refuses; nothing is published."""
    from assets.resources import FotoPaths
    from foto.cli import run_job
    from foto.home import secure_home

    home = tmp_path / "home"
    secure_home(home)
    paths = FotoPaths(inbox=str(ROOT / "data/sample/inbox"), home=str(home),
                      date="2026-11-27", config=str(_volume_config(tmp_path)))
    outcome = run_job("nightly", paths)
    assert outcome.status == "failed" and outcome.exit_code(require_publication=True) == 2
    assert "publication" in outcome.failed_steps
    assert any("not publishing: the configuration says" in e for e in outcome.errors)
    assert not (home / "published").exists() and not (home / "publications").exists()
