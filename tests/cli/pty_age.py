#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and types a passphrase at each prompt.

The reference `age -p` (and `nearnative encrypt -p` without $NEARNATIVE_PASSPHRASE) read the
passphrase from the controlling terminal only, so tests drive them through this helper:

    PTY_PASSPHRASE=secret python3 pty_age.py [--stdout FILE] [--answers N] -- age -d -o out in.age

* The passphrase comes from the environment variable PTY_PASSPHRASE (never from argv, so it
  does not show in `ps`). PTY_PASSPHRASE_2, when set, is typed at the second prompt instead
  (to test a mismatched confirmation).
* --stdout FILE makes the child's stdout that file (binary output must not pass through a
  terminal, which would translate newlines); without it stdout is the terminal.
* A prompt is any terminal output ending in "passphrase" + optional text + ":" (age prints
  "Enter passphrase (leave empty to autogenerate a secure one):" and "Confirm passphrase:").
  --answers N stops answering after N prompts (default: unlimited).
* The helper exits with the child's exit code (128+signal if it died from a signal) and
  prints everything the child wrote to the terminal on its own stderr (prompts included),
  so the test can assert on the prompts and on error messages.
* --timeout SECONDS (default 90) kills the child if it hangs.
"""

import argparse
import os
import pty
import re
import select
import signal
import sys
import time

PROMPT = re.compile(rb"passphrase[^\n:]*:\s*$", re.IGNORECASE)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdout", help="file to connect the child's stdout to")
    parser.add_argument("--answers", type=int, default=-1)
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    answers = [os.environb.get(b"PTY_PASSPHRASE", b"")]
    if b"PTY_PASSPHRASE_2" in os.environb:
        answers.append(os.environb[b"PTY_PASSPHRASE_2"])

    stdout_fd = os.open(args.stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if args.stdout else None
    pid, master = pty.fork()
    if pid == 0:  # child: the pty is stdin, stdout, stderr and the controlling terminal
        try:
            if stdout_fd is not None:
                os.dup2(stdout_fd, 1)
                os.close(stdout_fd)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PTY_PASSPHRASE")}
            os.execvpe(command[0], command, env)
        except Exception as exc:  # noqa: BLE001 - report anything, then die
            os.write(2, f"pty_age.py: cannot run {command[0]}: {exc}\n".encode())
        os._exit(127)
    if stdout_fd is not None:
        os.close(stdout_fd)

    transcript = bytearray()
    pending = bytearray()  # terminal output since the last answer
    answered = 0
    deadline = time.monotonic() + args.timeout
    status = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stderr.buffer.write(bytes(transcript))
            sys.stderr.write(f"\npty_age.py: timed out after {args.timeout} s\n")
            return 124
        ready, _, _ = select.select([master], [], [], min(remaining, 0.2))
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal (exited)
                chunk = b""
            if not chunk:
                break
            transcript += chunk
            pending += chunk
            if PROMPT.search(bytes(pending)) and (args.answers < 0 or answered < args.answers):
                answer = answers[min(answered, len(answers) - 1)] if answered < 2 else answers[0]
                time.sleep(0.05)  # let the program turn echo off first (else the answer is echoed)
                os.write(master, answer + b"\n")
                answered += 1
                pending.clear()
        else:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                # drain what is left
                try:
                    while select.select([master], [], [], 0.05)[0]:
                        chunk = os.read(master, 65536)
                        if not chunk:
                            break
                        transcript += chunk
                except OSError:
                    pass
                break
    if status is None:
        _, status = os.waitpid(pid, 0)
    os.close(master)
    sys.stderr.buffer.write(bytes(transcript))
    sys.stderr.flush()
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
