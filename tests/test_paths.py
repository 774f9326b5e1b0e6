"""The shared path checks and safe writing: an output is never the input,
whatever the spelling, never in a directory that is only read, never written
through a link; files replaced whole are replaced atomically; one job per
output."""
import hashlib
import os
import signal
import subprocess
import sys

import pytest

from spacy_bilstm_crf.paths import (
    OutputLock,
    PathError,
    SamePathError,
    WriteError,
    check_distinct,
    check_not_link,
    check_outside,
    create_exclusive,
    current_umask,
    long_name,
    nearest_ancestor,
    open_existing,
    remove_stale_temps,
    same_file,
    temp_prefix,
    write_atomic,
    write_atomic_many,
)


def test_same_file_through_links_and_spellings(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x\n")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.jsonl"
    link.symlink_to(a)
    hard = tmp_path / "hard.jsonl"
    os.link(a, hard)
    assert same_file(a, tmp_path / "sub" / ".." / "a.jsonl")
    assert same_file(a, link) and same_file(a, hard)
    assert not same_file(a, tmp_path / "b.jsonl")
    dangling = tmp_path / "new-link.jsonl"
    dangling.symlink_to(tmp_path / "new.jsonl")  # neither exists yet
    assert same_file(dangling, tmp_path / "new.jsonl")


def test_check_distinct_names_both_roles(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(a)
    with pytest.raises(SamePathError, match=r"\[E300\] The input and the output are the same file"):
        check_distinct({"input": a, "output": link})
    check_distinct({"input": a, "output": tmp_path / "out.jsonl", "unused": None})


def test_check_distinct_refuses_input_inside_output_directory(tmp_path):
    out = tmp_path / "shards"
    out.mkdir()
    inside = out / "in.jsonl"
    inside.write_text("x\n")
    with pytest.raises(SamePathError, match=r"\[E301\] The input .* lies inside the output directory"):
        check_distinct({"input": inside, "output": out}, directories={"output": out})
    with pytest.raises(SamePathError, match="E300"):
        check_distinct({"input": out, "output": out}, directories={"output": out})


def test_write_atomic_never_follows_a_link_and_keeps_usual_permissions(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    target = tmp_path / "out.json"
    (tmp_path / "out.json.tmp").symlink_to(victim)  # a planted link at the old fixed temp name
    digest = write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n" and digest == hashlib.sha256(b"new\n").hexdigest()
    assert victim.read_text() == "precious\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    write_atomic(link, b"replaced\n")  # the link itself is replaced, its target untouched
    assert not link.is_symlink() and victim.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "out.json", "out.json.tmp", "victim.txt"]
    (tmp_path / "dir").mkdir()
    with pytest.raises(PathError, match="E423"):
        write_atomic(tmp_path / "dir", b"x")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp") and p.name.startswith(".")] == []


def test_write_atomic_many_renames_none_when_a_temporary_file_was_swapped(tmp_path):
    """Every temporary file is checked to be still ours before the first
    rename: a link put at one of their names writes no target at all."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    first, second = tmp_path / "a.spacy", tmp_path / "b.spacy"

    def contents():
        yield first, b"first"
        (tmp,) = tmp_path.glob(temp_prefix(first) + "*.tmp")
        tmp.unlink()
        tmp.symlink_to(victim)
        yield second, b"second"

    with pytest.raises(WriteError, match=r"E423\] Cannot write the output .*a\.spacy: the temporary file .* was "
                                         "replaced while it was written: nothing written") as err:
        write_atomic_many(contents())
    assert err.value.path == first and "nothing written" in err.value.reason
    assert victim.read_text() == "precious\n" and not first.exists() and not second.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == ["victim.txt"]
    write_atomic_many([(first, b"first"), (second, b"second")])
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")


def test_write_atomic_many_removes_the_directories_it_made_on_failure(tmp_path):
    def contents():
        yield tmp_path / "new" / "deeper" / "a.spacy", b"a"
        raise OSError(28, "No space left on device")

    with pytest.raises(WriteError, match="E423.*No space left on device"):
        write_atomic_many(contents(), parents=True)
    assert list(tmp_path.iterdir()) == []
    write_atomic_many([(tmp_path / "new" / "deeper" / "a.spacy", b"a")], parents=True)
    assert (tmp_path / "new" / "deeper" / "a.spacy").read_bytes() == b"a"
    with pytest.raises(WriteError, match="E423.*no such file or directory"):
        write_atomic(tmp_path / "missing" / "a.spacy", b"a")  # parents only when asked


def test_write_atomic_takes_a_name_as_long_as_the_file_system_allows(tmp_path):
    target = tmp_path / ("\u00e9" * 124 + "a.spacy")
    assert len(os.fsencode(target.name)) == 255
    write_atomic(target, b"x")
    assert target.read_bytes() == b"x" and [p.name for p in tmp_path.iterdir()] == [target.name]
    assert temp_prefix(tmp_path / "out.json") == ".out.json."


def test_nearest_ancestor_and_long_name(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert nearest_ancestor(tmp_path / "new" / "deeper" / "x") == (tmp_path, None, True)
    assert nearest_ancestor(a_file / "sub" / "x") == (a_file, "a file", False)
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OSError):
        nearest_ancestor(tmp_path / "loop" / "x" / "y")
    assert long_name(tmp_path / ("x" * 255)) is None
    assert long_name(tmp_path / ("\u00e9" * 128) / "out") == ("\u00e9" * 128, 256, 255)


def test_exclusive_and_no_follow_opens(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "link"
    link.symlink_to(victim)
    with pytest.raises(PathError, match="E423"):
        create_exclusive(link, "output")
    with pytest.raises(PathError, match="E421"):
        open_existing(link, "output")
    with create_exclusive(tmp_path / "new", "output") as f:
        f.write(b"x")
    with pytest.raises(PathError, match="E423.*exists"):
        create_exclusive(tmp_path / "new", "output")
    assert victim.read_text() == "precious\n"


def test_path_checks_name_the_role(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(PathError, match=r"E421\] The rejects file .*link is a symbolic link"):
        check_not_link(link, "rejects file")
    with pytest.raises(PathError, match="E422.*it is a directory"):
        check_not_link(tmp_path, "checkpoint")
    check_not_link(tmp_path, "output", directory_ok=True)
    check_not_link(tmp_path / "missing" / "x", "output")
    model = tmp_path / "model"
    model.mkdir()
    with pytest.raises(PathError, match=r"E420\] The output .* is in the model directory"):
        check_outside({"output": model / "sub" / "o.jsonl"}, model, "model directory")
    with pytest.raises(PathError, match="E420"):
        check_outside({"output": model}, model, "model directory")
    check_outside({"output": tmp_path / "o.jsonl", "rejects": None}, model, "model directory")


def test_output_lock_is_exclusive_and_released(tmp_path):
    out = tmp_path / "out.jsonl"
    with OutputLock(out) as lock:
        assert lock.path == tmp_path / "out.jsonl.lock"
        with pytest.raises(PathError, match=r"E424\] Another job is writing .*out\.jsonl: it holds the lock"):
            OutputLock(out).acquire()
    with OutputLock(out):  # released on exit
        pass


def test_remove_stale_temps_only_removes_ours(tmp_path):
    (tmp_path / ".out.json.k2j3h_x.tmp").write_text("stale")
    (tmp_path / ".other.json.abc.tmp").write_text("not ours")
    (tmp_path / ".out.json.dir.tmp").mkdir()
    (tmp_path / ".out.json.link.tmp").symlink_to(tmp_path / ".other.json.abc.tmp")
    assert remove_stale_temps(tmp_path, {"out.json"}.__contains__) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.abc.tmp", ".out.json.dir.tmp",
                                                          ".out.json.link.tmp"]


def test_a_forked_child_does_not_keep_the_lock_of_a_killed_parent(tmp_path):
    """A worker forked while the lock is held (nlp.pipe's n_process) and left
    running after its parent was killed must not keep the output locked."""
    out = tmp_path / "out.jsonl"
    script = (
        "import os, signal, sys, time\n"
        "from spacy_bilstm_crf.paths import OutputLock\n"
        f"OutputLock({str(out)!r}).acquire()\n"
        "ready, told = os.pipe()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.write(told, b'x')  # runs after the fork hooks: the child is as a worker would be\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "os.read(ready, 1)  # a killed parent's worker is past its start, not still forking\n"
        "print(pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        parent.wait(timeout=60)
        with OutputLock(out):  # the orphaned child still runs
            pass
    finally:
        os.kill(child, signal.SIGKILL)
