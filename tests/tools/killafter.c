/*
 * killafter -- runs a command and SIGKILLs it after a delay, for the crash
 * tests (tests/e2e/crash.sh).
 *
 *   killafter MICROSECONDS COMMAND [ARGS...]
 *
 * Forks and execs COMMAND (stdin, stdout and stderr inherited), then
 * polls it every 200 us until it exits or MICROSECONDS have passed, when it
 * sends SIGKILL.  Exits with COMMAND's exit status if it ended on its own,
 * 128 + the signal number if a signal ended it (137 when killed here), 127
 * if it could not be run.  Prints nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 127;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: killafter MICROSECONDS COMMAND [ARGS...]\n", stderr);
		return 127;
	}
	char *end;
	long long delay = strtoll(argv[1], &end, 10);
	if (*end || delay < 0) {
		fprintf(stderr, "killafter: bad delay '%s'\n", argv[1]);
		return 127;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("killafter: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "killafter: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	long long deadline = now_us() + delay;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return status_code(st);
		if (r < 0 && errno != EINTR) {
			perror("killafter: waitpid");
			return 127;
		}
		long long left = deadline - now_us();
		if (left <= 0)
			break;
		usleep(left < 200 ? (useconds_t)left : 200);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return status_code(st);
}
